"""The package as an operator installs it: a wheel (not the source tree) must carry everything it needs."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "monitor").rglob("__init__.py")}
    assert found <= listed


def _readme_line(which: str) -> str:
    return subprocess.run([sys.executable, str(ROOT / ".ci" / "readme_commands.py"), which],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(not os.environ.get("CI") and not os.environ.get("MONITOR_TEST_WHEEL"),
                    reason="installs the wheel into a fresh venv (set MONITOR_TEST_WHEEL=1; .ci/run does)")
def test_readme_deployment_install_line_gives_a_working_monitor_once(tmp_path: Path) -> None:
    """The README's deployment install, as written (a non-editable wheel install with the [postgres]
    extra, the machine's own python3 and the pip its venv ships), then `monitor once` offline."""
    line = _readme_line("deploy")
    assert "/opt/monitor" in line and "[postgres]" in line and "-e " not in line
    venv = tmp_path / "venv"
    (tmp_path / "monitor").symlink_to(ROOT)  # the line installs './monitor': a checkout beside us
    install = subprocess.run(["bash", "-euo", "pipefail", "-c", line.replace("/opt/monitor", str(venv))],
                             cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    python = venv / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import monitor, psycopg; print(monitor.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(venv)), f"imported {where}, not the installed wheel"
    names = subprocess.run([str(python), "-c", "import importlib.resources as r; "
                            "print(r.files('monitor._seeds').joinpath('manifest.toml').is_file(), "
                            "r.files('monitor._templates').joinpath('digest.html.j2').is_file())"],
                           capture_output=True, text=True, check=True).stdout.split()
    assert names == ["True", "True"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_DATA_DIR"] = str(tmp_path / "data")
    run = subprocess.run([str(venv / "bin" / "monitor"), "once"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "written to" in run.stdout
    written = {p.name for p in (tmp_path / "data" / "digests").glob("*.html")}
    assert "index.html" in written and len(written) >= 2  # the week's digest and the archive index


def test_ci_runs_the_readme_quick_start_verbatim() -> None:
    """.ci/run reads both quick-start commands out of the README (so they can never disagree) and
    does not upgrade pip, which the README does not do either."""
    first, second = _readme_line("1"), _readme_line("2")
    assert first.startswith("python3 -m venv .venv") and first.endswith("monitor once")
    assert "python -m pytest" in second
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_commands.py 1" in ci and "readme_commands.py 2" in ci
    assert 'bash -euo pipefail -c "$first"' in ci and 'bash -euo pipefail -c "$second"' in ci
    assert "--upgrade pip" not in ci and "pip install" not in ci  # no install step the README lacks
