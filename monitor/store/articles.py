"""Storing and reading articles. Each write of one article is one transaction of the caller's session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..text import content_hash
from ..types import NewArticle
from .models import Article, utcnow


def find_existing(session: Session, article: NewArticle) -> Article | None:
    """The stored article with the same id or the same canonical URL, if any."""
    clauses = [Article.id == article.id]
    if article.url:
        clauses.append(Article.url == article.url)
    return session.scalars(select(Article).where(or_(*clauses)).limit(1)).first()


def url_known(session: Session, url: str) -> bool:
    return session.scalar(select(func.count()).select_from(Article).where(Article.url == url)) > 0


def save_article(session: Session, article: NewArticle, *, now: datetime | None = None) -> bool:
    """Store ``article`` unless one with its id or URL exists; True when it was added."""
    if find_existing(session, article) is not None:
        return False
    session.add(Article(
        id=article.id, url=article.url, title=article.title, text=article.text, summary=article.summary,
        author=article.author, source=article.source, lang=article.lang, published_at=article.published_at,
        first_seen_at=now or utcnow(), feed_id=article.feed_id, content_hash=content_hash(article.text),
        is_baseline=article.is_baseline, extraction=article.extraction,
        extraction_note=article.extraction_note, raw_html=article.raw_html,
        raw_fetched_at=(now or utcnow()) if article.raw_html else None, seed_file=article.seed_file,
    ))
    session.flush()
    return True


def count_articles(session: Session, *, baseline: bool | None = None) -> int:
    query = select(func.count()).select_from(Article)
    if baseline is not None:
        query = query.where(Article.is_baseline.is_(baseline))
    return int(session.scalar(query) or 0)


def seed_articles(session: Session) -> list[Article]:
    return list(session.scalars(select(Article).where(Article.is_baseline.is_(True)).order_by(Article.id)))
