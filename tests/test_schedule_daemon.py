"""`monitor run` as a real process: the fetch job runs at start-up, SIGTERM waits for the running job to
finish (nothing half-written), and the log lines are journald-friendly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from ingest_helpers import article_html, rss
from sqlalchemy import select
from test_schedule_once import PATIENCE_SECONDS, GatedResource

from monitor.core import Monitor
from monitor.store.models import Article, Run
from monitor.testing import LocalSite


def test_sigterm_lets_the_running_fetch_finish_then_stops(write_config: Callable[..., Path]) -> None:
    with LocalSite() as site:
        feed = rss("Wire", [("Moscow and Pyongyang sign a treaty", site.url("/a1"), "s")])
        gate = threading.Event()
        resource = GatedResource(feed.encode(), content_type="application/rss+xml")
        resource.gate = gate
        site.resources["/feed.xml"] = resource
        site.add("/a1", article_html("Moscow and Pyongyang sign a treaty"))
        config = write_config({"feeds": [{"url": site.url("/feed.xml"), "name": "Wire", "lang": "en"}],
                               "watch": {"seeds_dir": str(Path.cwd() / "no-seeds")}})
        env = {**os.environ, "MONITOR_CONFIG": str(config), "JOURNAL_STREAM": "8:12345"}
        proc = subprocess.Popen([sys.executable, "-m", "monitor", "run"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            seen = threading.Event()

            def watch_requests() -> None:
                while not site.requests_to("/feed.xml") and proc.poll() is None:
                    gate.wait(0.05)
                seen.set()

            threading.Thread(target=watch_requests, daemon=True).start()
            assert seen.wait(PATIENCE_SECONDS) and proc.poll() is None  # the fetch job is mid-request
            proc.send_signal(signal.SIGTERM)
            gate.set()
            _, err = proc.communicate(timeout=PATIENCE_SECONDS)
        finally:
            gate.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    lines = err.splitlines()
    assert "<6>monitor.schedule: received SIGTERM" in lines
    assert lines[-1] == "<6>monitor.schedule: stopped"
    assert any(line.startswith("<6>monitor.schedule: fetch: ") for line in lines), err
    assert all(line.startswith("<") for line in lines), err  # every line carries a priority, no timestamps
    with Monitor.from_config_file(config) as monitor, monitor.db.session(read_only=True) as session:
        fetches = session.scalars(select(Run).where(Run.kind == "fetch")).all()
        assert [run.ok for run in fetches] == [True]
        assert session.scalar(select(Article.title)) == "Moscow and Pyongyang sign a treaty"
