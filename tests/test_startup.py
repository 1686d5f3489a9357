"""`monitor --help` starts fast because the command line imports no library code until a command runs
(the time itself is measured in bench/startup.py; here: what gets imported, which is what costs)."""

from __future__ import annotations

import json
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
