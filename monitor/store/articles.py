"""Storing and reading articles.

Writes are idempotent upserts (``INSERT … ON CONFLICT DO NOTHING`` on the id and the canonical URL), so
two fetch workers storing the same article at once, or a re-run after a crash, store it exactly once and
neither fails on the unique keys. ``save_articles`` stores a batch in one statement of the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..text import content_hash
from ..types import NewArticle
from .db import upsert_insert
from .models import Article, utcnow


def find_existing(session: Session, article: NewArticle) -> Article | None:
    """The stored article with the same id or the same canonical URL, if any."""
    clauses = [Article.id == article.id]
    if article.url:
        clauses.append(Article.url == article.url)
    return session.scalars(select(Article).where(or_(*clauses)).limit(1)).first()


def url_known(session: Session, url: str) -> bool:
    return (session.scalar(select(func.count()).select_from(Article).where(Article.url == url)) or 0) > 0


def urls_known(session: Session, urls: Sequence[str]) -> set[str]:
    """Which of ``urls`` are stored (one query per chunk of ``IN_CHUNK`` URLs)."""
    known: set[str] = set()
    for start in range(0, len(urls), IN_CHUNK):
        chunk = list(urls[start:start + IN_CHUNK])
        known.update(session.scalars(select(Article.url).where(Article.url.in_(chunk))))
    return known


#: URLs per ``IN (…)`` lookup: well under SQLite's 32,766 bound parameters and small enough that
#: PostgreSQL plans it as an index lookup.
IN_CHUNK = 500


def _row(article: NewArticle, now: datetime, text_hash: str | None = None) -> dict[str, Any]:
    return {
        "id": article.id, "url": article.url, "title": article.title, "text": article.text,
        "summary": article.summary, "author": article.author, "source": article.source,
        "lang": article.lang, "published_at": article.published_at, "first_seen_at": now,
        "feed_id": article.feed_id,
        "content_hash": text_hash or content_hash(article.text),
        "is_baseline": article.is_baseline, "extraction": article.extraction,
        "extraction_note": article.extraction_note, "raw_html": article.raw_html,
        "raw_fetched_at": now if article.raw_html else None, "seed_file": article.seed_file,
    }


def _insert_ignoring_conflicts(session: Session) -> Any:
    return upsert_insert(session.get_bind().dialect.name)(Article.__table__).on_conflict_do_nothing()


def save_articles(session: Session, articles: Sequence[NewArticle], *, now: datetime | None = None,
                  hashes: Mapping[str, str] | None = None) -> set[str]:
    """Store every article whose id and URL are new; the ids actually added (one statement).

    ``hashes`` maps article ids to their ``content_hash`` when a worker computed it already."""
    if not articles:
        return set()
    when = now or utcnow()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    # In id order (the id derives from the URL), so two workers inserting overlapping batches wait for
    # each other in one order and never deadlock; and never the same id or URL twice in one batch.
    for article in sorted(articles, key=lambda a: a.id):
        if article.id in seen or (article.url and article.url in seen):
            continue
        seen.update(k for k in (article.id, article.url) if k)
        rows.append(_row(article, when, (hashes or {}).get(article.id)))
    # A Core executemany on the table (the ORM's bulk insert spent ~1 s of a first poll's 50,000 rows
    # collecting its own insert commands); RETURNING gives the ids that were not there yet.
    table: Any = Article.__table__
    session.flush()
    stmt = _insert_ignoring_conflicts(session).returning(table.c.id)
    return set(session.connection().execute(stmt, rows).scalars())


def save_article(session: Session, article: NewArticle, *, now: datetime | None = None) -> bool:
    """Store ``article`` unless one with its id or URL exists; True when it was added."""
    return bool(save_articles(session, [article], now=now))


def count_articles(session: Session, *, baseline: bool | None = None) -> int:
    query = select(func.count()).select_from(Article)
    if baseline is not None:
        query = query.where(Article.is_baseline.is_(baseline))
    return int(session.scalar(query) or 0)


def seed_articles(session: Session) -> list[Article]:
    return list(session.scalars(select(Article).where(Article.is_baseline.is_(True)).order_by(Article.id)))
