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


def test_judging_text_loads_minhash_without_scipy_and_signs_as_the_whole_package_does() -> None:
    """The understanding workers sign every article with datasketch's MinHash; loading it must not pull in
    the rest of datasketch (scipy, 0.4 s per worker), and the signatures must be the ones the ordinary
    ``from datasketch import MinHash`` gives — stored signatures are compared across runs and releases."""
    text = "Pyongyang sent 1,000 sappers and 5,000 military builders to the Kursk region, Shoigu said."
    script = ("import json, sys\n"
              "from monitor.understand import dedupe\n"
              f"light = dedupe.signature({text!r}).tolist()\n"
              "scipy = 'scipy' in sys.modules\n"
              "import datasketch\n"
              "same_class = datasketch.MinHash is dedupe._minhash()[0]\n"
              "print(json.dumps({'sig': light, 'scipy': scipy, 'same_class': same_class}))\n")
    full = ("import json, datasketch\n"
            "from monitor.understand import dedupe\n"
            f"print(json.dumps({{'sig': dedupe.signature({text!r}).tolist()}}))\n")
    light = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                      check=True).stdout.strip().splitlines()[-1])
    whole = json.loads(subprocess.run([sys.executable, "-c", full], capture_output=True, text=True,
                                      check=True).stdout.strip().splitlines()[-1])
    assert light["scipy"] is False
    assert light["same_class"] is True
    assert light["sig"] == whole["sig"] and len(set(light["sig"])) > 1


def test_a_sqlite_deployment_never_loads_the_postgresql_dialect(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Storing articles and indexing them (``analyze``) go through every ON CONFLICT insert of the store;
    on SQLite none may import PostgreSQL's dialect (20 ms of each command's start). ``init`` may: it
    migrates, and alembic's DDL layer loads every dialect it knows."""
    config = tmp_path / "monitor.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n', encoding="utf-8")
    subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), "init"], check=True,
                   capture_output=True)
    script = ("import json, sys\n"
              "from monitor import Monitor, load_config\n"
              f"with Monitor(load_config({str(config)!r})) as monitor:\n"
              "    analysed = monitor.analyze().analyzed\n"
              "print(json.dumps({'analysed': analysed, 'modules': sorted(sys.modules)}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["analysed"] == 5  # the seeds, indexed
    assert "sqlalchemy.dialects.sqlite" in result["modules"]
    assert "sqlalchemy.dialects.postgresql" not in result["modules"]
