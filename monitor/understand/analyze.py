"""The understand stage's orchestrator: judge every article not yet analysed, incrementally.

For each article with no judgment yet (``relevant IS NULL`` — written together with ``analyzed_at``, and
indexed, so finding the work never scans the table), oldest publication first, in batches of one
transaction each:

    1. relevance    score, relevant, reason                     relevance.judge (seeds are always relevant)
    2. duplicates   same text hash / URL spelling, else MinHash-LSH bands → duplicate_of the earliest
    3. tags         article_tags                                 tags.tag_scores        (relevant only)
    4. entities     entities + article_entities (names, figures, dates)  entities.extract (relevant only)
    5. story        join the best candidate story from the inverted index, else found a new one

A copy takes its original's relevance and story and is never analysed further. Each lookup is an index
query bounded by a constant, so the cost per article does not grow with the number stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..store import Database
from ..store.models import (
    Article,
    ArticleBand,
    ArticleEntity,
    ArticleTag,
    Entity,
    Story,
    StoryArticle,
)
from . import dedupe, stories
from .document import build_document
from .entities import ArticleFacts, extract
from .relevance import judge
from .tags import tag_scores
from .topic import Topic

log = logging.getLogger(__name__)

#: Articles judged per transaction: large enough to amortise commits, small enough that a crash loses
#: little work and SQLite's write lock is released often.
BATCH_SIZE = 100
#: Candidates compared in full when looking for a near-duplicate (the LSH buckets already filtered them).
MAX_DUPLICATE_CANDIDATES = 50


@dataclass
class AnalyzeSummary:
    analyzed: int = 0
    relevant: int = 0
    off_topic: int = 0
    duplicates: int = 0
    stories_created: int = 0
    stories_joined: int = 0
    story_ids: set[str] = field(default_factory=set, repr=False)

    def as_dict(self) -> dict[str, int]:
        return {
            "analyzed": self.analyzed,
            "relevant": self.relevant,
            "off_topic": self.off_topic,
            "duplicates": self.duplicates,
            "stories_created": self.stories_created,
            "stories_joined": self.stories_joined,
        }

    def line(self) -> str:
        """One line for the command line: what the understand stage decided."""
        return (f"analyzed {self.analyzed}: {self.relevant} relevant, {self.off_topic} off-topic, "
                f"{self.duplicates} copies, {self.stories_created} new stories, "
                f"{self.stories_joined} joined known stories")


def when(article: Article) -> datetime:
    """The time an article counts at: its publication, else when it was first seen."""
    return article.published_at or article.first_seen_at


def reset(session: Session) -> None:
    """Forget every judgment so the next run re-analyses everything (``monitor reprocess``)."""
    for table in (StoryArticle, Story, ArticleTag, ArticleEntity, ArticleBand):
        session.execute(delete(table))
    session.execute(
        update(Article).values(
            relevance=None,
            relevant=None,
            relevance_reason=None,
            duplicate_of=None,
            minhash=None,
            analyzed_at=None,
        )
    )
    session.execute(delete(Entity))


def pending_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Article).where(Article.relevant.is_(None))) or 0
    )


def analyze(db: Database, topic: Topic, now: datetime, *, reset_first: bool = False) -> AnalyzeSummary:
    """Analyse every pending article; returns counts of what was decided."""
    summary = AnalyzeSummary()
    if reset_first:
        with db.session() as session:
            reset(session)
    while True:
        with db.session() as session:
            batch = session.scalars(
                select(Article)
                .where(Article.relevant.is_(None))
                .order_by(func.coalesce(Article.published_at, Article.first_seen_at), Article.id)
                .limit(BATCH_SIZE)
            ).all()
            for article in batch:
                _analyze_one(session, topic, article, now, summary)
        if len(batch) < BATCH_SIZE:
            return summary


def _forget(session: Session, article_id: str) -> None:
    """Drop an earlier analysis of this article (re-extracted text, partial reset): indexed deletes."""
    for table in (ArticleTag, ArticleEntity, ArticleBand, StoryArticle):
        session.execute(delete(table).where(table.article_id == article_id))


def _analyze_one(
    session: Session, topic: Topic, article: Article, now: datetime, summary: AnalyzeSummary
) -> None:
    _forget(session, article.id)
    doc = build_document(article.title, article.text, topic.lead_sentences)
    verdict = judge(topic, doc)
    article.relevance = verdict.score
    article.relevant = verdict.relevant or article.is_baseline
    article.relevance_reason = ("baseline seed; " if article.is_baseline else "") + verdict.reason
    sig = dedupe.signature(article.text)
    article.minhash = dedupe.to_bytes(sig)
    original = _find_original(session, article, sig)
    session.add_all(ArticleBand(band=b, bucket=k, article_id=article.id) for b, k in dedupe.bands(sig))
    article.analyzed_at = now
    summary.analyzed += 1
    if original is not None and when(original) <= when(article):
        _mark_copy(session, article, original)
        summary.duplicates += 1
        return
    if original is not None:  # the stored "original" is a later copy of this article: swap roles
        _become_original(session, article, original)
    if not article.relevant:
        summary.off_topic += 1
        return
    summary.relevant += 1
    for tag, score in tag_scores(topic, doc).items():
        session.add(ArticleTag(article_id=article.id, tag=tag, score=score))
    facts = extract(topic, doc, article.lang, article.published_at)
    _store_entities(session, article, facts)
    session.flush()
    _assign_story(session, topic, article, facts, summary, joined_copy_story=_story_of(session, original))


# -- duplicates ------------------------------------------------------------------------------------------


def _root(session: Session, article: Article) -> Article:
    if article.duplicate_of:
        root = session.get(Article, article.duplicate_of)
        if root is not None:
            return root
    return article


def _find_original(session: Session, article: Article, sig: object) -> Article | None:
    """The earliest stored article that ``article`` copies, found by index lookups only."""
    same = [Article.content_hash == article.content_hash]
    variants = dedupe.url_variants(article.url)
    if variants:
        same.append(Article.url.in_(variants))
    exact = session.scalars(
        select(Article)
        .where(or_(*same), Article.id != article.id, Article.analyzed_at.is_not(None))
        .order_by(func.coalesce(Article.published_at, Article.first_seen_at))
        .limit(5)
    ).all()
    candidates = list(exact)
    if not candidates and len(article.text.split()) >= dedupe.MIN_WORDS_FOR_NEAR_DUPLICATE:
        pairs = dedupe.bands(sig)  # type: ignore[arg-type]
        ids = session.scalars(
            select(ArticleBand.article_id)
            # one primary-key lookup per band: SQLite does not index a row-value IN
            .where(or_(*(and_(ArticleBand.band == b, ArticleBand.bucket == k) for b, k in pairs)))
            .group_by(ArticleBand.article_id)
            .order_by(func.count().desc())
            .limit(MAX_DUPLICATE_CANDIDATES)
        ).all()
        for other in session.scalars(select(Article).where(Article.id.in_(ids), Article.id != article.id)):
            if (
                other.minhash
                and dedupe.similarity(sig, dedupe.from_bytes(other.minhash)) >= dedupe.NEAR_DUPLICATE_JACCARD
            ):  # type: ignore[arg-type]
                candidates.append(other)
    if not candidates:
        return None
    roots = {r.id: r for r in (_root(session, c) for c in candidates) if r.id != article.id}
    if not roots:  # only its own copies: it is the original
        return None
    return min(roots.values(), key=lambda a: (when(a), a.id))


def _mark_copy(session: Session, article: Article, original: Article) -> None:
    article.duplicate_of = original.id
    article.relevant = bool(original.relevant) or article.is_baseline
    article.relevance_reason = f"copy of {original.id}; {article.relevance_reason}"
    story_id = _story_of(session, original)
    if story_id is not None and article.relevant:
        session.add(
            StoryArticle(article_id=article.id, story_id=story_id, similarity=1.0, joined_at=when(article))
        )
        _extend_story(session, story_id, article)


def _become_original(session: Session, article: Article, later: Article) -> None:
    """``article`` is older than the stored root it copies: it becomes the root of every copy."""
    session.execute(update(Article).where(Article.duplicate_of == later.id).values(duplicate_of=article.id))
    later.duplicate_of = article.id
    later.relevance_reason = f"copy of {article.id}; {(later.relevance_reason or '').split('; ', 1)[-1]}"


# -- entities and stories --------------------------------------------------------------------------------


def _store_entities(session: Session, article: Article, facts: ArticleFacts) -> None:
    seen_at = when(article)
    for key, found in facts.found.items():
        with session.no_autoflush:
            entity = session.get(Entity, key)
        if entity is None:
            session.add(
                Entity(
                    key=key,
                    name=found.name[:300],
                    kind=found.kind,
                    in_gazetteer=found.in_gazetteer,
                    first_seen_at=seen_at,
                )
            )
        elif seen_at < entity.first_seen_at:
            entity.first_seen_at = seen_at
    session.flush()  # entities first: article_entities refer to them
    session.add_all(
        ArticleEntity(article_id=article.id, entity_key=key, mentions=facts.mentions[key])
        for key in facts.found
    )


def _story_of(session: Session, article: Article | None) -> str | None:
    if article is None:
        return None
    return session.scalar(select(StoryArticle.story_id).where(StoryArticle.article_id == article.id))


def _candidate_stories(session: Session, article: Article) -> set[str]:
    """Stories active within the horizon of ``article`` (indexed by date), plus seeds' stories for a
    non-seed: bounded by how much news a few weeks hold, never by the size of the store."""
    horizon = timedelta(days=stories.HORIZON_DAYS)
    at = when(article)
    ids = set(
        session.scalars(
            select(Story.id)
            .where(Story.last_published_at >= at - horizon, Story.first_published_at <= at + horizon)
            .order_by(Story.last_published_at.desc())
            .limit(stories.MAX_CANDIDATE_STORIES)
        )
    )
    if not article.is_baseline:
        ids |= set(
            session.scalars(
                select(StoryArticle.story_id)
                .join(Article, Article.id == StoryArticle.article_id)
                .where(Article.is_baseline.is_(True))
            )
        )
    return ids


def _candidates(
    session: Session, topic: Topic, article: Article, feats: dict[str, float]
) -> dict[str, tuple[str, dict[str, float]]]:
    """Articles of candidate stories sharing a feature with ``article`` (within the horizon, or seeds).

    Two queries with a fixed plan: the candidate stories' members (by ``story_id``), then those
    members' index keys (by ``article_id``) — never a scan of a common key's postings list.
    """
    if not feats:
        return {}
    horizon = timedelta(days=stories.HORIZON_DAYS)
    at = func.coalesce(Article.published_at, Article.first_seen_at)
    near = at.between(when(article) - horizon, when(article) + horizon)
    story_ids = list(_candidate_stories(session, article))
    story_by_article: dict[str, str] = {}
    for chunk in range(0, len(story_ids), 500):
        story_by_article.update(
            session.execute(
                select(StoryArticle.article_id, StoryArticle.story_id)
                .join(Article, Article.id == StoryArticle.article_id)
                .where(
                    StoryArticle.story_id.in_(story_ids[chunk : chunk + 500]),
                    StoryArticle.article_id != article.id,
                    Article.duplicate_of.is_(None),
                    near if article.is_baseline else or_(Article.is_baseline.is_(True), near),
                )
                .limit(stories.MAX_CANDIDATE_ROWS)
            ).all()
        )
    members = list(story_by_article)
    keys: dict[str, list[str]] = {}
    for chunk in range(0, len(members), 500):
        for article_id, key in session.execute(
            select(ArticleEntity.article_id, ArticleEntity.entity_key).where(
                ArticleEntity.article_id.in_(members[chunk : chunk + 500])
            )
        ):
            keys.setdefault(article_id, []).append(key)
    shared = {a: sum(k in feats for k in ks) for a, ks in keys.items()}
    chosen = sorted((a for a in shared if shared[a]), key=lambda a: -shared[a])[
        : stories.MAX_CANDIDATE_ARTICLES
    ]
    return {a: (story_by_article[a], stories.features(topic, keys[a])) for a in chosen}


def _assign_story(
    session: Session,
    topic: Topic,
    article: Article,
    facts: ArticleFacts,
    summary: AnalyzeSummary,
    joined_copy_story: str | None,
) -> None:
    feats = stories.features(topic, facts.found)
    if joined_copy_story is not None:  # it was copied by an article already in a story
        story_id, similarity = joined_copy_story, 1.0
    else:
        match = stories.best_story(feats, _candidates(session, topic, article, feats))
        story_id, similarity = (match.story_id, match.overlap) if match else (None, 0.0)
    if story_id is None:
        story_id = stories.story_id_for(article.id)
        if session.get(Story, story_id) is None:  # else: re-analysed founder, its story lives on
            session.add(
                Story(
                    id=story_id,
                    title=article.title,
                    first_published_at=when(article),
                    last_published_at=when(article),
                    created_at=when(article),
                    updated_at=when(article),
                )
            )
        session.flush()
        summary.stories_created += 1
    else:
        summary.stories_joined += 1
    session.add(
        StoryArticle(article_id=article.id, story_id=story_id, similarity=similarity, joined_at=when(article))
    )
    _extend_story(session, story_id, article)
    summary.story_ids.add(story_id)


def _extend_story(session: Session, story_id: str, article: Article) -> None:
    story = session.get(Story, story_id)
    if story is None:
        return
    at = when(article)
    story.first_published_at = min(story.first_published_at or at, at)
    story.last_published_at = max(story.last_published_at or at, at)
    story.updated_at = max(story.updated_at or at, at)
    session.flush()
