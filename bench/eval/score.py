"""Scores: pure functions from labels and predictions to precision, recall, F1 and accuracy.

Truth of a story-week (``story_week_truth``), from the article labels alone:

- **new**: the first week of a story that has no seed and no article in an earlier week;
- **developing**: a later week (or any week of a seed's story) in which some article carries
  ``new_facts`` — facts absent from everything the story had before that week (its seed and the
  articles of its earlier weeks);
- **known**: a later week (or any week of a seed's story) whose articles only re-tell that baseline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any

NEW, DEVELOPING, KNOWN = "new", "developing", "known"


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, name: str) -> str:
        return (
            f"{name:<22} precision {self.precision:.2f}  recall {self.recall:.2f}  F1 {self.f1:.2f}"
            f"   (tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )

    def to_json(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass(frozen=True)
class Accuracy:
    hits: int
    total: int

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 1.0

    def to_json(self) -> dict[str, float | int]:
        return {"accuracy": round(self.value, 4), "hits": self.hits, "total": self.total}


def prf(expected: Iterable[object], predicted: Iterable[object]) -> PRF:
    e, p = set(expected), set(predicted)
    return PRF(len(e & p), len(p - e), len(e - p))


def same_group_pairs(groups: Mapping[str, str | None]) -> set[tuple[str, str]]:
    """Unordered pairs of items that share a (non-null) group."""
    by_group: dict[str, list[str]] = {}
    for item, group in groups.items():
        if group is not None:
            by_group.setdefault(group, []).append(item)
    return {tuple(sorted(pair)) for members in by_group.values() for pair in combinations(members, 2)}


def cross_language(pairs: Iterable[tuple[str, str]], lang: Mapping[str, str]) -> set[tuple[str, str]]:
    """The pairs whose two items are in different languages."""
    return {(a, b) for a, b in pairs if lang.get(a) != lang.get(b)}


def week_start(when: datetime) -> datetime:
    """Monday 00:00 of the week holding ``when`` (the digest's default week)."""
    return (when - timedelta(days=when.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def is_seed_story(label: str) -> bool:
    return label.startswith("seed")


def story_week_truth(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, datetime], str]:
    """(story label, week start) → new / developing / known, for every week a relevant row is in."""
    weeks: dict[str, dict[datetime, list[Mapping[str, Any]]]] = {}
    for row in rows:
        if row.get("relevant") and row.get("story"):
            weeks.setdefault(row["story"], {}).setdefault(week_start(row["published"]), []).append(row)
    truth = {}
    for label, by_week in weeks.items():
        for n, week in enumerate(sorted(by_week)):
            if n == 0 and not is_seed_story(label):
                truth[(label, week)] = NEW
            else:
                truth[(label, week)] = DEVELOPING if any(adds_facts(r) for r in by_week[week]) else KNOWN
    return truth


def week_table(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per story-week: story, week (Monday), status truth, half, and its article ids — the content
    of ``devset_weeks.jsonl``, kept next to the set so the truth can be read (and reviewed) directly."""
    rows = list(rows)
    truth = story_week_truth(rows)
    table = []
    for (label, week), status in sorted(truth.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        members = [r for r in rows if r.get("story") == label and week_start(r["published"]) == week]
        table.append({"story": label, "week": week.date().isoformat(), "status": status,
                      "split": members[0].get("split", "all"), "articles": [r["id"] for r in members]})
    return table


def adds_facts(row: Mapping[str, Any]) -> bool:
    """The row brings facts new to its story (``new_facts``; the older set's boolean ``adds_facts``)."""
    return bool(row.get("new_facts")) if "new_facts" in row else bool(row.get("adds_facts"))


def expected_status(week_articles: list[dict], earlier_in_story: bool) -> str:
    """new when the story had nothing before the week (no seed, no earlier article); developing when a
    window article brings new facts; else known."""
    if not earlier_in_story:
        return NEW
    return DEVELOPING if any(adds_facts(a) for a in week_articles) else KNOWN


def majority(values: Iterable[str | None]) -> str | None:
    """The most common non-null value (ties: the first seen), or None."""
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else None


def seed_linkage(
    labelled: Mapping[str, str], predicted: Mapping[str, str | None], seed_story: Mapping[str, str | None]
) -> tuple[Accuracy, list[str]]:
    """Share of articles labelled with a seed's story that sit in the story holding that seed.

    ``labelled``: article → seed label; ``predicted``: article → predicted story id;
    ``seed_story``: seed label → the predicted story id holding that seed (None when not found).
    """
    misses = [a for a, label in labelled.items()
              if predicted.get(a) is None or predicted.get(a) != seed_story.get(label)]
    return Accuracy(len(labelled) - len(misses), len(labelled)), sorted(misses)
