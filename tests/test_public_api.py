"""The public surface: what ``monitor.__all__`` promises is importable and is the real thing."""

from __future__ import annotations

import subprocess
import sys

import monitor


def test_every_public_name_imports_and_is_what_it_says() -> None:
    import monitor.core
    import monitor.errors

    assert set(monitor.__all__) == {"__version__", *monitor._PUBLIC}
    assert set(monitor.__all__) >= {"Monitor", "load_config", "Config", "MonitorError", "NewArticle"}
    for name in monitor.__all__:
        assert getattr(monitor, name) is not None, name
    assert monitor.Monitor is monitor.core.Monitor
    assert all(issubclass(getattr(monitor, n), monitor.errors.MonitorError)
               for n in monitor.__all__ if n.endswith("Error"))


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        monitor.nothing_here  # noqa: B018
    except AttributeError as exc:
        assert "nothing_here" in str(exc)
    else:
        raise AssertionError("monitor.nothing_here did not raise")


def test_import_monitor_stays_light() -> None:
    """``import monitor`` must not pull in the database layer (the CLI's start-up time depends on it)."""
    code = "import sys, monitor; print('sqlalchemy' in sys.modules, 'monitor.core' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
