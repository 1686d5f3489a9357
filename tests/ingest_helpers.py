"""Feeds and pages for the ingest tests (served by monitor.testing.LocalSite)."""

from __future__ import annotations

from xml.sax.saxutils import escape

WORDS = ("Pyongyang and Moscow signed a new agreement on military cooperation this week, officials said, "
         "as artillery shells and missiles continued to move by rail across the border near Tumangang. ")


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 document; items are (title, link, summary)."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><description>{escape(s)}</description>"
        f"<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>" for t, link, s in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(title)}</title>"
            f"<link>http://example.org/</link><description>d</description>{body}</channel></rss>")


def article_html(title: str, paragraphs: int = 6, site: str = "Example News") -> str:
    paras = "".join(f"<p>{WORDS * 2} Paragraph {i} of {escape(title)}.</p>" for i in range(paragraphs))
    return (f"<!doctype html><html lang='en'><head><title>{escape(title)}</title>"
            f"<meta property='og:site_name' content='{escape(site)}'>"
            f"<meta name='author' content='Jane Doe'></head><body><nav>Home | World | Asia</nav>"
            f"<article><h1>{escape(title)}</h1>{paras}</article><footer>Copyright</footer></body></html>")
