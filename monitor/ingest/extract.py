"""Page bytes → Extracted (trafilatura), and the NewArticle built from a page or a feed entry.

``extract_page`` is a plain top-level function of bytes so it can run in a worker process. Building the
article is pure: it takes what was fetched and extracted and decides which text to keep and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura
from dateutil import parser as dateparser

from ..text import compress, one_line, url_article_id, word_count
from ..types import FeedEntry, NewArticle
from .lang import detect_language

#: An extraction shorter than this (words) is a teaser, paywall or error page, not the article: the
#: feed's own text is used instead. 40 words is below every real article in the html/ corpus and above
#: the cookie/paywall notices trafilatura returns for JavaScript-only pages.
MIN_ARTICLE_WORDS = 40
#: Stored text is cut here (characters): longer is a book, a live blog or an extraction gone wrong.
MAX_TEXT_CHARS = 200_000

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Extracted:
    """What trafilatura found in a page (all untrusted, size-capped)."""

    text: str
    title: str = ""
    author: str = ""
    date: str = ""
    sitename: str = ""
    language: str = ""


def extract_page(html: bytes, url: str) -> Extracted | None:
    """Main text and metadata of a page, or None when nothing usable was found (never raises)."""
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=True)
    except Exception:  # trafilatura on hostile HTML must not end the run: treat as "nothing extracted"
        logging.getLogger(__name__).debug("extraction failed for %s", url, exc_info=True)
        return None
    if doc is None or not (doc.text or "").strip():
        return None
    return Extracted(text=doc.text[:MAX_TEXT_CHARS], title=one_line(doc.title or "", 500),
                     author=one_line(doc.author or "", 300), date=doc.date or "",
                     sitename=one_line(doc.sitename or "", 300), language=doc.language or "")


def parse_date(value: str) -> datetime | None:
    """A naive-UTC datetime from trafilatura's "YYYY-MM-DD" (or any ISO-like date), else None."""
    if not value:
        return None
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


@dataclass(frozen=True)
class Source:
    """Where an article came from: feed row (may be None), its name and language hint."""

    feed_id: int | None = None
    name: str = ""
    lang_hint: str = ""


def good_extraction(extracted: Extracted | None) -> bool:
    return extracted is not None and word_count(extracted.text) >= MIN_ARTICLE_WORDS


def build_article(url: str, entry: FeedEntry | None, extracted: Extracted | None, source: Source, *,
                  raw_html: bytes | None, page_problem: str | None) -> NewArticle | None:
    """The article to store, from the page when its extraction is good, else from the feed entry.

    Returns None when there is no text at all (no usable page and an entry with nothing but a link).
    """
    entry = entry or FeedEntry(feed_url="", link=url)
    if extracted is not None and good_extraction(extracted):
        text, how, note = extracted.text, "page", None
    else:
        reason = page_problem or ("page text too short" if extracted else "no article text in page")
        if entry.content and word_count(entry.content) >= word_count(entry.summary):
            text, how = entry.content, "feed-content"
        else:
            text, how = entry.summary, "feed-summary"
        note = one_line(f"fallback to feed {how.split('-')[1]}: {reason}", 500)
        if not text.strip():
            text = entry.title
        if not text.strip():
            return None
    page = extracted if how == "page" else None
    title = (page.title if page else "") or entry.title or (extracted.title if extracted else "")
    return NewArticle(
        id=url_article_id(url), url=url, title=one_line(title or url, 500), text=text[:MAX_TEXT_CHARS],
        summary=one_line(entry.summary, 1000),
        author=(page.author if page and page.author else entry.author) or None,
        source=one_line((extracted.sitename if extracted else "") or entry.source or source.name, 300),
        lang=detect_language(text, hint=(extracted.language if extracted else "") or source.lang_hint),
        published_at=entry.published or (parse_date(page.date) if page else None),
        feed_id=source.feed_id, extraction=how, extraction_note=note,
        raw_html=compress(raw_html) if raw_html else None)
