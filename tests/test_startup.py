"""`monitor --help` starts fast because the command line imports no library code until a command runs
(the time itself is measured in bench/startup.py; here: what gets imported, which is what costs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: Heavy packages a `--help` must not load (each costs tens to hundreds of milliseconds).
HEAVY = ("sqlalchemy", "alembic", "jinja2", "trafilatura", "httpx", "monitor.core", "monitor.digest.pipeline")


def test_help_loads_none_of_the_library() -> None:
    script = ("import json, sys\n"
              "from monitor.cli import main\n"
              "code = main(['--help'])\n"
              "for sub in (['digest', '--help'], ['subscribers', 'add', '--help'], ['once', '--help']):\n"
              "    main(sub)\n"
              "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    loaded = [name for name in HEAVY if name in result["modules"]]
    assert loaded == [], f"`monitor --help` imports {loaded}"


def test_the_console_command_ends_with_its_exit_code_and_every_line_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`monitor` ends without tearing the interpreter down (``cli._exit_now``): what it printed must
    still arrive whole through a pipe, and cron must still see the exit code of a failure."""
    bad = tmp_path / "monitor.toml"
    bad.write_text("[fetch]\nconcurrency = 0\n", encoding="utf-8")
    failed = subprocess.run([sys.executable, "-m", "monitor", "--config", str(bad), "feeds", "list"],
                            capture_output=True, text=True)
    assert failed.returncode == 2
    assert failed.stderr.startswith("monitor: error:") and "fetch.concurrency" in failed.stderr
    config = tmp_path / "ok.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n', encoding="utf-8")
    subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), "init"], check=True,
                   capture_output=True)
    command = [sys.executable, "-m", "monitor", "--config", str(config), "feeds", "list", "--json"]
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout block-buffered
    listed = subprocess.run(command, capture_output=True, text=True, env=buffered)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) >= 10  # the whole document arrived: every bundled feed
