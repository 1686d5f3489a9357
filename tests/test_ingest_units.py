"""Pure parts of ingest: canonical URLs, feed parsing, backoff, article building."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest

from monitor.config import FetchConfig
from monitor.errors import ParseError
from monitor.ingest.canonical import canonicalize, is_opaque_aggregator_link
from monitor.ingest.extract import MIN_ARTICLE_WORDS, Extracted, Source, build_article
from monitor.ingest.lang import detect_language
from monitor.ingest.parse import parse_feed
from monitor.store.feeds import backoff_delay
from monitor.text import word_count
from monitor.types import FeedEntry


@pytest.mark.parametrize(("raw", "canonical"), [
    ("HTTPS://WWW.Example.ORG:443/a/b?utm_source=x&id=3&fbclid=y#top", "https://www.example.org/a/b?id=3"),
    ("http://example.org", "http://example.org/"),
    ("http://example.org:8080/x?gclid=1&xtor=RSS-3", "http://example.org:8080/x"),
    ("https://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=1&url=https%3a%2f%2fwww.lemonde.fr%2fa.html"
     "%3futm_campaign%3dx&c=1&mkt=fr-fr", "https://www.lemonde.fr/a.html"),
    ("https://www.google.com/url?rct=j&sa=t&url=https://www.nknews.org/2026/11/x/&ct=ga",
     "https://www.nknews.org/2026/11/x/"),
])
def test_canonical_urls(raw: str, canonical: str) -> None:
    assert canonicalize(raw) == canonical


def test_old_google_news_links_are_unwrapped_and_new_ones_recognised() -> None:
    token = base64.urlsafe_b64encode(b"\x08\x13\x22\x2ahttps://www.france24.com/fr/asie-pacifique/x\xd2\x01")
    url = "https://news.google.com/rss/articles/" + token.decode().rstrip("=") + "?oc=5"
    assert canonicalize(url) == "https://www.france24.com/fr/asie-pacifique/x"
    opaque = canonicalize("https://news.google.com/rss/articles/AU_yqLOpaque?oc=5&hl=en-US")
    assert is_opaque_aggregator_link(opaque)


def test_backoff_doubles_after_the_threshold_up_to_the_cap() -> None:
    config = FetchConfig(interval_minutes=60, backoff_after_failures=3, max_backoff_hours=24)
    assert [backoff_delay(n, config) for n in (0, 2, 3, 4, 10)] == [
        timedelta(hours=1), timedelta(hours=1), timedelta(hours=2), timedelta(hours=4), timedelta(hours=24)]


def test_parse_feed_caps_entries_and_skips_entries_without_a_web_link() -> None:
    items = "".join(f"<item><title>T{i}</title><link>http://e.org/{i}</link>"
                    f"<description>&lt;p&gt;Summary &lt;b&gt;{i}&lt;/b&gt;&lt;/p&gt;</description></item>"
                    for i in range(10))
    doc = (f'<rss version="2.0"><channel><title>F</title><item><title>no link</title></item>{items}'
           "</channel></rss>")
    parsed = parse_feed(doc.encode(), "http://e.org/feed", max_entries=3)
    assert [e.title for e in parsed.entries] == ["T0", "T1", "T2"]
    assert parsed.entries[0].summary == "Summary 0" and parsed.feed_type == "rss20"


def test_relative_entry_links_resolve_against_the_feeds_base_or_address() -> None:
    rss = ('<rss version="2.0"><channel><title>F</title><item><title>A</title><link>/news/a.html</link>'
           "</item><item><title>B</title><link>https://cdn.example/b.html</link></item></channel></rss>")
    parsed = parse_feed(rss.encode(), "https://e.org/feeds/world.xml", max_entries=10)
    assert [e.link for e in parsed.entries] == ["https://e.org/news/a.html", "https://cdn.example/b.html"]
    atom = ('<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://other.example/blog/"><title>F</title>'
            '<entry><title>C</title><id>c</id><link href="c.html"/><updated>2024-10-18T10:00:00Z</updated>'
            "</entry></feed>")
    parsed = parse_feed(atom.encode(), "https://e.org/atom.xml", max_entries=10)
    assert [e.link for e in parsed.entries] == ["https://other.example/blog/c.html"]


def test_parse_feed_refuses_what_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"<html><body>Hello</body></html>", "http://e.org/", max_entries=10)


def test_page_text_is_kept_and_too_short_pages_fall_back_to_the_entry() -> None:
    entry = FeedEntry("http://e.org/feed", "http://e.org/a", title="Entry title", summary="Short summary.",
                      published=datetime(2026, 11, 20))
    long_text = "Moscow and Pyongyang expanded their trade. " * 20
    page = build_article("http://e.org/a", entry, Extracted(long_text, title="Page title", sitename="E"),
                         Source(1, "Feed", "en"), raw_html=b"<html>", page_problem=None)
    assert page is not None and page.extraction == "page" and page.title == "Page title"
    assert page.source == "E" and page.raw_html and page.id.startswith("a-")
    short = build_article("http://e.org/a", entry, Extracted("Subscribe to read."), Source(1, "Feed", "en"),
                          raw_html=b"<html>", page_problem=None)
    assert short is not None and short.extraction == "feed-summary" and short.text == "Short summary."
    assert "too short" in (short.extraction_note or "") and short.source == "Feed"


@pytest.mark.parametrize("words, kept", [(MIN_ARTICLE_WORDS - 1, False), (MIN_ARTICLE_WORDS, True)])
def test_a_page_is_kept_from_exactly_min_article_words(words: int, kept: bool) -> None:
    """The page-or-feed decision counts words up to the threshold only (``has_words``): one word fewer
    falls back to the feed, exactly as many keeps the page — words as ``word_count`` counts them."""
    text = " — ".join(f"l’été{i}" for i in range(words // 2)) + " Kim" * (words % 2)  # 2 words each, then 1
    assert word_count(text) == words
    entry = FeedEntry("http://e.org/feed", "http://e.org/a", title="T", summary="Short summary.")
    article = build_article("http://e.org/a", entry, Extracted(text), Source(1, "Feed", "en"),
                            raw_html=b"<html>", page_problem=None)
    assert article is not None and (article.extraction == "page") is kept


def test_language_detection_uses_the_hint_only_for_short_texts() -> None:
    assert detect_language("La Russie et la Corée du Nord ont signé un traité de défense mutuelle.") == "fr"
    assert detect_language("Short", hint="en") == "en"


def test_aggregator_entries_name_their_outlet() -> None:
    doc = ('<rss version="2.0"><channel><title>Google News</title><item>'
           "<title>Kim visits Vladivostok - Reuters</title>"
           "<link>https://news.google.com/rss/articles/AU_yqLOpaque?oc=5</link>"
           '<source url="https://www.reuters.com">Reuters</source></item></channel></rss>')
    entry = parse_feed(doc.encode(), "https://news.google.com/rss/search?q=x", max_entries=5).entries[0]
    assert entry.title == "Kim visits Vladivostok" and entry.source == "Reuters"
    article = build_article(canonicalize(entry.link), entry, None, Source(1, "Google News", "en"),
                            raw_html=None, page_problem="aggregator link (not the article's page)")
    assert article is not None and article.source == "Reuters" and article.extraction == "feed-summary"
    assert article.text == "Kim visits Vladivostok"


def test_feed_text_never_carries_scripts_styles_or_markup() -> None:
    """Feeds are parsed without feedparser's sanitizer (their HTML becomes plain text anyway): code and
    hidden elements are dropped with their content, every other tag leaves its text."""
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T &lt;i&gt;x&lt;/i&gt;</title>'
            b"<item><title>Kim &lt;b&gt;meets&lt;/b&gt; Putin</title><link>/p/1.html</link>"
            b"<description>&lt;p&gt;Talks &lt;script&gt;alert(1)&lt;/script&gt;began"
            b"&lt;style&gt;p{color:red}&lt;/style&gt; &lt;a href='/x'&gt;in Moscow&lt;/a&gt;"
            b"&lt;noscript&gt;enable JS&lt;/noscript&gt;"
            b"&lt;iframe src='//ads'&gt;ad&lt;/iframe&gt;.&lt;/p&gt;"
            b"</description></item></channel></rss>")
    parsed = parse_feed(feed, "https://news.example/feed.xml", max_entries=10)
    entry = parsed.entries[0]
    assert parsed.title == "T x"
    assert entry.title == "Kim meets Putin"
    assert entry.summary == "Talks began in Moscow."
    assert entry.link == "https://news.example/p/1.html"  # entry links are still resolved


def test_page_metadata_takes_each_field_from_its_first_source_with_a_value() -> None:
    """Open Graph before the usual meta names; an empty tag is no value; the page's <title> and
    <time datetime> only when no meta tag gives one."""
    import trafilatura

    from monitor.ingest.extract import page_metadata

    page = ("<html lang='fr-FR'><head><title>Head title</title>"
            "<meta name='twitter:title' content='Twitter title'><meta property='og:title' content='  '>"
            "<meta name='author' content='Ana'><meta property='article:author' content='Bob'>"
            "<meta name='application-name' content='App'><meta property='og:site_name' content='Site'>"
            "</head><body><time datetime='2024-06-19T10:00'>19 juin</time><p>x</p></body></html>")
    meta = page_metadata(trafilatura.load_html(page))
    assert meta == {"language": "fr", "title": "Twitter title", "author": "Ana", "date": "2024-06-19T10:00",
                    "sitename": "Site"}
    bare = page_metadata(trafilatura.load_html(
        "<html><head><title> Only </title></head><body><p>x</p></body></html>"))
    assert bare["title"] == "Only" and bare["date"] == bare["author"] == bare["sitename"] == ""
    dated = page_metadata(trafilatura.load_html(
        "<html><head><meta itemprop='datePublished' content='2025-01-02'></head>"
        "<body><time datetime='2024-01-01'>x</time></body></html>"))
    assert dated["date"] == "2025-01-02"
