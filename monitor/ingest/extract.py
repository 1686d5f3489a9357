"""Page bytes → Extracted (trafilatura), and the NewArticle built from a page or a feed entry.

``extract_page`` is a plain top-level function of bytes so it can run in a worker process. The page is
parsed once: its metadata comes from its own ``<meta>``/Open Graph tags and ``<html lang>`` (cheap), the
main text from trafilatura in fast mode (see ``FAST_EXTRACTION``). Building the article is pure: it
takes what was fetched and extracted and decides which text to keep and why.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..text import compress, has_words, one_line, url_article_id, word_count
from ..types import FeedEntry, NewArticle
from .lang import article_language, normalise_hint

#: An extraction shorter than this (words) is a teaser, paywall or error page, not the article: the
#: feed's own text is used instead. 40 words is below every real article in the html/ corpus and above
#: the cookie/paywall notices trafilatura returns for JavaScript-only pages.
MIN_ARTICLE_WORDS = 40
#: Stored text is cut here (characters): longer is a book, a live blog or an extraction gone wrong.
MAX_TEXT_CHARS = 200_000
#: trafilatura's fast mode (no fallback extractors). `python -m bench.extraction_quality` on the shared
#: html/ corpus: see the CHANGELOG entry of this change for the figures (no worse, about half the time).
FAST_EXTRACTION = True
#: Where each metadata field is read from, first match wins: ("meta", attribute, value) is the ``content``
#: of a ``<meta attribute="value">`` (Open Graph, then the usual names), an XPath string anything else.
_META: dict[str, tuple[tuple[str, str, str] | str, ...]] = {
    "title": (("meta", "property", "og:title"), ("meta", "name", "twitter:title"), "//head/title/text()"),
    "author": (("meta", "name", "author"), ("meta", "property", "article:author"), ("meta", "name", "byl")),
    "date": (("meta", "property", "article:published_time"), ("meta", "name", "date"),
             ("meta", "itemprop", "datePublished"), "//time[@datetime][1]/@datetime"),
    "sitename": (("meta", "property", "og:site_name"), ("meta", "name", "application-name")),
}
#: The ``<meta>`` attributes the table above reads.
_META_KEYS = ("property", "name", "itemprop")

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
_lookup_set = False
_lookup_lock = threading.Lock()


def _plain_element_lookup(trafilatura_utils: Any) -> None:
    """Give trafilatura's HTML parser lxml's C-level element class lookup (once per process).

    ``lxml.html``'s own lookup is a Python method called for every element object lxml creates — ~1,750
    times a page of 744 elements, 0.5 ms of fast mode's ~5.8 ms. It only picks form classes
    (``FormElement``, ``InputElement``…) that trafilatura never uses: every other element is an
    ``HtmlElement`` either way, so the extraction is the same (234 of 234 pages of the shared html/ corpus
    identical; 5–9% less CPU). Should trafilatura rename its parser, this does nothing."""
    global _lookup_set
    if _lookup_set:
        return
    from lxml import etree
    from lxml import html as lxml_html

    with _lookup_lock:  # pages are extracted in threads too (small runs, `monitor reprocess`)
        parser = getattr(trafilatura_utils, "HTML_PARSER", None)
        if not _lookup_set and isinstance(parser, lxml_html.HTMLParser):
            parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
                element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment,
                pi=lxml_html.HtmlProcessingInstruction, entity=lxml_html.HtmlEntity))
        _lookup_set = True


@dataclass(frozen=True)
class Extracted:
    """What trafilatura found in a page (all untrusted, size-capped)."""

    text: str
    title: str = ""
    author: str = ""
    date: str = ""
    sitename: str = ""
    language: str = ""
    #: ``text.content_hash(text)`` when computed in a worker process, else "".
    text_hash: str = ""


def page_metadata(tree: Any) -> dict[str, str]:
    """Title, author, date, site name and declared language from a parsed page's own tags: the page's
    ``<meta>`` elements are read in one pass (one XPath per field and source read the whole tree eleven
    times, 0.2 ms of a real page's ~8 ms), other sources by XPath only when no meta tag gave a value."""
    metas: dict[tuple[str, str], str] = {}
    for element in tree.iter("meta"):
        content = str(element.get("content") or "").strip()
        if content:
            for attribute in _META_KEYS:
                value = element.get(attribute)
                if value is not None:
                    metas.setdefault((attribute, str(value)), content)
    found = {"language": normalise_hint(str(tree.get("lang") or tree.get("xml:lang") or ""))}
    for key, sources in _META.items():
        found[key] = ""
        for source in sources:
            if isinstance(source, tuple):
                value = metas.get(source[1:], "")
            else:
                value = next((str(v).strip() for v in tree.xpath(source) if str(v).strip()), "")
            if value:
                found[key] = value
                break
    return found


def extract_page(html: bytes, url: str, *, fast: bool = FAST_EXTRACTION) -> Extracted | None:
    """Main text and metadata of a page, or None when nothing usable was found (never raises)."""
    import trafilatura  # imported where pages are extracted, not when `monitor` starts
    import trafilatura.utils

    _plain_element_lookup(trafilatura.utils)
    try:
        tree = trafilatura.load_html(html)
        if tree is None:
            return None
        meta = page_metadata(tree)
        doc = trafilatura.bare_extraction(tree, url=url, fast=fast, with_metadata=False,
                                          include_comments=False, include_tables=True)
    except Exception:  # trafilatura on hostile HTML must not end the run: treat as "nothing extracted"
        logging.getLogger(__name__).debug("extraction failed for %s", url, exc_info=True)
        return None
    if doc is None or isinstance(doc, dict) or not (doc.text or "").strip():  # a Document unless as_dict
        return None
    return Extracted(text=str(doc.text)[:MAX_TEXT_CHARS], title=one_line(meta["title"], 500),
                     author=one_line(meta["author"], 300), date=meta["date"][:64],
                     sitename=one_line(meta["sitename"], 300), language=meta["language"])


def parse_date(value: str) -> datetime | None:
    """A naive-UTC datetime from trafilatura's "YYYY-MM-DD" (or any ISO-like date), else None."""
    if not value:
        return None
    from dateutil import parser as dateparser

    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # "9999-12-31T23:59-14:00" is past the last representable UTC time
            return None
    return parsed


@dataclass(frozen=True)
class Source:
    """Where an article came from: feed row (may be None), its name and language hint."""

    feed_id: int | None = None
    name: str = ""
    lang_hint: str = ""


def good_extraction(extracted: Extracted | None) -> bool:
    return extracted is not None and has_words(extracted.text, MIN_ARTICLE_WORDS)


def feed_text(entry: FeedEntry) -> tuple[str, str]:
    """The text an article falls back to when its page gives none: the entry's content when it is the
    longer, else its summary, else its title; and which ("feed-content" or "feed-summary")."""
    if entry.content and word_count(entry.content) >= word_count(entry.summary):
        text, how = entry.content, "feed-content"
    else:
        text, how = entry.summary, "feed-summary"
    return (text if text.strip() else entry.title), how


def build_article(url: str, entry: FeedEntry | None, extracted: Extracted | None, source: Source, *,
                  raw_html: bytes | None, page_problem: str | None,
                  compressed_html: bytes | None = None) -> NewArticle | None:
    """The article to store, from the page when its extraction is good, else from the feed entry.

    ``compressed_html`` is the page already compressed (by a worker); else ``raw_html`` is compressed.

    Returns None when there is no text at all (no usable page and an entry with nothing but a link).
    """
    entry = entry or FeedEntry(feed_url="", link=url)
    if extracted is not None and good_extraction(extracted):
        text, how, note = extracted.text, "page", None
    else:
        reason = page_problem or ("page text too short" if extracted else "no article text in page")
        text, how = feed_text(entry)
        note = one_line(f"fallback to feed {how.split('-')[1]}: {reason}", 500)
        if not text.strip():
            return None
    page = extracted if how == "page" else None
    title = (page.title if page else "") or entry.title or (extracted.title if extracted else "")
    return NewArticle(
        id=url_article_id(url), url=url, title=one_line(title or url, 500), text=text[:MAX_TEXT_CHARS],
        summary=one_line(entry.summary, 1000),
        author=(page.author if page and page.author else entry.author) or None,
        source=one_line((extracted.sitename if extracted else "") or entry.source or source.name, 300),
        lang=article_language(text, declared=page.language if page else "", hint=source.lang_hint),
        published_at=entry.published or (parse_date(page.date) if page else None),
        feed_id=source.feed_id, extraction=how, extraction_note=note,
        raw_html=compressed_html or (compress(raw_html) if raw_html else None))
