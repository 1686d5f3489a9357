"""Fault cases of `monitor fetch` (issue 11): servers that drip, stall, redirect badly, bomb or ask us to
wait; absurd configuration values; dates out of range; a full or corrupt database. Each must end as one
recorded error or one line, with every other feed still ingested and nothing lost."""

from __future__ import annotations

import email.utils
import gzip
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import NOW
from ingest_helpers import ScriptedServer, article_html, drip_body, drip_headers, rss, stall
from sqlalchemy import event, select

from monitor.cli import main
from monitor.config import Config
from monitor.core import Monitor
from monitor.errors import ConfigError, StorageError
from monitor.ingest.http import retry_after_seconds
from monitor.store.models import Article, Feed
from monitor.testing import LocalSite, toml_dumps

#: Small timeouts so a hung server costs the test about a second (the total is 3 read timeouts).
FAST_TIMEOUTS = {"read_timeout_seconds": 0.3, "connect_timeout_seconds": 0.3}


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


def monitor_for(config: Config, clock=lambda: NOW) -> Monitor:  # type: ignore[no-untyped-def]
    m = Monitor(config, clock=clock)
    m.ensure_schema()
    return m


def feeds(m: Monitor) -> dict[str, Feed]:
    with m.db.session(read_only=True) as session:
        return {f.url: f for f in session.scalars(select(Feed))}


def stored_urls(m: Monitor) -> list[str]:
    with m.db.session(read_only=True) as session:
        return sorted(a.url or "" for a in session.scalars(select(Article)))


def good_feed(site: LocalSite) -> tuple[str, str]:
    page = site.add("/good.html", article_html("Treaty signed"))
    return site.add("/good.xml", rss("Good", [("Treaty signed", page, "summary")])), page


@pytest.mark.parametrize("script", [drip_headers, drip_body, stall],
                         ids=["drip-headers", "drip-body", "stall"])
def test_a_server_that_drips_or_stalls_costs_one_deadline_and_the_rest_is_ingested(
        make_config, site: LocalSite, script) -> None:  # type: ignore[no-untyped-def]
    good, page = good_feed(site)
    with ScriptedServer(script) as bad:
        config = make_config(feeds=[{"url": good}, {"url": bad.url("/feed.xml")}], fetch=FAST_TIMEOUTS)
        m = monitor_for(config)
        summary = m.fetch()
    rows = feeds(m)
    assert summary.feeds_failed == 1 and summary.new_articles == 1
    assert stored_urls(m) == [page]
    assert "timed out" in rows[bad.url("/feed.xml")].last_error
    assert rows[bad.url("/feed.xml")].enabled and rows[bad.url("/feed.xml")].consecutive_failures == 1


def test_retry_after_in_seconds_or_as_a_date_sets_the_next_poll_capped(make_config, site: LocalSite) -> None:
    later = email.utils.formatdate(time.time() + 3 * 3600, usegmt=True)
    site.add("/busy.xml", b"slow down", status=429, headers={"Retry-After": "7200"})
    site.add("/down.xml", b"maintenance", status=503, headers={"Retry-After": later})
    site.add("/forever.xml", b"", status=503, headers={"Retry-After": "99999999999999999999"})
    site.add("/plain.xml", b"", status=503)
    urls = [site.url(p) for p in ("/busy.xml", "/down.xml", "/forever.xml", "/plain.xml")]
    config = make_config(feeds=[{"url": u} for u in urls], fetch={"max_backoff_hours": 24})
    m = monitor_for(config)
    m.fetch()
    rows = feeds(m)
    assert rows[urls[0]].next_fetch_at == NOW + timedelta(hours=2)
    assert abs(rows[urls[1]].next_fetch_at - (NOW + timedelta(hours=3))) < timedelta(minutes=5)
    assert rows[urls[2]].next_fetch_at == NOW + timedelta(hours=24)  # capped by max_backoff_hours
    assert rows[urls[3]].next_fetch_at == NOW + timedelta(minutes=60)  # no header: the usual interval
    assert all(rows[u].enabled for u in urls)


def test_retry_after_values() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Sat, 21 Nov 2026 13:00:00 GMT", now) == 3600
    assert retry_after_seconds("Fri, 20 Nov 2026 13:00:00 GMT", now) == 0  # in the past: poll again
    assert retry_after_seconds("soon", now) is None and retry_after_seconds("", now) is None
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", now) > 0


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:70/1"])
def test_a_redirect_to_another_scheme_is_an_error_not_a_removal(make_config, site: LocalSite,
                                                                target: str) -> None:
    url = site.redirect("/moved.xml", target, status=301)
    m = monitor_for(make_config(feeds=[{"url": url}]))
    summary = m.fetch()
    row = feeds(m)[url]
    assert summary.feeds_failed == 1
    assert row.enabled and row.disabled_reason is None and "refused scheme" in row.last_error
    assert row.url == url  # not "moved" to the refused target


def test_a_gzip_bomb_is_refused_and_costs_nothing_else(make_config, site: LocalSite) -> None:
    good, page = good_feed(site)
    bomb = gzip.compress(b"<rss>" + b" " * 50_000_000)
    site.add("/bomb.xml", bomb, raw_gzip=True, content_type="application/rss+xml")
    m = monitor_for(make_config(feeds=[{"url": good}, {"url": site.url("/bomb.xml")}],
                                fetch={"max_feed_bytes": 1_000_000}))
    summary = m.fetch()
    assert summary.feeds_failed == 1 and stored_urls(m) == [page]
    assert "larger than 1000000 bytes" in feeds(m)[site.url("/bomb.xml")].last_error


def test_a_page_that_is_not_html_falls_back_to_the_feed_text(make_config, site: LocalSite) -> None:
    pdf = site.add("/report.pdf", b"%PDF-1.4 " + b"x" * 5000, content_type="application/pdf")
    untyped = site.add("/untyped", article_html("Untyped page").encode(), content_type="")
    site.add("/f.xml", rss("F", [("Report", pdf, "The report on the border crossing at Tumangang."),
                                 ("Untyped", untyped, "s")]))
    m = monitor_for(make_config(feeds=[{"url": site.url("/f.xml")}]))
    m.fetch()
    with m.db.session(read_only=True) as session:
        rows = {a.url: a for a in session.scalars(select(Article))}
    assert rows[pdf].extraction == "feed-summary"
    assert "not an HTML page (application/pdf)" in rows[pdf].extraction_note
    assert rows[untyped].extraction == "page"  # no Content-Type, but the body is HTML


def test_dates_out_of_range_are_dropped_not_fatal(make_config, site: LocalSite) -> None:
    page = site.add("/late.html", article_html("Late").replace(
        "<title>", "<meta property='article:published_time' content='9999-12-31T23:59:59-14:00'><title>"))
    items = "".join(f"<item><title>{t}</title><link>{link}</link><description>s</description>"
                    f"<pubDate>{d}</pubDate></item>" for t, link, d in (
                        ("Late", page, "Fri, 31 Dec 9999 23:59:59 -1400"),
                        ("Early", site.url("/early.html"), "Mon, 01 Jan 0001 00:00:00 +1400")))
    site.add("/early.html", article_html("Early"))
    site.add("/dates.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>D</title>{items}'
                           "</channel></rss>")
    m = monitor_for(make_config(feeds=[{"url": site.url("/dates.xml")}]))
    summary = m.fetch()
    assert summary.new_articles == 2 and summary.feeds_failed == 0


def test_feeds_add_refuses_urls_that_cannot_be_feeds(tmp_path: Path, capsys) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(toml_dumps({"database": {"url": f"sqlite:///{tmp_path / 'm.db'}"}, "feeds": []}))
    for bad in ("http://", "http://exa mple.org/feed", "ftp://example.org/feed"):
        assert main(["--config", str(config), "feeds", "add", bad]) == 2
        err = capsys.readouterr().err
        assert bad in err and err.count("\n") == 1
    assert main(["--config", str(config), "feeds", "list"]) == 0
    assert capsys.readouterr().out.strip() == ""


def test_fetch_with_nothing_due_says_when_the_next_poll_is(make_config, site: LocalSite) -> None:
    good, _ = good_feed(site)
    m = monitor_for(make_config(feeds=[{"url": good}]))
    m.fetch()
    again = m.fetch()
    assert again.feeds_polled == 0
    assert again.line() == ("no feed due; the next poll is due at 2026-11-21 13:00 UTC "
                            "(--force polls every feed now)")
    assert again.stats()["next_poll_at"] == "2026-11-21T13:00:00"


@pytest.mark.parametrize(("table", "key", "value"), [
    ("fetch", "interval_minutes", 10**9), ("fetch", "max_backoff_hours", 10**9),
    ("fetch", "read_timeout_seconds", 0), ("fetch", "connect_timeout_seconds", -1.0),
    ("fetch", "backoff_after_failures", -1), ("schedule", "raw_html_max_age_days", 10**7),
    ("schedule", "fetch_interval_minutes", 10**9), ("smtp", "timeout_seconds", 0),
])
def test_absurd_config_values_are_one_line_naming_file_and_key(  # type: ignore[no-untyped-def]
        tmp_path: Path, capsys, table: str, key: str, value: object) -> None:
    config = tmp_path / "monitor.toml"
    data = {"database": {"url": f"sqlite:///{tmp_path / 'm.db'}"}, table: {key: value}}
    config.write_text(toml_dumps(data))
    assert main(["--config", str(config), "fetch"]) == 2
    err = capsys.readouterr().err
    assert f"{config}: {table}.{key}: expected a number from" in err and err.count("\n") == 1
    from monitor.config import load_config

    with pytest.raises(ConfigError, match=f"{table}.{key}"):
        load_config(config)


def test_a_full_sqlite_database_is_one_line_and_loses_nothing(tmp_path: Path, site: LocalSite) -> None:
    pages = [site.add(f"/p{i}.html", article_html(f"Story {i}", paragraphs=40)) for i in range(12)]
    site.add("/f.xml", rss("F", [(f"Story {i}", p, "s") for i, p in enumerate(pages)]))
    data = {"database": {"url": f"sqlite:///{tmp_path / 'full.db'}"},
            "fetch": {"allow_private_addresses": True}, "feeds": [{"url": site.url("/f.xml")}]}
    from monitor.config import parse_config

    m = monitor_for(parse_config(data))
    with m.db.session() as session:
        pages_now = session.connection().exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(m.db.engine, "connect")
    def small(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages_now + 3}")

    m.db.engine.dispose()
    with pytest.raises(StorageError, match="database or disk is full"):
        m.fetch()
    event.remove(m.db.engine, "connect", small)
    m.db.engine.dispose()
    assert stored_urls(m) == []  # the batch that did not fit was rolled back whole
    m.clock = lambda: NOW + timedelta(hours=1)
    assert m.fetch().new_articles == 12  # with room again, every article arrives once


def test_a_corrupt_sqlite_file_is_one_line_exit_1(tmp_path: Path, site: LocalSite, capsys) -> None:
    good, _ = good_feed(site)
    db = tmp_path / "bad.db"
    config = tmp_path / "monitor.toml"
    config.write_text(toml_dumps({"database": {"url": f"sqlite:///{db}"},
                                  "fetch": {"allow_private_addresses": True}, "feeds": [{"url": good}]}))
    assert main(["--config", str(config), "fetch", "--no-analyze"]) == 0
    capsys.readouterr()
    raw = bytearray(db.read_bytes())
    for offset in range(4096, len(raw), 4096):  # every page after the header page: garbage
        raw[offset:offset + 64] = b"\xff" * 64
    db.write_bytes(bytes(raw))
    for wal in tmp_path.glob("bad.db-*"):
        wal.unlink()
    assert main(["--config", str(config), "fetch", "--no-analyze", "--force"]) == 1
    err = capsys.readouterr().err
    assert "malformed" in err or "not a database" in err
    assert err.count("\n") == 1 and "Traceback" not in err
