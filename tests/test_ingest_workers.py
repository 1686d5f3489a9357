"""Several `monitor fetch` processes at once on one database (issue 11, "several fetch workers"): each
feed is polled once per round, each article stored once, no process fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ingest_helpers import rss
from sqlalchemy import func, select, update

from monitor.config import parse_config
from monitor.core import Monitor
from monitor.store.models import Article, Feed
from monitor.testing import LocalSite, toml_dumps
from monitor.text import content_hash

FEEDS = 200
WORKERS = 3
#: Entries shared by many feeds (as wire stories are): the workers race to store the same article.
SHARED = 10


def serve(site: LocalSite) -> tuple[list[dict[str, str]], set[str]]:
    feeds, links = [], set()
    for k in range(FEEDS):
        items = [(f"Story {k}-{j}", site.url(f"/p/{k}-{j}.html"), f"Summary of story {k}-{j} on the border.")
                 for j in range(2)]
        items.append((f"Wire {k % SHARED}", site.url(f"/p/wire-{k % SHARED}.html"), "A wire story, shared."))
        links.update(link for _, link, _ in items)
        feeds.append({"url": site.add(f"/feeds/{k}.xml", rss(f"Feed {k}", items),
                                      content_type="application/rss+xml"), "name": f"Feed {k}"})
    return feeds, links


def run_workers(config: Path) -> list[dict[str, object]]:
    cmd = [sys.executable, "-m", "monitor", "--config", str(config), "fetch", "--no-analyze", "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(WORKERS)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err
    return [json.loads(out) for out, _ in outputs]


def test_three_fetch_workers_poll_each_feed_once_and_store_each_article_once(
        database_url: str, tmp_path: Path) -> None:
    with LocalSite() as site:
        feeds, links = serve(site)
        data = {"database": {"url": database_url}, "feeds": feeds,
                "fetch": {"allow_private_addresses": True, "fetch_pages": False},
                "watch": {"seeds_dir": str(tmp_path / "no-seeds")}}
        (tmp_path / "no-seeds").mkdir()
        config = tmp_path / "monitor.toml"
        config.write_text(toml_dumps(data), encoding="utf-8")
        m = Monitor(parse_config(data))
        m.ensure_schema()

        first = run_workers(config)
        polled = {k: len(site.requests_to(f"/feeds/{k}.xml")) for k in range(FEEDS)}
        assert set(polled.values()) == {1}  # every feed exactly once in the round
        assert sum(int(s["feeds_polled"]) for s in first) == FEEDS  # type: ignore[call-overload]
        assert sum(int(s["new_articles"]) for s in first) == len(links)  # type: ignore[call-overload]
        with m.db.session(read_only=True) as session:
            assert session.scalar(select(func.count()).select_from(Article)) == len(links)
            assert set(session.scalars(select(Article.url))) == links
            rows = session.execute(select(Article.text, Article.content_hash)).all()
            assert all(h == content_hash(t) for t, h in rows)  # hashed in the workers, as the store does
            assert session.scalar(select(func.count()).select_from(Feed).where(
                Feed.lease_until.is_not(None))) == 0  # every claim ended with its poll

        with m.db.session() as session:  # an hour later: every feed is due again
            session.execute(update(Feed).values(next_fetch_at=None))
        second = run_workers(config)
        polled = {k: len(site.requests_to(f"/feeds/{k}.xml")) for k in range(FEEDS)}
        assert set(polled.values()) == {2}
        assert sum(int(s["feeds_unchanged"]) for s in second) == FEEDS  # type: ignore[call-overload]
        assert sum(int(s["new_articles"]) for s in second) == 0  # type: ignore[call-overload]
    m.close()


def test_a_worker_killed_mid_run_holds_its_feeds_only_until_the_lease_expires(
        database_url: str, tmp_path: Path) -> None:
    import os
    import signal
    import time
    from datetime import timedelta

    from monitor.store import utcnow
    from monitor.store.feeds import LEASE

    with LocalSite() as site:
        feeds = [{"url": site.add(f"/slow/{k}.xml", rss(f"Slow {k}", [(f"S{k}", site.url(f"/s/{k}"), "t")]),
                                  delay=1.0, content_type="application/rss+xml")} for k in range(10)]
        data = {"database": {"url": database_url}, "feeds": feeds,
                "fetch": {"allow_private_addresses": True, "fetch_pages": False},
                "watch": {"seeds_dir": str(tmp_path / "no-seeds")}}
        (tmp_path / "no-seeds").mkdir()
        config = tmp_path / "monitor.toml"
        config.write_text(toml_dumps(data), encoding="utf-8")
        m = Monitor(parse_config(data), clock=utcnow)
        m.ensure_schema()
        proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "fetch",
                                 "--no-analyze"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not site.requests_to("/slow/0.xml") and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _children(proc.pid)  # its worker processes, forked before any request
        os.kill(proc.pid, signal.SIGKILL)  # while its requests wait on the slow server
        proc.wait()
        # Its workers end with it: left running, they held its database socket open, and PostgreSQL kept
        # the killed run's transaction and its locks (a re-run then waited on them for good).
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        if sys.platform.startswith("linux"):
            assert workers and not [pid for pid in workers if _alive(pid)]
        with m.db.session(read_only=True) as session:
            leased = session.scalar(select(func.count()).select_from(Feed)
                                    .where(Feed.lease_until.is_not(None)))
            assert leased == 10 and session.scalar(select(func.count()).select_from(Article)) == 0

        soon = utcnow() + timedelta(minutes=5)
        m.clock = lambda: soon
        assert m.fetch().feeds_polled == 0  # still claimed by the dead worker
        after = utcnow() + LEASE + timedelta(minutes=1)
        m.clock = lambda: after
        summary = m.fetch()
        assert summary.feeds_polled == 10 and summary.new_articles == 10
    m.close()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux ``/proc``; empty elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
