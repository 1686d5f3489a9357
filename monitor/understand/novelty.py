"""Novelty: is a story new, developing or known in a window, and which sentences carry its new facts?

    new         no baseline article belongs to the story
    developing  it has baseline articles and the window brings new facts: sentences naming figures,
                dates or gazetteer people/places/organisations its baseline never named, and unlike
                any baseline sentence
    known       a re-telling, republication or translation of baseline content

Facts are the language-neutral keys of ``entities`` (figures, dates, gazetteer names), so an English
re-telling of a French seed brings no new fact even though none of its sentences reads like the seed's.
Capitalised names the gazetteer lacks do not count as facts here: an organisation's name translated
("Conseil de sécurité" / "Security Council") would look new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..text import normalise

NEW, DEVELOPING, KNOWN = "new", "developing", "known"
#: A window brings new facts when its new-fact sentences name at least this many distinct new facts. One
#: stray new number (an age, an aside) is not a development; a follow-up brings a figure and a date, or
#: several figures.
MIN_NEW_FACTS = 2
#: A sentence whose word-bigram Jaccard with a baseline sentence reaches this repeats it (same language).
#: Half of the bigrams in common means the same sentence lightly edited; distinct sentences on one topic
#: share under a fifth.
SAME_SENTENCE_JACCARD = 0.5
#: At most this many sentences are kept per story as its new facts (the digest shows a few lines).
MAX_WHATS_NEW = 5
#: Sentences shown for a new story: its lead.
KEY_SENTENCES = 3


@dataclass(frozen=True)
class WindowSentence:
    article_id: str
    text: str
    facts: frozenset[str]  # fact keys named in this sentence (see ``fact_keys``)


@dataclass(frozen=True)
class Verdict:
    status: str
    whats_new: tuple[str, ...]
    new_facts: tuple[str, ...]


def fact_keys(keys: Iterable[str], gazetteer_keys: set[str], common: set[str]) -> frozenset[str]:
    """The keys that count as facts: figures, dates, and gazetteer names that are not common."""
    return frozenset(
        k
        for k in keys
        if k.startswith(("fig:", "pct:", "date:")) or (k in gazetteer_keys and k not in common)
    )


def bigrams(text: str) -> frozenset[str]:
    words = normalise(text).split()
    return frozenset(" ".join(words[i : i + 2]) for i in range(len(words) - 1))


def _repeats(sentence: frozenset[str], baseline: Sequence[frozenset[str]]) -> bool:
    for other in baseline:
        union = len(sentence | other)
        if union and len(sentence & other) / union >= SAME_SENTENCE_JACCARD:
            return True
    return False


def judge(
    window: Sequence[WindowSentence],
    has_baseline: bool,
    baseline_facts: set[str],
    baseline_sentences: Sequence[frozenset[str]],
) -> Verdict:
    """The story's status in the window, with the sentences carrying its new facts (for developing)."""
    if not has_baseline:
        return Verdict(NEW, (), ())
    scored: list[tuple[int, int, str, frozenset[str]]] = []
    seen_texts: set[str] = set()
    for position, sentence in enumerate(window):
        fresh = sentence.facts - baseline_facts
        key = normalise(sentence.text)
        if not fresh or key in seen_texts or _repeats(bigrams(sentence.text), baseline_sentences):
            continue
        seen_texts.add(key)
        scored.append((-len(fresh), position, sentence.text, fresh))
    new_facts = frozenset().union(*(fresh for *_, fresh in scored)) if scored else frozenset()
    if len(new_facts) < MIN_NEW_FACTS:
        return Verdict(KNOWN, (), tuple(sorted(new_facts)))
    kept = sorted(scored)[:MAX_WHATS_NEW]
    kept.sort(key=lambda item: item[1])  # back in reading order
    return Verdict(DEVELOPING, tuple(text for _, _, text, _ in kept), tuple(sorted(new_facts)))
