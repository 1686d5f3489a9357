"""`monitor fetch` end to end against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from conftest import NOW
from ingest_helpers import article_html, rss
from sqlalchemy import select

from monitor.config import Config
from monitor.core import Monitor
from monitor.store.models import Article, Feed, Run
from monitor.testing import LocalSite


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


def make_monitor(config: Config, clock: Callable[[], object] | None = None) -> Monitor:
    m = Monitor(config, clock=clock or (lambda: NOW))  # type: ignore[arg-type]
    m.ensure_schema()
    return m


def feeds_config(make_config: Callable[..., Config], site: LocalSite, paths: list[str],
                 **fetch: object) -> Config:
    return make_config(feeds=[{"url": site.url(p), "name": p.strip("/")} for p in paths],
                       fetch={"allow_private_addresses": True, **fetch})


def articles(m: Monitor) -> list[Article]:
    with m.db.session(read_only=True) as session:
        return list(session.scalars(select(Article).order_by(Article.url)))


def feed_rows(m: Monitor) -> dict[str, Feed]:
    with m.db.session(read_only=True) as session:
        return {f.name: f for f in session.scalars(select(Feed))}


def test_fetch_stores_articles_once_and_second_fetch_is_conditional(make_config, site: LocalSite) -> None:
    a = site.add("/a.html", article_html("Treaty signed"))
    b = site.add("/b.html", article_html("Troops move"))
    site.add("/one.xml", rss("One", [("Treaty signed", a + "?utm_source=rss&utm_medium=feed", "s1"),
                                     ("Troops move", b, "s2")]), content_type="application/rss+xml")
    site.add("/two.xml", rss("Two", [("Treaty signed", a + "#comments", "s1")]), gzip=True)
    now = [NOW]
    m = make_monitor(feeds_config(make_config, site, ["/one.xml", "/two.xml"]), clock=lambda: now[0])

    first = m.fetch()
    stored = articles(m)
    assert first.new_articles == 2 and first.feeds_failed == 0
    assert [x.url for x in stored] == [a, b]  # tracking parameters and fragment dropped, stored once
    assert stored[0].title == "Treaty signed" and stored[0].source == "Example News"
    assert stored[0].extraction == "page" and stored[0].lang == "en" and stored[0].raw_html
    assert "military cooperation" in stored[0].text and "Copyright" not in stored[0].text

    page_requests = len(site.requests_to("/a.html"))
    now[0] = NOW + timedelta(hours=2)
    second = m.fetch()
    assert second.feeds_unchanged == 2 and second.new_articles == 0
    for path in ("/one.xml", "/two.xml"):
        first_request, second_request = site.requests_to(path)
        assert "if-none-match" not in first_request.headers and "if-none-match" in second_request.headers
        assert first_request.headers["user-agent"].startswith("monitor/")
    assert len(site.requests_to("/a.html")) == page_requests  # nothing fetched or extracted again


def test_each_broken_feed_is_recorded_and_the_others_still_ingest(make_config, site: LocalSite) -> None:
    good = site.add("/good.html", article_html("Good article"))
    site.add("/good.xml", rss("Good", [("Good article", good, "summary")]))
    site.add("/gone.xml", b"", status=410)
    site.add("/error.xml", b"oops", status=500)
    site.add("/slow.xml", rss("Slow", []), delay=3)
    site.add("/garbage.xml", bytes(range(256)) * 40, content_type="application/rss+xml")
    site.add("/huge.xml", rss("Huge", [("x", "http://example.org/" + "x" * 100, "y" * 3000)] * 100))
    site.add("/bomb.xml", gzip.compress(b"<rss>" + b" " * 50_000_000), raw_gzip=True)
    paths = ["/good.xml", "/missing.xml", "/gone.xml", "/error.xml", "/slow.xml", "/garbage.xml",
             "/huge.xml", "/bomb.xml"]
    m = make_monitor(feeds_config(make_config, site, paths, read_timeout_seconds=1.0, max_feed_bytes=200_000))

    summary = m.fetch()

    assert summary.new_articles == 1 and summary.feeds_polled == 8 and summary.feeds_failed == 7
    rows = feed_rows(m)
    assert "404" in rows["missing.xml"].last_error
    assert "410" in rows["gone.xml"].last_error and not rows["gone.xml"].enabled
    assert "500" in rows["error.xml"].last_error
    assert "timed out" in rows["slow.xml"].last_error
    assert "not a feed" in rows["garbage.xml"].last_error
    assert "larger than 200000 bytes" in rows["huge.xml"].last_error
    assert "after decompression" in rows["bomb.xml"].last_error
    assert rows["good.xml"].last_error is None and rows["good.xml"].consecutive_failures == 0
    assert all(rows[p.strip("/")].consecutive_failures == 1 for p in paths[1:])
    with m.db.session(read_only=True) as session:
        run = session.scalars(select(Run).where(Run.kind == "fetch")).one()
    stats = json.loads(run.stats)
    assert stats["feeds_failed"] == 7 and "feeds" in stats["timings"]
    assert m.status()["last_fetch"]["stats"]["new_articles"] == 1


def test_many_batches_polled_ahead_store_every_article_once(make_config, site: LocalSite) -> None:
    """Past the first batch, the next batch is polled while this one is stored: four batches of eight
    feeds, one broken feed among them, every feed polled once, every article stored once, and every
    feed's health recorded with its claim ended."""
    paths, links = [], set()
    for k in range(30):
        if k == 13:
            paths.append(site.add("/feeds/13.xml", b"oops", status=500))
            continue
        items = []
        for j in range(2):
            link = site.add(f"/p/{k}-{j}.html", article_html(f"Story {k}-{j} on the treaty"))
            items.append((f"Story {k}-{j}", link, f"Summary {k}-{j}."))
            links.add(link)
        items.append(("Wire story", site.url("/p/wire.html"), "Carried by every feed."))
        paths.append(site.add(f"/feeds/{k}.xml", rss(f"Feed {k}", items)))
    site.add("/p/wire.html", article_html("Wire story"))
    links.add(site.url("/p/wire.html"))
    m = make_monitor(make_config(feeds=[{"url": p, "name": p.rsplit("/", 1)[1]} for p in paths],
                                 fetch={"allow_private_addresses": True, "concurrency": 2,
                                        "extract_workers": 2}))

    summary = m.fetch()

    assert summary.feeds_polled == 30 and summary.feeds_failed == 1
    assert summary.new_articles == len(links) == 59
    assert {a.url for a in articles(m)} == links and len(articles(m)) == len(links)
    assert all(a.extraction == "page" for a in articles(m))
    assert {len(site.requests_to(f"/feeds/{k}.xml")) for k in range(30)} == {1}
    rows = feed_rows(m)
    assert "500" in rows["13.xml"].last_error
    assert all(f.lease_until is None for f in rows.values())
    assert all(f.last_success_at is not None for name, f in rows.items() if name != "13.xml")


def test_failing_feed_backs_off_and_recovers(make_config, site: LocalSite) -> None:
    site.add("/flaky.xml", b"down", status=503)
    now = [NOW]
    m = make_monitor(feeds_config(make_config, site, ["/flaky.xml"], backoff_after_failures=2,
                                  interval_minutes=60), clock=lambda: now[0])
    for hour in range(3):
        now[0] = NOW + timedelta(hours=hour * 10)
        m.fetch()
    feed = feed_rows(m)["flaky.xml"]
    assert feed.consecutive_failures == 3
    assert feed.next_fetch_at == now[0] + timedelta(hours=4)  # 60 min doubled twice past the threshold
    now[0] += timedelta(hours=1)
    assert m.fetch().feeds_polled == 0  # backing off: not due yet
    site.add("/flaky.xml", rss("Flaky", []))
    now[0] += timedelta(hours=4)
    assert m.fetch().feeds_failed == 0
    assert feed_rows(m)["flaky.xml"].consecutive_failures == 0


def test_permanent_redirect_updates_the_feed_url(make_config, site: LocalSite) -> None:
    site.add("/new.xml", rss("Moved", []))
    site.redirect("/old.xml", site.url("/new.xml"), status=301)
    site.redirect("/temp.xml", site.url("/new2.xml"), status=302)
    site.add("/new2.xml", rss("Temp", []))
    m = make_monitor(feeds_config(make_config, site, ["/old.xml", "/temp.xml"]))
    m.fetch()
    urls = {f["url"]: f for f in m.list_feeds()}
    assert urls[site.url("/new.xml")]["enabled"] and urls[site.url("/temp.xml")]["enabled"]
    assert not urls[site.url("/old.xml")]["enabled"]
    assert "moved permanently" in urls[site.url("/old.xml")]["disabled_reason"]
    m.fetch(force=True)  # the configuration still names the old URL: it does not come back
    assert len(site.requests_to("/old.xml")) == 1


def test_private_addresses_are_refused_unless_allowed(make_config, site: LocalSite) -> None:
    site.add("/feed.xml", rss("Local", []))
    m = make_monitor(make_config(feeds=[{"url": site.url("/feed.xml"), "name": "local"}],
                                 fetch={"allow_private_addresses": False}))
    summary = m.fetch()
    assert summary.feeds_failed == 1
    assert "refused address 127.0.0.1" in feed_rows(m)["local"].last_error
    assert site.requests_to("/feed.xml") == []


def test_redirect_to_a_private_address_is_refused(site: LocalSite) -> None:
    # the guard runs on every hop: checked directly on the redirect target's resolved addresses
    from monitor.config import FetchConfig
    from monitor.errors import FetchError
    from monitor.ingest.http import HttpClient
    from monitor.ingest.netguard import address_is_public, check_url

    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fe80::1",
                    "224.0.0.1", "0.0.0.0", "::ffff:127.0.0.1", "100.64.0.1"):
        assert not address_is_public(address), address
    assert address_is_public("93.184.216.34") and address_is_public("2606:4700::1111")
    for url in ("http://127.0.0.1/x", "http://localhost:8080/", "file:///etc/passwd", "ftp://example.org/"):
        with pytest.raises(FetchError):
            check_url(url, allow_private=False)
    # and the connection itself is refused even if a name changed its answer after the check
    site.add("/x", "secret")
    with HttpClient(FetchConfig(allow_private_addresses=False)) as http, \
            pytest.raises(FetchError, match="refused address 127.0.0.1"):
        http._one(site.url("/x").replace("127.0.0.1", "localhost"), {}, 1000)  # past check_url
    assert site.requests_to("/x") == []


def test_failed_page_falls_back_to_the_feed_summary(make_config, site: LocalSite) -> None:
    summary_text = "Kim Jong Un received a Russian delegation in Pyongyang on Friday, state media said."
    site.add("/feed.xml", rss("Feed", [
        ("Missing page", site.url("/missing.html"), summary_text),
        ("Empty page", site.url("/empty.html"), "An empty page summary about Moscow and Pyongyang talks."),
        ("Blocked page", site.url("/private/blocked.html"), "Blocked summary")]))
    site.add("/empty.html", "<html><body><div>Subscribe</div></body></html>")
    site.add("/private/blocked.html", article_html("Blocked"))
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    m = make_monitor(feeds_config(make_config, site, ["/feed.xml"]))

    summary = m.fetch()

    assert summary.new_articles == 3 and summary.fallbacks == 3
    stored = {a.title: a for a in articles(m)}
    assert stored["Missing page"].text == summary_text
    assert stored["Missing page"].extraction == "feed-summary"
    assert "404" in stored["Missing page"].extraction_note
    assert "robots.txt" in stored["Blocked page"].extraction_note
    assert site.requests_to("/private/blocked.html") == []


def test_hostile_feeds_are_recorded_errors(make_config, site: LocalSite) -> None:
    lol = '<!ENTITY a "lol">' + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                                        for i in range(8))
    site.add("/laughs.xml", f'<?xml version="1.0"?><!DOCTYPE rss [{lol}]><rss version="2.0"><channel>'
                            f"<title>&i;</title><item><title>&i;</title><link>http://x.org/</link></item>"
                            "</channel></rss>")
    site.add("/xxe.xml", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                         '<rss version="2.0"><channel><title>&x;</title></channel></rss>')
    site.add("/latin1.xml", rss("Caf\u00e9", []).replace("utf-8", "iso-8859-1").encode("latin-1"),
             content_type="application/rss+xml")
    long_title = "T" * 5000
    site.add("/odd.xml", rss(long_title, [("x", "http://[broken/", "s"), ("y", "javascript:alert(1)", "s")]),
             validators=False, headers={"ETag": '"' + "e" * 3000 + '"'}, content_type="application/rss+xml")
    m = make_monitor(feeds_config(make_config, site, ["/laughs.xml", "/xxe.xml", "/latin1.xml", "/odd.xml"]))
    summary = m.fetch()
    rows = feed_rows(m)
    assert summary.feeds_failed == 2 and summary.new_articles == 0
    assert rows["odd.xml"].etag is None and rows["odd.xml"].consecutive_failures == 0
    assert "entities" in rows["laughs.xml"].last_error and "entities" in rows["xxe.xml"].last_error
    assert rows["latin1.xml"].last_error is None


def test_a_run_that_dies_half_way_loses_and_duplicates_nothing(make_config, site: LocalSite) -> None:
    from sqlalchemy import text

    from monitor.text import url_article_id

    pages = [site.add(f"/s{i}.html", article_html(f"Story {i}")) for i in range(3)]
    site.add("/feed.xml", rss("Feed", [(f"Story {i}", u, "s") for i, u in enumerate(pages)]))
    now = [NOW]
    m = make_monitor(feeds_config(make_config, site, ["/feed.xml"]), clock=lambda: now[0])
    if not m.db.is_sqlite:
        pytest.skip("the failure is injected with a SQLite trigger")
    doomed = url_article_id(pages[1])
    with m.db.session() as session:  # a real database failure while storing the second article
        session.execute(text(f"CREATE TRIGGER boom BEFORE INSERT ON articles WHEN NEW.id = '{doomed}' "
                             "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"))
    with pytest.raises(Exception, match="disk on fire"):
        m.fetch()
    stored_before = {a.url for a in articles(m)}
    assert pages[1] not in stored_before and all(a.text for a in articles(m))  # whole articles only
    assert feed_rows(m)["feed.xml"].etag is None  # validators not saved: the next run reads it in full
    assert m.status()["last_fetch"]["ok"] is False
    with m.db.session() as session:
        session.execute(text("DROP TRIGGER boom"))
    now[0] = NOW + timedelta(hours=2)
    m.fetch()
    assert sorted(a.url for a in articles(m)) == sorted(pages)
