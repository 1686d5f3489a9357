"""One small frozen type per stage of the pipeline.

    FeedEntry        what a feed said about one item            (ingest.parse)
    NewArticle       an article ready to store, text extracted  (ingest, seeds)
    -- stored as store.models.Article, judged by understand --
    Digest data      the JSON contract, built by understand.select / digest

Conversions between them are explicit functions, never implicit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FeedEntry:
    """One entry as the feed gave it (untrusted, already size-capped)."""

    feed_url: str
    link: str
    title: str = ""
    summary: str = ""
    content: str = ""
    published: datetime | None = None  # naive UTC
    author: str = ""
    entry_id: str = ""
    #: The outlet an aggregator names for this entry (RSS <source>, e.g. Google News), else "".
    source: str = ""


@dataclass(frozen=True)
class NewArticle:
    """An article ready to be stored. ``id`` is stable: see ``monitor.text.article_id``."""

    id: str
    title: str
    text: str
    url: str | None = None
    summary: str = ""
    author: str | None = None
    source: str = ""
    lang: str = ""
    published_at: datetime | None = None  # naive UTC
    feed_id: int | None = None
    is_baseline: bool = False
    extraction: str = "page"
    extraction_note: str | None = None
    raw_html: bytes | None = None  # zlib-compressed page
    seed_file: str | None = None


@dataclass(frozen=True)
class LoadProblem:
    """A file, feed or page that could not be used, and why (reported, never fatal)."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    """What a bulk load did: ids stored, ids already there, and problems by name."""

    added: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[LoadProblem, ...] = field(default_factory=tuple)
