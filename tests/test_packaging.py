"""The package as an operator installs it: a wheel (not the source tree) must carry everything it needs."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "monitor").rglob("__init__.py")}
    assert found <= listed


@pytest.mark.skipif(not os.environ.get("CI") and not os.environ.get("MONITOR_TEST_WHEEL"),
                    reason="builds and installs a wheel (set MONITOR_TEST_WHEEL=1; CI always runs it)")
def test_installed_wheel_runs_once_with_its_own_seeds_and_templates(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "monitor/_seeds/manifest.toml" in names and "monitor/_templates/digest.html.j2" in names
    # Run the installed code, not the source tree: unpack the wheel and put it first on the path.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site), "MONITOR_DATA_DIR": str(tmp_path / "data")}
    config = tmp_path / "monitor.toml"
    config.write_text("feeds = []\n")
    run = subprocess.run([sys.executable, "-c", "import monitor, sys; print(monitor.__file__); "
                          "from monitor.cli import main; sys.exit(main(sys.argv[1:]))",
                          "--config", str(config), "once"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert str(site) in run.stdout.splitlines()[0]
    assert "written to" in run.stdout
    assert len(list((tmp_path / "data" / "digests").glob("*.html"))) >= 2  # the digest and the index
