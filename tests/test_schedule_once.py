"""`monitor once`: fetch, then the weekly digest once when due; two runs started together never both fetch
or both send (real processes, a real HTTP feed, a real SMTP server)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW
from ingest_helpers import article_html, rss
from smtp_helpers import Inbox
from sqlalchemy import select

from monitor.config import Config
from monitor.core import Monitor
from monitor.store.models import Article, Run
from monitor.testing import LocalSite, Resource

#: Generous bound for a helper process (never asserted as a duration).
PATIENCE_SECONDS = 180
EXIT_LOCKED = 75


class GatedResource(Resource):
    """A resource whose answer waits until the test opens ``gate`` (so a run is provably mid-fetch)."""

    gate: threading.Event

    @property  # type: ignore[override]
    def delay(self) -> float:
        self.gate.wait(PATIENCE_SECONDS)
        return 0.0

    @delay.setter
    def delay(self, _value: float) -> None:
        pass




@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as local:
        local.add("/feed.xml", rss("Wire", [("Moscow and Pyongyang sign a treaty", local.url("/a1"), "s")]),
                  content_type="application/rss+xml")
        local.add("/a1", article_html("Moscow and Pyongyang sign a treaty"))
        yield local


def _tables(site: LocalSite, port: int | None, **schedule: Any) -> dict[str, Any]:
    tables: dict[str, Any] = {"feeds": [{"url": site.url("/feed.xml"), "name": "Wire", "lang": "en"}],
                              "schedule": {"lock_timeout_seconds": 0, **schedule},
                              "watch": {"seeds_dir": str(Path.cwd() / "no-seeds")}}
    if port:
        tables["smtp"] = {"host": "127.0.0.1", "port": port, "security": "none",
                          "from": "Watch <watch@example.org>", "timeout_seconds": 10}
    return tables


def _monitor(make_config: Callable[..., Config], tables: dict[str, Any], now: datetime = NOW) -> Monitor:
    monitor = Monitor(make_config(**tables), clock=lambda: now)
    monitor.ensure_schema()
    return monitor


def test_once_fetches_then_writes_the_due_digest_once(make_config: Callable[..., Config],
                                                      site: LocalSite) -> None:
    with _monitor(make_config, _tables(site, None)) as monitor:
        first = monitor.once()
        assert first.fetch["new_articles"] == 1
        assert first.digest.week == "2026-W46" and first.digest.action == "written"
        assert first.digest.files["html"].exists()
        again = monitor.once()
        assert again.digest.action == "already-built"
        assert again.lines()[-1] == "digest 2026-W46: already written"
        with monitor.db.session(read_only=True) as session:
            assert len(session.scalars(select(Run).where(Run.kind == "fetch")).all()) == 2
            assert len(session.scalars(select(Run).where(Run.kind == "digest")).all()) == 1


def test_once_does_not_build_a_digest_before_it_is_due(make_config: Callable[..., Config],
                                                       site: LocalSite) -> None:
    monday_early = datetime(2026, 11, 16, 6, 0)  # the digest of week 46 is due at 08:00 UTC
    with _monitor(make_config, _tables(site, None), now=monday_early) as monitor:
        report = monitor.once()
    assert report.digest.action == "not-due"
    assert report.digest.line() == "digest 2026-W46: not due until 2026-11-16 08:00 UTC"
    assert report.fetch["new_articles"] == 1


def test_once_sends_the_due_digest_once_and_no_send_only_writes_it(
        make_config: Callable[..., Config], site: LocalSite, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    with _monitor(make_config, _tables(site, port)) as monitor:
        monitor.add_subscriber("ann@example.org")
        assert monitor.once(send=False).digest.action == "written"
        assert handler.recipients == []
        sent = monitor.once()
        assert (sent.digest.action, sent.digest.sent) == ("sent", 1)
        assert monitor.once().digest.action == "already-sent"
    assert handler.recipients == ["ann@example.org"]


def test_housekeeping_prunes_old_raw_html_and_keeps_recent(make_config: Callable[..., Config]) -> None:
    monitor = Monitor(make_config(schedule={"raw_html_max_age_days": 30}), clock=lambda: NOW)
    monitor.ensure_schema()
    with monitor.db.session() as session:
        for name, age in (("old", 45), ("recent", 5)):
            when = NOW - timedelta(days=age)
            session.add(Article(id=f"a-{name}", url=f"https://example.org/{name}", title=name, text=name,
                                content_hash=name, raw_html=b"x" * 1000, raw_fetched_at=when,
                                first_seen_at=when))
    stats = monitor.housekeeping()
    with monitor.db.session(read_only=True) as session:
        kept = {a.id: a.raw_html is not None for a in session.scalars(select(Article))}
        logged = session.scalars(select(Run).where(Run.kind == "housekeeping")).all()
    monitor.close()
    assert kept == {"a-old": False, "a-recent": True}
    assert stats["raw_html_pruned"] == 1 and stats["compacted"] in ("vacuum+analyze", "analyze")
    assert len(logged) == 1


# -- two real processes -------------------------------------------------------------------------------


def _start_once(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "MONITOR_CONFIG": str(config)}
    return subprocess.Popen([sys.executable, "-m", "monitor", "once"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_first_exit(procs: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    done = threading.Event()
    for proc in procs:
        threading.Thread(target=lambda p=proc: (p.wait(), done.set()), daemon=True).start()
    assert done.wait(PATIENCE_SECONDS)
    return next(p for p in procs if p.poll() is not None)


def _gate_feed(site: LocalSite) -> threading.Event:
    gate = threading.Event()
    resource = GatedResource(site.resources["/feed.xml"].body, content_type="application/rss+xml")
    resource.gate = gate
    site.resources["/feed.xml"] = resource
    return gate


def _prepare(write_config: Callable[..., Path], site: LocalSite, port: int, lock_timeout: int) -> Path:
    config = write_config(_tables(site, port, lock_timeout_seconds=lock_timeout)
                          | {"digest": {"time": "00:00", "weekday": "monday"}})
    with Monitor.from_config_file(config) as monitor:
        monitor.init()
        monitor.add_subscriber("ann@example.org")
    return config


def test_two_runs_started_together_fetch_and_send_once_and_sqlite_refuses_the_second(
        write_config: Callable[..., Path], site: LocalSite, inbox: tuple[Inbox, int],
        database_url: str) -> None:
    handler, port = inbox
    config = _prepare(write_config, site, port, lock_timeout=0)
    gate = _gate_feed(site)
    procs = [_start_once(config), _start_once(config)]
    if database_url.startswith("postgresql"):
        # On PostgreSQL the fetch runs outside the lock (feed claims): the second run finds the feed
        # claimed, takes the lock for the digest and sends it; the first, once its fetch is through,
        # finds it already sent, or (lock_timeout 0) finds the lock still held — for init or for the
        # digest — and exits 75. Either way the feed is fetched once and the subscriber mailed once.
        try:
            _wait_first_exit(procs)
            gate.set()
            outputs = [proc.communicate(timeout=PATIENCE_SECONDS) for proc in procs]
        finally:
            gate.set()
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        codes = sorted(proc.returncode for proc in procs)
        assert codes in ([0, 0], [0, EXIT_LOCKED]), outputs
        lines = sorted(out.splitlines()[-1] for out, _ in outputs if out.strip())
        assert lines[-1].endswith(": sent to 1 subscribers"), lines
        if codes == [0, 0]:
            assert lines[0].endswith(": already sent"), lines
        else:
            assert any("another monitor run holds the lock" in err for _, err in outputs), outputs
        assert len(site.requests_to("/feed.xml")) == 1
        assert handler.recipients == ["ann@example.org"]
        return
    try:
        loser = _wait_first_exit(procs)  # the winner cannot finish: its feed request waits for the gate
        gate.set()
        winner = next(p for p in procs if p is not loser)
        winner.wait(PATIENCE_SECONDS)
        loser_err, winner_out = loser.stderr.read(), winner.stdout.read()  # type: ignore[union-attr]
    finally:
        gate.set()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert loser.returncode == EXIT_LOCKED, loser_err
    assert loser_err.startswith(
        f"monitor: error: another monitor run holds the lock (pid {winner.pid} since ")
    assert loser_err.rstrip().endswith("; try again later")
    assert winner.returncode == 0, winner.stderr.read()  # type: ignore[union-attr]
    assert "sent to 1 subscribers" in winner_out
    assert len(site.requests_to("/feed.xml")) == 1
    assert handler.recipients == ["ann@example.org"]


def test_two_runs_started_together_the_second_waits_then_finds_nothing_to_do(
        write_config: Callable[..., Path], site: LocalSite, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    config = _prepare(write_config, site, port, lock_timeout=PATIENCE_SECONDS)
    gate = _gate_feed(site)
    procs = [_start_once(config), _start_once(config)]
    try:
        gate.set()
        outputs = [proc.communicate(timeout=PATIENCE_SECONDS) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    lines = sorted(out.splitlines()[-1] for out, _ in outputs)
    assert lines[0].endswith(": already sent") and lines[1].endswith(": sent to 1 subscribers"), lines
    assert len(site.requests_to("/feed.xml")) == 1  # the second run found the feed not yet due again
    assert handler.recipients == ["ann@example.org"]
