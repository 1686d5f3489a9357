"""The run lock on SQLite (lock file) and PostgreSQL (advisory lock): one run at a time, a clear message
for the second, a bounded wait, and no stale lock after the holder dies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
from conftest import NOW

from monitor.config import Config
from monitor.core import Monitor
from monitor.errors import LockError
from monitor.runlock import advisory_key, busy_message

#: Generous bound for a helper process to reach a point (never asserted as a duration).
PATIENCE_SECONDS = 60


def _monitor(make_config: Callable[..., Config], timeout: int) -> Monitor:
    return Monitor(make_config(schedule={"lock_timeout_seconds": timeout}), clock=lambda: NOW)


def test_second_run_gets_a_clear_message_naming_the_holder(make_config: Callable[..., Config]) -> None:
    with _monitor(make_config, 0) as first, _monitor(make_config, 0) as second:
        with first.lock(), pytest.raises(LockError) as caught, second.lock():
            pytest.fail("two runs held the lock at once")
        message = str(caught.value)
        assert message.startswith("another monitor run holds the lock")
        assert f"pid {os.getpid()} since 2026-11-21 12:00:00 UTC" in message
        assert message.endswith("try again later")
        with second.lock():  # released when the holder's block ended
            pass


def test_second_run_waits_for_the_holder_within_the_timeout(make_config: Callable[..., Config]) -> None:
    with _monitor(make_config, 0) as first, _monitor(make_config, PATIENCE_SECONDS) as second:
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            with first.lock():
                holding.set()
                release.wait(PATIENCE_SECONDS)

        holder = threading.Thread(target=hold)
        holder.start()
        assert holding.wait(PATIENCE_SECONDS)
        order: list[str] = []
        def wait_for_it() -> None:
            with second.lock():
                order.append("second got it")

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        order.append("first releases")
        release.set()
        holder.join()
        waiter.join(PATIENCE_SECONDS)
        assert order == ["first releases", "second got it"]


def test_a_killed_holder_leaves_no_stale_lock(make_config: Callable[..., Config]) -> None:
    config = make_config()
    script = (
        "import sys, time\n"
        "from monitor.config import parse_config\n"
        "from monitor.core import Monitor\n"
        f"m = Monitor(parse_config({{'database': {{'url': {config.database.url!r}}}}}))\n"
        "with m.lock():\n"
        "    print('held', flush=True)\n"
        "    time.sleep(600)\n")
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with _monitor(make_config, 0) as other:
            with pytest.raises(LockError, match=f"pid {holder.pid} since"), other.lock():
                pass
            holder.kill()
            holder.wait(PATIENCE_SECONDS)
            with _monitor(make_config, PATIENCE_SECONDS) as after, after.lock():
                pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_lock_keys_differ_per_schema_and_messages_degrade_gracefully() -> None:
    assert advisory_key("test", "a") != advisory_key("test", "b")
    assert 0 < advisory_key("test", "public") < 2**63
    assert busy_message(None) == "another monitor run holds the lock; try again later"


def test_every_command_that_fetches_analyzes_sends_or_prunes_takes_the_lock_and_readers_do_not(
        write_config: Callable[..., object], tmp_path: object, capsys: pytest.CaptureFixture) -> None:
    """With another run holding the lock (lock_timeout 0): writers exit 75 naming the holder, readers run."""
    from pathlib import Path

    from monitor.cli import main
    from monitor.config import load_config

    page = Path(str(tmp_path)) / "note.txt"
    page.write_text("Moscow and Pyongyang sign a treaty.\n\nThe pact was signed in Pyongyang.",
                    encoding="utf-8")
    config = write_config({"schedule": {"lock_timeout_seconds": 0}, "feeds": [],
                           "smtp": {"host": "127.0.0.1", "port": 9, "from": "w@example.org"},
                           "watch": {"seeds_dir": str(Path(str(tmp_path)) / "no-seeds")}})
    with Monitor(load_config(config), clock=lambda: NOW) as holder:
        holder.ensure_schema()
        with holder.lock():
            with holder.lock():  # re-entrant within the holder
                pass
            for args in (["fetch"], ["ingest", str(page)], ["reprocess"], ["digest", "--week", "2026-W46"],
                         ["digest", "--week", "2026-W46", "--send"], ["housekeeping"], ["once"], ["init"],
                         ["seeds", "load", str(page)]):
                assert main(["--config", str(config), *args]) == 75, args
                err = capsys.readouterr().err
                assert err.startswith("monitor: error: another monitor run holds the lock (pid "), (args, err)
            for args in (["status"], ["subscribers", "list"], ["feeds", "list"], ["seeds", "list"],
                         ["subscribers", "add", "ann@example.org"]):
                assert main(["--config", str(config), *args]) == 0, (args, capsys.readouterr().err)
