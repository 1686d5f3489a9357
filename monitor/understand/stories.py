"""Stories: which stored story a new article reports on, from what needs no translation.

An article's story features are its index keys (see ``entities``) minus the names every article of the
watch carries (``common = true`` in the topic file), weighted by how specific each kind is. A French and
an English report of one event share the people (through their aliases), places, figures and dates
however each language writes them. Candidates come from the inverted index (``article_entities`` by
``entity_key``) within ``HORIZON_DAYS``; seeds' stories are always candidates, whatever their age.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .topic import Topic

#: Weight of a shared key by kind. Figures and named people/organisations rarely coincide by chance
#: between two events (2.0); a date is shared by unrelated events on a busy day (1.5); places and
#: unknown capitalised names recur across events of one region or are noisy (1.0).
KIND_WEIGHTS = {"person": 2.0, "org": 2.0, "figure": 2.0, "date": 1.5, "place": 1.0, "unknown": 1.0}
#: Days around an article's date in which other articles can be about the same event. Coverage of an
#: event and its follow-ups runs a week or two; three weekly digests leave room for late reports, while a
#: recurrence months later (troops confirmed in April after the October deployment) is a new story.
HORIZON_DAYS = 21
#: An article joins a story when this share of the smaller feature set (by weight) is shared with one
#: of the story's articles. Reasoning: a report of the same event repeats its core facts — who, where,
#: when, how many — so a third of the shorter report's specific facts reappear; two events with the same
#: actors share the actors but not the dates and figures, staying well under a third.
JOIN_OVERLAP = 0.34
#: … and the shared weight must reach this much: at least two specific facts (e.g. a person and a figure),
#: so that two short texts sharing a single name are not merged.
MIN_SHARED_WEIGHT = 3.5
#: … and unless the shared weight is this large (three specific names), it must include a figure or a
#: date: the same people act in many events (Shoigu went to Pyongyang in 2023, 2024 and twice in 2025),
#: what makes one event is who *and* when or how many.
NAMES_ONLY_WEIGHT = 6.0
#: Bound on the stories active within the horizon that are considered (most recent first): far above
#: the few dozen events a watch covers in six weeks, it only matters for a runaway store.
MAX_CANDIDATE_STORIES = 2000
#: Bound on member articles read per 500 candidate stories, and on candidate articles compared in full:
#: lookups stay bounded whatever the store holds.
MAX_CANDIDATE_ROWS = 5000
MAX_CANDIDATE_ARTICLES = 60


@dataclass(frozen=True)
class Match:
    story_id: str
    article_id: str
    overlap: float
    shared: float


def kind_of(topic: Topic, key: str) -> str:
    if key.startswith(("fig:", "pct:")):
        return "figure"
    if key.startswith("date:"):
        return "date"
    if key.startswith("name:"):
        return "unknown"
    entity = topic.entities.get(key)
    return entity.kind if entity else "unknown"


def features(topic: Topic, keys: Iterable[str]) -> dict[str, float]:
    """Key → weight for the keys that help tell events apart (common names weigh nothing)."""
    out = {}
    for key in keys:
        entity = topic.entities.get(key)
        if entity is not None and entity.common:
            continue
        out[key] = KIND_WEIGHTS[kind_of(topic, key)]
    return out


def overlap(a: Mapping[str, float], b: Mapping[str, float]) -> tuple[float, float]:
    """(shared weight / smaller total weight, shared weight)."""
    shared = sum(w for k, w in a.items() if k in b)
    smaller = min(sum(a.values()), sum(b.values()))
    return (shared / smaller if smaller else 0.0), shared


def best_story(
    article: Mapping[str, float], candidates: Mapping[str, tuple[str, Mapping[str, float]]]
) -> Match | None:
    """The story of the candidate (id → (story id, features)) most like ``article``, if close enough."""
    best: Match | None = None
    for article_id, (story_id, feats) in candidates.items():
        ratio, shared = overlap(article, feats)
        dated = any(k.startswith(("fig:", "pct:", "date:")) for k in article if k in feats)
        if (
            ratio >= JOIN_OVERLAP
            and shared >= MIN_SHARED_WEIGHT
            and (dated or shared >= NAMES_ONLY_WEIGHT)
            and (best is None or (ratio, shared) > (best.overlap, best.shared))
        ):
            best = Match(story_id, article_id, ratio, shared)
    return best


def story_id_for(founder_article_id: str) -> str:
    """A story's id is derived from the article that founded it: stable across re-analysis."""
    return "s-" + hashlib.sha256(founder_article_id.encode("utf-8")).hexdigest()[:16]
