"""The database schema, as SQLAlchemy 2 declarative models.

Alembic migrations in ``monitor/migrations`` are the source of truth for the database itself; these
models must match the latest migration (``tests/test_store.py`` checks that they do).

    feeds ─┐
           └─< articles >─ story_articles ─> stories
                 │  ├─< article_tags
                 │  ├─< article_entities >── entities
                 │  ├─< article_sentences    (per-sentence fact keys, for novelty in the digest)
                 │  └─< article_bands        (MinHash-LSH buckets for near-duplicate lookup)
    stories ─< story_keys                    (per story: how many original members carry each key)
    subscribers ─< deliveries >─ digests
    runs                                     (one row per fetch / digest / housekeeping run)

Times are stored as naive UTC datetimes (``utcnow()``); convert at the edges.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Naive UTC now: the form every timestamp takes in the store."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 to the second, for JSON and the command line."""
    return value.isoformat(timespec="seconds") if value else None


class Base(DeclarativeBase):
    pass


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    lang: Mapped[str] = mapped_column(String(16), default="")
    tags: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    #: "config" for feeds from the configuration file, "cli" for `monitor feeds add`.
    origin: Mapped[str] = mapped_column(String(16), default="cli")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # HTTP validators for conditional requests
    etag: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # health
    feed_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    entries_seen: Mapped[int] = mapped_column(Integer, default=0)
    last_entry_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    next_fetch_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: A fetch worker claimed this feed until then (see store.feeds.claim_due); None when unclaimed.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Article(Base):
    __tablename__ = "articles"

    #: Stable public id: "seed-<file stem>" for seeds, "a-<hash of canonical url>" for the rest.
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    url: Mapped[str | None] = mapped_column(String(2048), unique=True, nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: Outlet name (site name, feed name or seed manifest).
    source: Mapped[str] = mapped_column(String(300), default="")
    lang: Mapped[str] = mapped_column(String(16), default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"), nullable=True)
    #: sha256 of the normalised text: exact-duplicate lookup.
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    #: Where the text came from: "page", "feed-content", "feed-summary", "file", "seed".
    extraction: Mapped[str] = mapped_column(String(32), default="page")
    extraction_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    raw_html: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # zlib-compressed
    raw_fetched_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    seed_file: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # judgments (filled by the understand stage)
    relevance: Mapped[float | None] = mapped_column(Float, nullable=True)
    relevant: Mapped[bool | None] = mapped_column(Boolean, nullable=True, index=True)
    relevance_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    duplicate_of: Mapped[str | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), nullable=True, index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    analyzed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    #: Earliest and latest publication time of its articles (first-seen time where none).
    first_published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    last_published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Original (non-copy) members counted in ``story_keys``; whether one of them is a seed.
    members: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    has_seed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The store's N (relevant originals) when the story was last judged for a merge with the stories
    #: around it; NULL: never (``understand.analyze.REEXAMINE_GROWTH``).
    examined_n: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StoryKey(Base):
    """A story's profile for clustering: how many of its original members carry each index key."""

    __tablename__ = "story_keys"

    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    entity_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)


class ArticleSentence(Base):
    """The sentences of a relevant original article with the fact keys each names (space-separated)."""

    __tablename__ = "article_sentences"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 is the title
    text: Mapped[str] = mapped_column(Text, default="")
    keys: Mapped[str] = mapped_column(Text, default="")


class StoryArticle(Base):
    """Membership: each article belongs to at most one story."""

    __tablename__ = "story_articles"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: How it joined (``understand.stories.Decision.path``, "copy" for a copy of a member); NULL before
    #: migration 0004. A "strong" member re-tells a seed's story months on and brings no new facts.
    joined_by: Mapped[str | None] = mapped_column(String(12), nullable=True)


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)


class Entity(Base):
    __tablename__ = "entities"

    #: Canonical key: the gazetteer id, or "name:<normalised name>" for names the gazetteer lacks.
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    #: "person", "place", "org" or "unknown".
    kind: Mapped[str] = mapped_column(String(16), default="unknown")
    in_gazetteer: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Relevant original articles naming it (document frequency for the story key weights).
    df: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ArticleEntity(Base):
    __tablename__ = "article_entities"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    entity_key: Mapped[str] = mapped_column(ForeignKey("entities.key", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    mentions: Mapped[int] = mapped_column(Integer, default=1)


class ArticleBand(Base):
    """MinHash-LSH buckets: articles sharing a (band, bucket) are near-duplicate candidates."""

    __tablename__ = "article_bands"

    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    lang: Mapped[str] = mapped_column(String(8), default="en")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Digest(Base):
    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("since", "until", name="uq_digests_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    since: Mapped[datetime] = mapped_column(DateTime)
    until: Mapped[datetime] = mapped_column(DateTime)
    #: ISO week label such as "2026-W47", or "" for a custom window.
    week: Mapped[str] = mapped_column(String(16), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    #: The digest as JSON (the contract of `monitor digest --format json`).
    data: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    story_count: Mapped[int] = mapped_column(Integer, default=0)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Delivery(Base):
    """One row per (digest, subscriber), written before and after sending."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("digest_id", "subscriber_id", name="uq_deliveries_digest_subscriber"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    #: "sending", "sent", "failed" (temporary, retried by the next run) or "rejected" (permanent 5xx).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Run(Base):
    """One row per fetch, digest or housekeeping run: what `monitor status` reports as "last"."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: "fetch", "digest", "send", "housekeeping", "ingest", "reprocess".
    kind: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    #: JSON summary (counts, timings per stage).
    stats: Mapped[str] = mapped_column(Text, default="{}")


Index("ix_articles_window", Article.relevant, Article.published_at)
