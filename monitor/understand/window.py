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
      previously        {"id", "url", "title", "published", "source", "sentence"}: the baseline article
                        the story follows (a seed first, else its latest earlier article) and one key
                        sentence of it; null for new stories
      whats_new[]       for developing stories: the sentences carrying new facts (else empty)
      whats_new_items[] {"sentence", "article_id", "url", "source", "published", "lang"}: where each
                        ``whats_new`` sentence comes from, in the same order
      new_facts[]       the fact keys behind whats_new ("fig:1100", "date:2025-04-28", "lavrov")
      key_sentences[]   for new stories: 2–3 whole lead sentences of its first article, never its
                        headline again, no quote cut open (else empty)
      published         {"first", "last"}: publication range of its window articles
      sources[]         distinct outlets of its window articles
    excluded[]          {"id", "url", "title", "reason", "relevance"}: off-topic window articles
    first_seen_entities[]  {"key", "name", "kind"}: real new people, organisations and places first seen
                        in this window (in its stories), one per entity; no outlets, fragments, titles
                        or common nouns (see ``present.first_seen_names``)
    tag_volume          {tag: {"window": n, "baseline_weekly_avg": x, "window_share", "baseline",
                        "baseline_share", "window_total", "baseline_total"}}: original relevant articles
                        per tag in the window, and before it (see ``_tag_volume``)
    counts              {"articles", "stories", "excluded", "duplicates"}

Reads are a fixed number of ``IN`` queries for the whole window (never one per story), and only the
columns shown: the per-sentence facts come from ``article_sentences`` (stored by ``analyze``); stories
without a baseline skip novelty altogether.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..store.models import (
    Article,
    ArticleEntity,
    ArticleSentence,
    ArticleTag,
    Entity,
    Story,
    StoryArticle,
    iso,
)
from . import novelty, present, stories
from .document import build_document
from .entities import extract
from .storage import chunks, when
from .topic import Topic

#: Weeks before the window whose weekly average each tag's volume is compared with.
TAG_BASELINE_WEEKS = 8
#: Entities listed per story (the digest shows a line of names, not an index).
MAX_STORY_ENTITIES = 12
#: Baseline articles whose sentences novelty reads (seeds always, then the most recent): the whole
#: baseline of any real story, bounded for a runaway one.
MAX_BASELINE_TEXTS = 200
#: Baseline articles listed per story in the JSON.
MAX_BASELINE_LISTED = 20
NAMED_KINDS = ("person", "place", "org", "unknown")
_STATUS_RANK = {novelty.NEW: 0, novelty.DEVELOPING: 1, novelty.KNOWN: 2}
#: Columns of an article the digest shows or decides on (never the text or the raw HTML).
_COLUMNS = (
    Article.id,
    Article.url,
    Article.title,
    Article.source,
    Article.lang,
    Article.published_at,
    Article.first_seen_at,
    Article.duplicate_of,
    Article.relevance,
    Article.relevance_reason,
    Article.is_baseline,
    Article.relevant,
)


def in_window(since: datetime, until: datetime) -> Any:
    """SQL condition: published in [since, until), or first seen there when never published (indexed)."""
    return or_(
        and_(Article.published_at >= since, Article.published_at < until),
        and_(Article.published_at.is_(None), Article.first_seen_at >= since, Article.first_seen_at < until),
    )


def _article_row(a: Any) -> dict[str, Any]:
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


class _Reads:
    """The window's data, read with a fixed number of IN queries."""

    def __init__(self, session: Session, topic: Topic, since: datetime, until: datetime) -> None:
        self.session, self.topic, self.since, self.until = session, topic, since, until
        self.window = list(
            session.execute(
                select(*_COLUMNS)
                .where(in_window(since, until), Article.is_baseline.is_(False))
                .order_by(func.coalesce(Article.published_at, Article.first_seen_at), Article.id)
            ).all()
        )
        self.story_of = self._pairs(
            select(StoryArticle.article_id, StoryArticle.story_id),
            StoryArticle.article_id,
            [a.id for a in self.window],
        )
        story_ids = list(dict.fromkeys(self.story_of[a.id] for a in self.window if a.id in self.story_of))
        self.stories = {
            s.id: s
            for part in chunks(story_ids)
            for s in session.scalars(select(Story).where(Story.id.in_(part)))
        }
        self.members: dict[str, list[Any]] = {}
        at = func.coalesce(Article.published_at, Article.first_seen_at)
        for part in chunks(story_ids):
            for row in session.execute(
                select(StoryArticle.story_id, StoryArticle.joined_by, *_COLUMNS)
                .join(Article, Article.id == StoryArticle.article_id)
                .where(StoryArticle.story_id.in_(part), or_(Article.is_baseline.is_(True), at < until))
                .order_by(at, Article.id)
            ):
                self.members.setdefault(row.story_id, []).append(row)

    def _pairs(self, query: Any, column: Any, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in chunks(list(ids)):
            out.update(self.session.execute(query.where(column.in_(part))).all())
        return out

    def tags(self, ids: Sequence[str]) -> dict[str, list[tuple[str, float]]]:
        out: dict[str, list[tuple[str, float]]] = {}
        for part in chunks(list(ids)):
            for aid, tag, score in self.session.execute(
                select(ArticleTag.article_id, ArticleTag.tag, ArticleTag.score).where(
                    ArticleTag.article_id.in_(part)
                )
            ):
                out.setdefault(aid, []).append((tag, score))
        return out

    def named(self, ids: Sequence[str]) -> dict[str, list[tuple[str, str, str, int, datetime]]]:
        out: dict[str, list[tuple[str, str, str, int, datetime]]] = {}
        for part in chunks(list(ids)):
            for aid, key, name, kind, mentions, first in self.session.execute(
                select(
                    ArticleEntity.article_id,
                    Entity.key,
                    Entity.name,
                    Entity.kind,
                    ArticleEntity.mentions,
                    Entity.first_seen_at,
                )
                .join(Entity, Entity.key == ArticleEntity.entity_key)
                .where(ArticleEntity.article_id.in_(part), Entity.kind.in_(NAMED_KINDS))
            ):
                out.setdefault(aid, []).append((key, name, kind, mentions, first))
        return out

    def sentences(self, ids: Sequence[str]) -> dict[str, list[tuple[str, list[str]]]]:
        """article id → [(sentence, keys)] in reading order (position 0 is the title); derived from the
        text for articles analysed before sentences were stored."""
        out: dict[str, list[tuple[str, list[str]]]] = {}
        for part in chunks(list(ids)):
            for aid, _, text, keys in self.session.execute(
                select(
                    ArticleSentence.article_id,
                    ArticleSentence.position,
                    ArticleSentence.text,
                    ArticleSentence.keys,
                )
                .where(ArticleSentence.article_id.in_(part))
                .order_by(ArticleSentence.article_id, ArticleSentence.position)
            ):
                out.setdefault(aid, []).append((text, keys.split()))
        missing = [i for i in ids if i not in out]
        for part in chunks(missing):
            for a in self.session.scalars(select(Article).where(Article.id.in_(part))):
                doc = build_document(a.title, a.text, self.topic.lead_sentences)
                facts = extract(self.topic, doc, a.lang, a.published_at)
                out[a.id] = [
                    (s.text, sorted(k)) for s, k in zip(doc.sentences, facts.per_sentence, strict=True)
                ]
        return out


def _body(title: str, sentences: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The sentences after the title (position 0 holds the title when the article has one)."""
    return sentences[1:] if sentences and title.strip() and sentences[0][0] == title.strip() else sentences


def _not_facts(session: Session, topic: Topic) -> set[str]:
    """Gazetteer names that are never new facts: places, the ever-present actors, outlets, and the
    background names of the store (``novelty.background``)."""
    fixed = {k for k, e in topic.entities.items() if e.common or e.outlet or e.kind not in novelty.FACT_KINDS}
    df = dict(
        session.execute(select(Entity.key, Entity.df).where(Entity.in_gazetteer.is_(True))).all()
    )
    n = int(session.scalar(select(func.coalesce(func.sum(Story.members), 0))) or 0)
    return fixed | novelty.background(df, n)


#: How a member that re-tells a seed's story months on joined it (``stories.STRONG_SCORE``: close to
#: the seed's own keys, far past the decay). Its sentences are not judged as news: such an article is a
#: re-telling by construction — an anniversary, a retrospective — and the commentators and background
#: it names (an analyst's view, a sanction of the year before) are not this week's developments. Every
#: such article in the labelled sets is labelled a re-telling with no new fact; the fifth set's
#: retrospective two years after the Vostochny summit read "developing" through the names it quoted
#: (status 0.67 → 0.70; no other set moved). A development months on brings keys of its own and joins,
#: or founds, a story by its score.
RETELLING = stories.STRONG_PATH


def _novelty(
    topic: Topic,
    window: list[Any],
    baseline: list[Any],
    texts: dict[str, list[tuple[str, list[str]]]],
    not_facts: set[str],
) -> novelty.Verdict:
    if not baseline:
        return novelty.judge([], None)
    gazetteer = set(topic.entities)
    base = novelty.Baseline()
    for a in baseline:
        for text, keys in texts.get(a.id, []):
            base.add(text, novelty.fact_keys(keys, gazetteer, not_facts))
    window_sentences = [
        novelty.WindowSentence(
            a.id,
            text,
            frozenset(
                k for k in novelty.fact_keys(keys, gazetteer, not_facts) if novelty.is_event_date(k, when(a))
            ),
        )
        for a in window
        if not a.duplicate_of and a.joined_by != RETELLING
        for text, keys in _body(a.title, texts.get(a.id, []))
    ]
    return novelty.judge(window_sentences, base)


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


def _previously(baseline: list[Any], texts: dict[str, list[tuple[str, list[str]]]]) -> dict[str, Any] | None:
    """The baseline article a story follows: its first seed, else its latest earlier article."""
    if not baseline:
        return None
    seeds = [a for a in baseline if a.is_baseline]
    originals = [a for a in baseline if not a.duplicate_of] or baseline  # copies have no stored sentences
    a = seeds[0] if seeds else max(originals, key=lambda b: (when(b), b.id))
    sentence = present.lead_sentence(a.title, [t for t, _ in _body(a.title, texts.get(a.id, []))])
    return {
        "id": a.id,
        "url": a.url,
        "title": a.title,
        "published": iso(when(a)),
        "source": a.source,
        "sentence": sentence,
    }


def _items(verdict: novelty.Verdict, by_id: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "sentence": item.text,
            "article_id": item.article_id,
            "url": by_id[item.article_id].url,
            "source": by_id[item.article_id].source,
            "published": iso(when(by_id[item.article_id])),
            "lang": by_id[item.article_id].lang,
        }
        for item in verdict.items
    ]


def _story_entry(
    reads: _Reads, story: Story, texts: dict[str, Any], tags: dict, named: dict, not_facts: set[str]
) -> dict[str, Any]:
    topic, since, until = reads.topic, reads.since, reads.until
    members = reads.members.get(story.id, [])
    window = [a for a in members if not a.is_baseline and since <= when(a) < until]
    baseline = [a for a in members if a.is_baseline or (a.relevant and when(a) < since)]
    verdict = _novelty(topic, window, baseline, texts, not_facts)
    originals = [a for a in window if not a.duplicate_of] or window
    tag_totals: Counter[str] = Counter()
    names: Counter[tuple[str, str, str]] = Counter()
    for a in window:
        for tag, score in tags.get(a.id, []):
            tag_totals[tag] += score
        for key, name, kind, mentions, _ in named.get(a.id, []):
            names[(key, name, kind)] += mentions
    labels = {t.key: t for t in topic.tags}
    tag_keys = [t for t, _ in tag_totals.most_common()]
    key_sentences: list[str] = []
    if verdict.status == novelty.NEW:
        first = originals[0]
        body = [t for t, _ in _body(first.title, texts.get(first.id, []))]
        key_sentences = present.key_sentences(first.title, body, novelty.KEY_SENTENCES)
    listed = sorted(baseline, key=lambda a: (not a.is_baseline, -when(a).timestamp()))[:MAX_BASELINE_LISTED]
    by_id = {a.id: a for a in window}
    return {
        "id": story.id,
        "status": verdict.status,
        "title": originals[0].title,
        "story_title": story.title,
        "tags": tag_keys,
        "tag_labels": [
            {
                "key": t,
                "label": labels[t].label if t in labels else t,
                "label_fr": labels[t].label_fr if t in labels else "",
            }
            for t in tag_keys
        ],
        "entities": [name for (_, name, _), _ in names.most_common(MAX_STORY_ENTITIES)],
        "articles": [_article_row(a) for a in window],
        "baseline": [
            {"id": a.id, "url": a.url, "title": a.title, "published": iso(when(a)), "seed": a.is_baseline}
            for a in listed
        ],
        "previously": _previously(baseline, texts),
        "whats_new": list(verdict.whats_new),
        "whats_new_items": _items(verdict, by_id),
        "new_facts": list(verdict.new_facts),
        "key_sentences": key_sentences,
        "published": {"first": iso(when(window[0])), "last": iso(when(window[-1]))},
        "sources": sorted({a.source for a in window if a.source}),
    }


def _texts_needed(reads: _Reads) -> list[str]:
    """Articles whose sentences the digest reads: window originals and baselines of stories that have a
    baseline; the first original of stories that have none (for key sentences)."""
    needed: list[str] = []
    for members in reads.members.values():
        window = [a for a in members if not a.is_baseline and reads.since <= when(a) < reads.until]
        baseline = [a for a in members if a.is_baseline or (a.relevant and when(a) < reads.since)]
        originals = [a for a in window if not a.duplicate_of] or window
        if not baseline:
            needed += [originals[0].id] if originals else []
            continue
        recent = sorted(baseline, key=lambda a: (not a.is_baseline, -when(a).timestamp()))[
            :MAX_BASELINE_TEXTS
        ]
        needed += [a.id for a in recent if not a.duplicate_of] + [a.id for a in originals]
    return list(dict.fromkeys(needed))


def _first_seen(reads: _Reads, named: dict) -> list[dict[str, str]]:
    sources: dict[str, set[str]] = {}
    found: dict[str, present.Named] = {}
    by_id = {a.id: a for a in reads.window}
    for aid, rows in named.items():
        if aid not in reads.story_of:
            continue
        for key, name, kind, _, first in rows:
            if reads.since <= first < reads.until:
                sources.setdefault(key, set()).add(by_id[aid].source or aid)
                found.setdefault(key, present.Named(key, name, kind, 0))
    return present.first_seen_names(
        reads.topic, (present.Named(k, n.name, n.kind, len(sources[k])) for k, n in found.items())
    )


def digest_data(session: Session, topic: Topic, since: datetime, until: datetime) -> dict[str, Any]:
    """The window's stories and exclusions (see the module docstring for every key)."""
    reads = _Reads(session, topic, since, until)
    window, story_of = reads.window, reads.story_of
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
    in_stories = [a.id for a in window if a.id in story_of]
    tags, named = reads.tags(in_stories), reads.named(in_stories)
    texts = reads.sentences(_texts_needed(reads))
    not_facts = _not_facts(session, topic)
    entries = [
        _story_entry(reads, reads.stories[sid], texts, tags, named, not_facts)
        for sid in dict.fromkeys(story_of[a] for a in in_stories)
        if sid in reads.stories
    ]
    entries.sort(key=lambda s: s["published"]["last"] or "", reverse=True)  # most recent first …
    entries.sort(key=lambda s: (_STATUS_RANK[s["status"]], -len(s["articles"])))  # … within status and size
    return {
        "window": {"since": iso(since), "until": iso(until)},
        "stories": entries,
        "excluded": excluded,
        "first_seen_entities": _first_seen(reads, named),
        "tag_volume": _tag_volume(session, since, until),
        "counts": {
            "articles": len(window),
            "stories": len(entries),
            "excluded": len(excluded),
            "duplicates": sum(1 for a in window if a.duplicate_of),
        },
    }
