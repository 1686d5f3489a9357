"""Feed bytes → FeedEntry, with feedparser, from bytes we fetched (feedparser never touches the network).

A document that is not a feed, or that declares XML entities that expand into other entities or load
external files (billion laughs, XXE), is a ParseError for that feed, never a crash or a hang.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html

from ..errors import ParseError
from ..types import FeedEntry

#: Longest title, summary and content kept from one entry (characters): a feed is not an archive.
MAX_TITLE_CHARS = 1000
MAX_SUMMARY_CHARS = 20_000
MAX_CONTENT_CHARS = 200_000
#: Longer links are not article addresses (the articles table holds 2048 characters).
MAX_LINK_CHARS = 2000
#: Entity declarations are looked for in the head of the document only (a DTD comes first).
DTD_SCAN_BYTES = 65_536
#: Elements whose content is not text a reader sees (feedparser's sanitizer drops these with their
#: content; we parse with it off and drop them here, see ``parse_feed``).
INVISIBLE = ("script", "style", "applet", "noscript", "template", "object", "embed", "iframe")
#: feedparser complaints that say nothing about the feed's content (a server's wrong Content-Type).
_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_HOSTILE_ENTITY = re.compile(rb"<!ENTITY\s+%?\s*[^\s>]+\s+(?:(?:SYSTEM|PUBLIC)\b|[\"'][^\"']*&)", re.I)


@dataclass(frozen=True)
class ParsedFeed:
    feed_type: str
    title: str
    entries: tuple[FeedEntry, ...]
    #: feedparser's complaint about a document it could still read (bozo), else "".
    warning: str = ""


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment (summaries are HTML in most feeds): the text of every element but
    those whose content is code or hidden (``INVISIBLE``), so a feed's script never reaches a digest."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    try:
        tree = lxml.html.fromstring(f"<div>{fragment}</div>")
        lxml.etree.strip_elements(tree, *INVISIBLE, with_tail=False)
        return " ".join(tree.text_content().split())
    except (ValueError, lxml.etree.ParserError):
        return fragment.strip()


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC).replace(tzinfo=None)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _entry(feed_url: str, entry: Any) -> FeedEntry | None:
    link = (entry.get("link") or "").strip()
    if link and not link.startswith(("http://", "https://")):
        try:  # relative (the document's xml:base, if any, already applied by feedparser)
            link = urljoin(feed_url, link)
        except ValueError:
            return None
    if not link.startswith(("http://", "https://")) or len(link) > MAX_LINK_CHARS:
        return None
    try:
        if not urlsplit(link).hostname:
            return None
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    outlet = html_to_text((entry.get("source") or {}).get("title", ""))[:300]
    title = html_to_text(entry.get("title", ""))[:MAX_TITLE_CHARS]
    if outlet and title.endswith(f" - {outlet}"):  # aggregators append the outlet to the headline
        title = title[: -len(outlet) - 3]
    contents = entry.get("content") or []
    content = max((c.get("value", "") for c in contents), key=len, default="")
    return FeedEntry(
        feed_url=feed_url, link=link,
        title=title, source=outlet,
        summary=html_to_text(entry.get("summary", ""))[:MAX_SUMMARY_CHARS],
        content=html_to_text(content)[:MAX_CONTENT_CHARS] if content else "",
        published=_when(entry), author=(entry.get("author") or "")[:300],
        entry_id=(entry.get("id") or "")[:1000])


def parse_feed(data: bytes, feed_url: str, *, max_entries: int, content_type: str = "") -> ParsedFeed:
    """Parse ``data`` fetched from ``feed_url``; at most ``max_entries`` entries with an http(s) link."""
    if _HOSTILE_ENTITY.search(data[:DTD_SCAN_BYTES]):
        raise ParseError("refused: the document declares nested or external XML entities", source=feed_url)
    headers = {"content-type": content_type} if content_type else {}
    try:
        # Every text field becomes plain text (``html_to_text``), so feedparser's HTML sanitizer and its
        # rewriting of relative links inside that HTML would be work thrown away: ~20% of the parse
        # (bench/RESULTS.md, first poll). The feed's address is not given as its base either: feedparser
        # would then join every link, guid and id with it (~8 ``urljoin`` per entry, 30% of the parse on
        # the bench's feeds); the entry's link is joined with it in ``_entry`` when it is relative.
        parsed = feedparser.parse(data, response_headers=headers, sanitize_html=False,
                                  resolve_relative_uris=False)
    except Exception as exc:  # feedparser promises not to raise; a bug in it must not end the run
        raise ParseError(f"feed parser failed: {type(exc).__name__}: {exc}", source=feed_url) from None
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    warning = "" if problem is None or isinstance(problem, _BENIGN) else str(problem)
    if not parsed.get("version") and not parsed.entries:
        raise ParseError(f"not a feed{': ' + warning if warning else ''}"[:500], source=feed_url)
    entries: list[FeedEntry] = []
    for raw in parsed.entries:
        if len(entries) >= max_entries:
            break
        entry = _entry(feed_url, raw)
        if entry is not None:
            entries.append(entry)
    return ParsedFeed(feed_type=parsed.get("version") or "unknown",
                      title=html_to_text(parsed.feed.get("title", ""))[:MAX_TITLE_CHARS],
                      entries=tuple(entries), warning=warning[:500])
