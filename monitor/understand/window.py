"""The digest data for a window [since, until): the JSON contract of ``monitor digest --format json``.

An article is in the window by its publication time (its first-seen time when it has none). Seeds never
count as window articles. The baseline of a story is its seeds (always, whatever their dates) plus its
relevant articles published before ``since``. Every window article appears exactly once: in one story's
``articles`` (copies included, marked by ``duplicate_of``) or in ``excluded``.

Keys (times are ISO 8601 strings, naive UTC):

    window              {"since", "until"}
    stories[]           ordered by importance: new, then developing, then known; within a status by
                        number of window articles, then by latest publication
      id                stable story id ("s-…")
      status            "new" | "developing" | "known"
      title             headline of the story's first original window article
      story_title       title the story got when it was founded (a seed's title for seed stories)
      tags[]            tag keys of its window articles, strongest first
      tag_labels[]      {"key", "label", "label_fr"} for each tag, for rendering
      entities[]        names (people, places, organisations, unknown names) in its window articles,
                        most mentioned first
      articles[]        {"id", "url", "title", "source", "lang", "published", "duplicate_of",
                         "relevance"} in publication order; ``duplicate_of`` is the id of the article it
                        copies or null
      baseline[]        {"id", "url", "title", "published", "seed"}: seeds first, then earlier articles
      whats_new[]       for developing stories: the sentences carrying new facts (else empty)
      new_facts[]       the fact keys behind whats_new ("fig:1100", "date:2025-04-28", "lavrov")
      key_sentences[]   for new stories: 2–3 lead sentences of its first article (else empty)
      published         {"first", "last"}: publication range of its window articles
      sources[]         distinct outlets of its window articles
    excluded[]          {"id", "url", "title", "reason", "relevance"}: off-topic window articles
    first_seen_entities[]  {"key", "name", "kind"}: names first seen in this window (in its stories)
    tag_volume          {tag: {"window": n, "baseline_weekly_avg": x, "window_share", "baseline",
                        "baseline_share", "window_total", "baseline_total"}}: original relevant articles
                        per tag in the window, and before it (see ``_tag_volume``)
    counts              {"articles", "stories", "excluded", "duplicates"}
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..store.models import Article, ArticleEntity, ArticleTag, Entity, Story, StoryArticle, iso
from . import novelty
from .analyze import when
from .document import build_document
from .entities import extract
from .facts import sentences
from .topic import Topic

#: Weeks before the window whose weekly average each tag's volume is compared with.
TAG_BASELINE_WEEKS = 8
#: Entities listed per story (the digest shows a line of names, not an index).
MAX_STORY_ENTITIES = 12
#: Baseline articles whose sentences are compared with the window's (most recent first, seeds always).
MAX_BASELINE_TEXTS = 30
#: Baseline articles listed per story in the JSON.
MAX_BASELINE_LISTED = 20
NAMED_KINDS = ("person", "place", "org", "unknown")
_STATUS_RANK = {novelty.NEW: 0, novelty.DEVELOPING: 1, novelty.KNOWN: 2}



def in_window(since: datetime, until: datetime) -> Any:
    """SQL condition: published in [since, until), or first seen there when never published (indexed)."""
    return or_(
        and_(Article.published_at >= since, Article.published_at < until),
        and_(Article.published_at.is_(None), Article.first_seen_at >= since, Article.first_seen_at < until),
    )


def _article_row(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "url": a.url,
        "title": a.title,
        "source": a.source,
        "lang": a.lang,
        "published": iso(when(a)),
        "duplicate_of": a.duplicate_of,
        "relevance": a.relevance,
    }


def _members(session: Session, story_id: str, until: datetime) -> list[Article]:
    at = func.coalesce(Article.published_at, Article.first_seen_at)
    return list(
        session.scalars(
            select(Article)
            .join(StoryArticle, StoryArticle.article_id == Article.id)
            .where(StoryArticle.story_id == story_id, or_(Article.is_baseline.is_(True), at < until))
            .order_by(at, Article.id)
        )
    )


def _keys_by_article(session: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        for article_id, key in session.execute(
            select(ArticleEntity.article_id, ArticleEntity.entity_key).where(
                ArticleEntity.article_id.in_(list(ids))
            )
        ):
            out[article_id].append(key)
    return out


def _novelty(
    session: Session, topic: Topic, window: list[Article], baseline: list[Article]
) -> novelty.Verdict:
    gazetteer = set(topic.entities)
    common = {k for k, e in topic.entities.items() if e.common}
    base_keys = _keys_by_article(session, [a.id for a in baseline])
    base_facts = set(novelty.fact_keys((k for ks in base_keys.values() for k in ks), gazetteer, common))
    recent = sorted(baseline, key=lambda a: (not a.is_baseline, -when(a).timestamp()))[:MAX_BASELINE_TEXTS]
    base_sentences = [novelty.bigrams(s) for a in recent for s in [a.title, *sentences(a.text)]]
    window_sentences: list[novelty.WindowSentence] = []
    for a in window:
        if a.duplicate_of:
            continue
        doc = build_document(a.title, a.text, topic.lead_sentences)
        facts = extract(topic, doc, a.lang, a.published_at)
        window_sentences += [
            novelty.WindowSentence(a.id, s.text, novelty.fact_keys(keys, gazetteer, common))
            for s, keys in zip(doc.sentences, facts.per_sentence, strict=True)
        ]
    return novelty.judge(window_sentences, bool(baseline), base_facts, base_sentences)


def _story_entry(
    session: Session, topic: Topic, story: Story, members: list[Article], since: datetime, until: datetime
) -> dict[str, Any]:
    window = [a for a in members if not a.is_baseline and since <= when(a) < until]
    baseline = [a for a in members if a.is_baseline or (a.relevant and when(a) < since)]
    verdict = _novelty(session, topic, window, baseline)
    originals = [a for a in window if not a.duplicate_of] or window
    ids = [a.id for a in window]
    tag_totals: Counter[str] = Counter()
    for tag, score in session.execute(
        select(ArticleTag.tag, ArticleTag.score).where(ArticleTag.article_id.in_(ids))
    ):
        tag_totals[tag] += score
    labels = {t.key: t for t in topic.tags}
    tags = [t for t, _ in tag_totals.most_common()]
    named = Counter()
    for key, name, kind, mentions in session.execute(
        select(Entity.key, Entity.name, Entity.kind, ArticleEntity.mentions)
        .join(ArticleEntity, ArticleEntity.entity_key == Entity.key)
        .where(ArticleEntity.article_id.in_(ids), Entity.kind.in_(NAMED_KINDS))
    ):
        named[(key, name, kind)] += mentions
    key_sentences: list[str] = []
    if verdict.status == novelty.NEW:
        key_sentences = sentences(originals[0].text)[: novelty.KEY_SENTENCES]
    listed = sorted(baseline, key=lambda a: (not a.is_baseline, -when(a).timestamp()))[:MAX_BASELINE_LISTED]
    return {
        "id": story.id,
        "status": verdict.status,
        "title": originals[0].title,
        "story_title": story.title,
        "tags": tags,
        "tag_labels": [
            {
                "key": t,
                "label": labels[t].label if t in labels else t,
                "label_fr": labels[t].label_fr if t in labels else "",
            }
            for t in tags
        ],
        "entities": [name for (_, name, _), _ in named.most_common(MAX_STORY_ENTITIES)],
        "articles": [_article_row(a) for a in window],
        "baseline": [
            {"id": a.id, "url": a.url, "title": a.title, "published": iso(when(a)), "seed": a.is_baseline}
            for a in listed
        ],
        "whats_new": list(verdict.whats_new),
        "new_facts": list(verdict.new_facts),
        "key_sentences": key_sentences,
        "published": {"first": iso(when(window[0])), "last": iso(when(window[-1]))},
        "sources": sorted({a.source for a in window if a.source}),
    }


def _first_seen(
    session: Session, ids: Sequence[str], since: datetime, until: datetime
) -> list[dict[str, str]]:
    if not ids:
        return []
    rows = session.execute(
        select(Entity.key, Entity.name, Entity.kind)
        .join(ArticleEntity, ArticleEntity.entity_key == Entity.key)
        .where(
            ArticleEntity.article_id.in_(list(ids)),
            Entity.kind.in_(NAMED_KINDS),
            Entity.first_seen_at >= since,
            Entity.first_seen_at < until,
        )
        .distinct()
        .order_by(Entity.name)
    )
    return [{"key": k, "name": n, "kind": kind} for k, n, kind in rows]


def _tag_counts(session: Session, since: datetime, until: datetime) -> Counter[str]:
    rows = session.execute(
        select(ArticleTag.tag, func.count())
        .join(Article, Article.id == ArticleTag.article_id)
        .where(
            in_window(since, until),
            Article.relevant.is_(True),
            Article.duplicate_of.is_(None),
            Article.is_baseline.is_(False),
        )
        .group_by(ArticleTag.tag)
    )
    return Counter({tag: int(n) for tag, n in rows})


def _tag_volume(session: Session, since: datetime, until: datetime) -> dict[str, dict[str, float]]:
    """Per tag: this week's original relevant articles, and what was known before, two ways.

    ``window_share`` / ``baseline_share``: the part of the window's articles (``window_total``) and of
    every relevant original article known before it, seeds included (``baseline_total``), that carry the
    tag: the comparison the digest's chart draws. ``baseline_weekly_avg``: the weekly average over the
    TAG_BASELINE_WEEKS before the window, divided by the weeks the store actually covers (a store two
    weeks old averages over two weeks, not eight; 0.0 when it has no earlier week at all).
    """
    at = func.coalesce(Article.published_at, Article.first_seen_at)
    original = (Article.relevant.is_(True), Article.duplicate_of.is_(None))
    window_rule = (in_window(since, until), Article.is_baseline.is_(False), *original)
    before_rule = (or_(Article.is_baseline.is_(True), at < since), *original)

    def per_tag(*rule: Any) -> Counter[str]:
        rows = session.execute(select(ArticleTag.tag, func.count())
                               .join(Article, Article.id == ArticleTag.article_id)
                               .where(*rule).group_by(ArticleTag.tag))
        return Counter({tag: int(n) for tag, n in rows})

    def total(*rule: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(Article).where(*rule)) or 0)

    now, before = per_tag(*window_rule), per_tag(*before_rule)
    window_total, base_total = total(*window_rule), total(*before_rule)
    start = since - timedelta(weeks=TAG_BASELINE_WEEKS)
    trailing_rule = (at >= start, at < since, Article.is_baseline.is_(False), *original)
    trailing = per_tag(*trailing_rule)
    earliest = session.scalar(select(func.min(at)).where(*trailing_rule))
    covered = 0 if earliest is None else math.ceil((since - earliest) / timedelta(weeks=1))
    weeks = min(TAG_BASELINE_WEEKS, covered)
    return {
        tag: {
            "window": now[tag],
            "baseline_weekly_avg": round(trailing[tag] / weeks, 2) if weeks else 0.0,
            "window_share": round(now[tag] / window_total, 4) if window_total else 0.0,
            "baseline": before[tag],
            "baseline_share": round(before[tag] / base_total, 4) if base_total else 0.0,
            "window_total": window_total,
            "baseline_total": base_total,
        }
        for tag in sorted(set(now) | set(before))
    }


def digest_data(session: Session, topic: Topic, since: datetime, until: datetime) -> dict[str, Any]:
    """The window's stories and exclusions (see the module docstring for every key)."""
    window = list(
        session.scalars(
            select(Article)
            .where(in_window(since, until), Article.is_baseline.is_(False))
            .order_by(func.coalesce(Article.published_at, Article.first_seen_at), Article.id)
        )
    )
    story_of = dict(
        session.execute(
            select(StoryArticle.article_id, StoryArticle.story_id).where(
                StoryArticle.article_id.in_([a.id for a in window])
            )
        ).all()
    )
    excluded = [
        {
            "id": a.id,
            "url": a.url,
            "title": a.title,
            "relevance": a.relevance,
            "reason": a.relevance_reason or "not analysed",
        }
        for a in window
        if a.id not in story_of
    ]
    entries = []
    for story_id in dict.fromkeys(story_of[a.id] for a in window if a.id in story_of):
        story = session.get(Story, story_id)
        if story is not None:
            entries.append(
                _story_entry(session, topic, story, _members(session, story_id, until), since, until)
            )
    entries.sort(key=lambda s: s["published"]["last"] or "", reverse=True)  # most recent first …
    entries.sort(key=lambda s: (_STATUS_RANK[s["status"]], -len(s["articles"])))  # … within status and size
    return {
        "window": {"since": iso(since), "until": iso(until)},
        "stories": entries,
        "excluded": excluded,
        "first_seen_entities": _first_seen(session, list(story_of), since, until),
        "tag_volume": _tag_volume(session, since, until),
        "counts": {
            "articles": len(window),
            "stories": len(entries),
            "excluded": len(excluded),
            "duplicates": sum(1 for a in window if a.duplicate_of),
        },
    }
