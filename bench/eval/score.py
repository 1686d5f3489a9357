"""Scores: pure functions from labels and predictions to precision, recall, F1 and accuracy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations


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
            f"{name:<12} precision {self.precision:.2f}  recall {self.recall:.2f}  F1 {self.f1:.2f}"
            f"   (tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


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


def expected_status(week_articles: list[dict], earlier_in_story: bool) -> str:
    """new when the story had nothing before the week (no seed, no earlier article); developing when a
    window article brings new facts; else known."""
    if not earlier_in_story:
        return "new"
    return "developing" if any(a.get("adds_facts") for a in week_articles) else "known"
