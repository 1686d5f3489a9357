"""The deployment files: systemd units that `systemd-analyze verify` accepts, hardened, and the examples."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ("monitor.service", "monitor-fetch.service", "monitor-digest.service", "monitor-fetch.timer",
         "monitor-digest.timer")
SERVICES = [u for u in UNITS if u.endswith(".service")]
INSTALLED_BINARY = "/usr/local/bin/monitor"
HARDENING = ("DynamicUser=yes", "StateDirectory=monitor", "Environment=MONITOR_DATA_DIR=/var/lib/monitor",
             "EnvironmentFile=-/etc/monitor/monitor.env", "ProtectSystem=strict", "ProtectHome=yes",
             "NoNewPrivileges=yes", "PrivateTmp=yes", "PrivateDevices=yes",
             "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SuccessExitStatus=75")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    # verify checks that ExecStart's binary exists: point the copies at this environment's `monitor`.
    binary = Path(sys.executable).with_name("monitor")
    assert binary.exists()
    for unit in UNITS:
        text = (DEPLOY / unit).read_text(encoding="utf-8")
        (tmp_path / unit).write_text(text.replace(INSTALLED_BINARY, str(binary)), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", *[str(tmp_path / u) for u in UNITS]],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "monitor" not in result.stderr, result.stderr  # no warning about our units either


@pytest.mark.parametrize("unit", SERVICES)
def test_services_are_hardened_and_run_the_installed_command(unit: str) -> None:
    text = (DEPLOY / unit).read_text(encoding="utf-8")
    for line in HARDENING:
        assert line in text.splitlines(), f"{unit} lacks {line}"
    command = "run" if unit == "monitor.service" else "once"
    assert f"ExecStart={INSTALLED_BINARY} --config /etc/monitor/monitor.toml {command}" in text


def test_timers_are_persistent_so_a_missed_run_happens_at_boot() -> None:
    for unit in ("monitor-fetch.timer", "monitor-digest.timer"):
        assert "Persistent=yes" in (DEPLOY / unit).read_text(encoding="utf-8").splitlines()


def test_examples_for_cron_and_secrets() -> None:
    crontab = (DEPLOY / "crontab.example").read_text(encoding="utf-8")
    assert "/usr/local/bin/monitor -q once" in crontab and "monitor -q housekeeping" in crontab
    env = (DEPLOY / "monitor.env.example").read_text(encoding="utf-8")
    assert "MONITOR_SMTP_PASSWORD=" in env


def test_readme_has_a_deployment_guide() -> None:
    readme = (DEPLOY.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Deployment"):]
    for needle in ("systemctl enable --now monitor.service", "journalctl -u monitor", "monitor init",
                   "monitor-fetch.timer", "crontab.example", "monitor.env"):
        assert needle in section, needle
