"""The understand stage's reads and writes: one claim, a few ``IN`` lookups and one write per batch.

    claim(session, n)                 the next pending articles, only the columns judging needs
                                      (PostgreSQL: FOR UPDATE SKIP LOCKED, so several workers share work)
    exact_candidates / band_hits      stored articles sharing a text hash, a URL spelling or an LSH bucket
    roots(session, ids)               with the batch, read as (id, minhash, time, duplicate_of, story) only
    load_profiles(session, lo, hi)    the story profiles of the horizon and every seed's story
    key_df(session, keys)             document frequencies of index keys
    write(session, plan)              every judgment of the batch: bulk updates and idempotent upserts

Upserts (``ON CONFLICT``) make the writes safe when two workers name the same new entity or key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from ..store.db import upsert_insert
from ..store.models import (
    Article,
    ArticleBand,
    ArticleEntity,
    ArticleSentence,
    ArticleTag,
    Entity,
    Story,
    StoryArticle,
    StoryKey,
)
from .stories import LEAD_PREFIX, TAG_PREFIX, StoryProfile

#: Rows per ``IN (…)`` list: well under SQLite's 32,766 bound variables and PostgreSQL's 65,535.
IN_CHUNK = 500
#: Stored articles read per LSH bucket (see ``band_hits``).
MAX_BUCKET_IDS = 16

CLAIM_COLUMNS = (
    Article.id,
    Article.url,
    Article.title,
    Article.text,
    Article.lang,
    Article.content_hash,
    Article.published_at,
    Article.first_seen_at,
    Article.is_baseline,
    # judged before: its earlier counts are to be forgotten (a signature is written by every judgment and
    # cleared only with the index rows, by ``reset``)
    or_(Article.analyzed_at.is_not(None), Article.minhash.is_not(None)),
)


@dataclass(frozen=True)
class Stored:
    """What the duplicate check needs of a stored article: never its text."""

    id: str
    minhash: bytes | None
    at: datetime
    duplicate_of: str | None
    relevant: bool
    story_id: str | None
    content_hash: str = ""
    url: str | None = None


@dataclass
class Plan:
    """Everything one batch decided, written in one transaction."""

    forget: list[str] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    bands: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    article_entities: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)
    new_stories: dict[str, dict[str, Any]] = field(default_factory=dict)
    touched_stories: dict[str, StoryProfile] = field(default_factory=dict)
    story_keys: Counter[tuple[str, str]] = field(default_factory=Counter)
    member_delta: Counter[str] = field(default_factory=Counter)
    members: list[dict[str, Any]] = field(default_factory=list)
    reroots: list[tuple[str, str]] = field(default_factory=list)  # (old root, new root)
    merges: list[tuple[str, str]] = field(default_factory=list)  # (story merged, story it joined)
    examined: dict[str, int] = field(default_factory=dict)  # story → N when judged for a merge


def when(article: Any) -> datetime:
    """The time an article counts at: its publication, else when it was first seen."""
    return article.published_at or article.first_seen_at


def pending_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Article).where(Article.relevant.is_(None))) or 0
    )


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(session: Session, model: type) -> Any:
    """A dialect's INSERT into the model's table, as a Core statement: executed with a list of rows it
    is one executemany, without the ORM's per-row bookkeeping (~0.3 ms per article in the profile)."""
    dialect = session.get_bind().dialect.name
    return upsert_insert(dialect)(model.__table__)  # type: ignore[attr-defined]


def claim(session: Session, n: int, *, skip: int = 0) -> list[Any]:
    """The next ``n`` pending articles, locked for this transaction on PostgreSQL (other workers skip
    them). ``skip``: the ``n`` after the first ``skip``, read without a lock (to judge them ahead of
    their claim)."""
    query = (
        select(*CLAIM_COLUMNS)
        .where(Article.relevant.is_(None))
        # seeds first: the baseline's stories exist before any report that follows them is judged
        .order_by(
            Article.is_baseline.desc(), func.coalesce(Article.published_at, Article.first_seen_at), Article.id
        )
        .limit(n)
    )
    if skip:
        query = query.offset(skip)
    elif session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).all())


def _stored(session: Session, condition: Any) -> list[Stored]:
    at = func.coalesce(Article.published_at, Article.first_seen_at)
    rows = session.execute(
        select(
            Article.id,
            Article.minhash,
            at,
            Article.duplicate_of,
            Article.relevant,
            StoryArticle.story_id,
            Article.content_hash,
            Article.url,
        )
        .outerjoin(StoryArticle, StoryArticle.article_id == Article.id)
        .where(condition, Article.analyzed_at.is_not(None), Article.relevant.is_not(None))
    ).all()
    return [Stored(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]


def exact_candidates(session: Session, hashes: Sequence[str], urls: Sequence[str]) -> dict[str, Stored]:
    """Stored, analysed articles sharing a text hash or a URL spelling with the batch."""
    found: dict[str, Stored] = {}
    for part in chunks(list(hashes)):
        found.update((s.id, s) for s in _stored(session, Article.content_hash.in_(part)))
    for part in chunks(list(urls)):
        found.update((s.id, s) for s in _stored(session, Article.url.in_(part)))
    return found


def band_hits(session: Session, bands: Sequence[tuple[int, int]]) -> dict[tuple[int, int], set[str]]:
    """Which stored articles each LSH (band, bucket) of the batch holds (ids only), at most
    MAX_BUCKET_IDS per bucket, cut in the database: a bucket that full holds copies of one text (a wire
    story syndicated everywhere, a template), and a copy shares most of its 32 buckets with its
    original, so the original is found through the others.

    One query per band and chunk: a VALUES list of the buckets, each with a correlated ``LIMIT``
    subquery on the primary key. Measured on the bench's 100,000-article store (one batch, 6,400
    buckets, some holding 5,000 ids): reading the buckets whole returned 550,000 rows (0.33 s in SQLite
    alone, ~1.5 s through the driver); ``row_number() OVER`` cut them to 80,000 in 0.58 s; this, 0.05 s."""
    by_band: dict[int, list[int]] = {}
    for band, bucket in bands:
        by_band.setdefault(band, []).append(bucket)
    postgres = session.get_bind().dialect.name == "postgresql"
    joined = "string_agg(article_id, ' ')" if postgres else "group_concat(article_id, ' ')"
    hits: dict[tuple[int, int], set[str]] = {}
    for band, buckets in by_band.items():
        for part in chunks(buckets):
            values = ", ".join(f"(CAST(:k{i} AS BIGINT))" for i in range(len(part)))
            query = text(
                f"SELECT v.column1, (SELECT {joined} FROM (SELECT article_id FROM article_bands"  # noqa: S608
                " WHERE band = :band AND bucket = v.column1 ORDER BY article_id"
                f" LIMIT {MAX_BUCKET_IDS}) AS firsts) FROM (VALUES {values}) AS v"
            )
            params = {"band": band, **{f"k{i}": int(k) for i, k in enumerate(part)}}
            for bucket, ids in session.execute(query, params):
                if ids:
                    hits[(band, int(bucket))] = set(ids.split(" "))
    return hits


def roots(session: Session, ids: Iterable[str]) -> dict[str, Stored]:
    found: dict[str, Stored] = {}
    for part in chunks(list(ids)):
        found.update((s.id, s) for s in _stored(session, Article.id.in_(part)))
    return found


def load_profiles(session: Session, lo: datetime, hi: datetime) -> dict[str, StoryProfile]:
    """Profiles of the stories whose span meets [lo, hi], and of every story holding a seed."""
    rows = session.execute(
        select(
            Story.id, Story.first_published_at, Story.last_published_at, Story.members, Story.has_seed,
            Story.examined_n,
        ).where(
            or_(
                and_(Story.last_published_at >= lo, Story.first_published_at <= hi),
                Story.has_seed.is_(True),
            )
        )
    ).all()
    profiles = {
        r[0]: StoryProfile(r[0], r[1] or lo, r[2] or lo, int(r[3] or 0), bool(r[4]), examined_n=r[5])
        for r in rows
    }
    keys_sql = "SELECT story_id, entity_key, articles FROM story_keys WHERE story_id IN ({})"
    for story_id, key, n in _driver_rows(session, keys_sql, list(profiles)):
        if key.startswith(LEAD_PREFIX):
            profiles[story_id].lead[key[len(LEAD_PREFIX) :]] = int(n)
        else:
            profiles[story_id].keys[key] = int(n)
    return profiles


def _driver_rows(session: Session, sql: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (one ``IN ({})`` over ``ids``) read through the driver's own cursor, in the
    session's transaction: the horizon's ~200,000 story keys on the bench's 100,000-article store took
    0.69 s as SQLAlchemy rows and 0.28 s as the driver's tuples."""
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    rows: list[tuple[Any, ...]] = []
    try:
        for part in chunks(ids):
            cursor.execute(sql.format(", ".join([mark] * len(part))), tuple(part))
            rows += cursor.fetchall()
    finally:
        cursor.close()
    return rows


def key_df(session: Session, keys: Iterable[str]) -> dict[str, int]:
    """Document frequencies of story keys: relevant original articles carrying each. Entity keys keep
    theirs in ``entities.df``; a tag key ("tag:troops") is counted from ``article_tags`` (a handful of
    tags), so its weight is the same whether the articles were analysed in one run or in many."""
    wanted = sorted(set(keys))
    tags = [k[len(TAG_PREFIX) :] for k in wanted if k.startswith(TAG_PREFIX)]
    out: dict[str, int] = {}
    for part in chunks([k for k in wanted if not k.startswith(TAG_PREFIX)]):
        out.update(
            (k, int(n)) for k, n in session.execute(select(Entity.key, Entity.df).where(Entity.key.in_(part)))
        )
    if tags:  # tags are stored for relevant originals only (a copy takes its original's story, no tags)
        counted = session.execute(
            select(ArticleTag.tag, func.count()).where(ArticleTag.tag.in_(tags)).group_by(ArticleTag.tag)
        )
        out.update((TAG_PREFIX + tag, int(n)) for tag, n in counted)
    return out


def originals_count(session: Session) -> int:
    """N for the key weights: original members counted in story profiles."""
    return int(session.scalar(select(func.coalesce(func.sum(Story.members), 0))) or 0)


def forget(session: Session, ids: Sequence[str]) -> None:
    """Undo an earlier analysis of re-analysed articles: their counts leave the profiles and weights."""
    for part in chunks(list(ids)):
        counted = session.execute(
            select(StoryArticle.article_id, StoryArticle.story_id)
            .join(Article, Article.id == StoryArticle.article_id)
            .where(StoryArticle.article_id.in_(part), Article.duplicate_of.is_(None))
        ).all()
        for article_id, story_id in counted:
            keys = list(
                session.scalars(
                    select(ArticleEntity.entity_key).where(ArticleEntity.article_id == article_id)
                )
            )
            if keys:
                session.execute(
                    update(StoryKey)
                    .where(StoryKey.story_id == story_id, StoryKey.entity_key.in_(keys))
                    .values(articles=StoryKey.articles - 1)
                )
                session.execute(update(Entity).where(Entity.key.in_(keys)).values(df=Entity.df - 1))
            session.execute(update(Story).where(Story.id == story_id).values(members=Story.members - 1))
        for table in (ArticleTag, ArticleEntity, ArticleBand, StoryArticle, ArticleSentence):
            session.execute(delete(table).where(table.article_id.in_(part)))


def write(session: Session, plan: Plan) -> None:
    """Every judgment of one batch; idempotent where two workers may write the same row."""
    if plan.forget:
        forget(session, plan.forget)
    if plan.articles:
        session.execute(update(Article), plan.articles)  # bulk UPDATE by primary key
    for old, new in plan.reroots:
        session.execute(update(Article).where(Article.duplicate_of == old).values(duplicate_of=new))
    if plan.entities:
        stmt = _insert(session, Entity)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Entity.key],
            set_={
                "df": Entity.df + stmt.excluded.df,
                "first_seen_at": case(
                    (stmt.excluded.first_seen_at < Entity.first_seen_at, stmt.excluded.first_seen_at),
                    else_=Entity.first_seen_at,
                ),
            },
        )
        session.execute(stmt, list(plan.entities.values()))
    if plan.new_stories:
        session.execute(_insert(session, Story).on_conflict_do_nothing(), list(plan.new_stories.values()))
    for model, rows in (
        (ArticleBand, plan.bands),
        (ArticleTag, plan.tags),
        (ArticleEntity, plan.article_entities),
        (ArticleSentence, plan.sentences),
        (StoryArticle, plan.members),
    ):
        if rows:
            session.execute(_insert(session, model).on_conflict_do_nothing(), rows)
    if plan.story_keys:
        session.execute(
            _adding_key_counts(_insert(session, StoryKey)),
            [{"story_id": s, "entity_key": k, "articles": n} for (s, k), n in plan.story_keys.items()],
        )
    if plan.touched_stories:
        _grow_stories(session, [
            {"sid": p.story_id, "delta": plan.member_delta[p.story_id], "seed": p.has_seed, "lo": p.first,
             "hi": p.last}
            for p in plan.touched_stories.values()
        ])
    for gone, stays in plan.merges:
        merge_stories(session, gone, stays)
    if plan.examined:
        sid: Any = bindparam("sid")
        session.connection().execute(
            update(Story).where(Story.id == sid).values(examined_n=bindparam("n")),
            [{"sid": s, "n": n} for s, n in plan.examined.items()],
        )


def _adding_key_counts(stmt: Any) -> Any:
    """An insert into ``story_keys`` that adds its counts to a (story, key) row already there."""
    return stmt.on_conflict_do_update(
        index_elements=[StoryKey.story_id, StoryKey.entity_key],
        set_={"articles": StoryKey.articles + stmt.excluded.articles},
    )


def _grow_stories(session: Session, rows: list[dict[str, Any]]) -> None:
    """Each story ``sid`` counts ``delta`` more original members, holds a seed if ``seed``, and its span
    reaches [``lo``, ``hi``] (one executemany: for the stories a batch touched, and for a merge)."""
    sid: Any
    delta: Any
    lo: Any
    hi: Any
    sid, delta, lo, hi = (bindparam(n) for n in ("sid", "delta", "lo", "hi"))
    session.connection().execute(
        update(Story)
        .where(Story.id == sid)
        .values(
            members=Story.members + delta,
            has_seed=or_(Story.has_seed, bindparam("seed")),
            first_published_at=case((Story.first_published_at > lo, lo), else_=Story.first_published_at),
            last_published_at=case((Story.last_published_at < hi, hi), else_=Story.last_published_at),
            updated_at=case((Story.updated_at < hi, hi), else_=Story.updated_at),
        ),
        rows,
    )


def merge_stories(session: Session, gone: str, stays: str) -> None:
    """Every member and key count of story ``gone`` moved to story ``stays``, its span and seed flag
    taken over. The row of ``gone`` stays, empty (members 0, no keys): an article another analysis
    writes into it at the same moment is kept, in a story of its own, rather than refused."""
    merged = session.execute(
        select(Story.members, Story.has_seed, Story.first_published_at, Story.last_published_at).where(
            Story.id == gone
        )
    ).first()
    if merged is None:
        return
    session.execute(update(StoryArticle).where(StoryArticle.story_id == gone).values(story_id=stays))
    keys: Any = select(bindparam("stays", stays), StoryKey.entity_key, StoryKey.articles).where(
        StoryKey.story_id == gone
    )
    session.execute(_adding_key_counts(
        _insert(session, StoryKey).from_select(["story_id", "entity_key", "articles"], keys)))
    session.execute(delete(StoryKey).where(StoryKey.story_id == gone))
    members, seeded, first, last = merged
    _grow_stories(session, [{"sid": stays, "delta": members or 0, "seed": bool(seeded), "lo": first,
                             "hi": last}])
    session.execute(update(Story).where(Story.id == gone).values(members=0, has_seed=False))
