"""Relevance: is the article about the relationship between the watch's sides?

Each sentence naming a side adds the weight of its zone (title, lead, body) to that side, once however
many terms it holds. The article is relevant when every side reaches ``min_side_score`` and, when the
topic requires it, at least one sentence (or the title) names two sides together, or the opening
(title and lead) names every side. An article about
something else that names the other side in one passing body sentence scores 1.0 on that side and is
off-topic, with a reason saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .document import BODY, LEAD, TITLE, Document
from .facts import word_set
from .topic import Topic


@dataclass(frozen=True)
class Relevance:
    #: The weakest side's score: how much the article is about the relationship as a whole.
    score: float
    relevant: bool
    reason: str
    side_scores: dict[str, float]


def _weight(topic: Topic, zone: str) -> float:
    return {TITLE: topic.title_weight, LEAD: topic.lead_weight, BODY: topic.body_weight}[zone]


def names_no_side(topic: Topic, title: str, text: str) -> Relevance | None:
    """The verdict ``judge`` gives a text that names no side at all, found without cutting it into
    sentences and tokens — most of a general news feed — or None when a side may be named (then ask
    ``judge``). A term can match only where the text holds each of its words (the last one as a prefix,
    for a prefix term) as a word of its own: where no term of any side has all its words in the text's
    set of words, none can match."""
    if not topic.side_terms:
        return None
    words = word_set(f"{title}\n{text}")
    for term, prefix in topic.side_terms:
        *first, last = term
        if all(w in words for w in first) and (
            last in words or (prefix and any(w.startswith(last) for w in words))
        ):
            return None
    scores = dict.fromkeys(topic.side_names, 0.0)
    detail = ", ".join(f"{s} 0 (0 sentences)" for s in topic.side_names)
    return Relevance(0.0, False, f"off-topic: {topic.side_names[0]} not mentioned; {detail}", scores)


def judge(topic: Topic, doc: Document) -> Relevance:
    """Score ``doc`` against ``topic`` and say why it is or is not relevant."""
    scores = dict.fromkeys(topic.side_names, 0.0)
    sentences_naming = dict.fromkeys(topic.side_names, 0)
    together = 0
    opening: set[str] = set()
    naming: list[int] = []  # the sentences naming any side
    for i, sentence in enumerate(doc.sentences):
        named = {p.label for p, _, _ in topic.sides.find(sentence.toks)}
        if named:
            naming.append(i)
        for side in named:
            scores[side] += _weight(topic, sentence.zone)
            sentences_naming[side] += 1
        together += len(named) >= 2
        if sentence.zone in (TITLE, LEAD):
            opening |= named
    lede = 1 if doc.sentences and doc.sentences[0].zone == TITLE else 0  # the text's first sentence
    if len(naming) == 1 and naming[0] > lede:
        # Every side named in one sentence only, and not the title or the lede that says what the article
        # is about: an aside ("traders shrugged off reports of North Korean troops in Russia").
        detail = ", ".join(f"{s} {scores[s]:g}" for s in topic.side_names)
        return Relevance(
            min(scores.values()), False, f"off-topic: only a passing mention (one sentence); {detail}", scores
        )
    # The opening (title and lead) naming every side links them too: "Gifts swapped in Pyongyang" over
    # "Kremlin aide Yuri Ushakov listed…" is about the relationship though no one sentence names both.
    together += len(opening) >= len(topic.side_names) and not together
    weakest = min(scores, key=lambda s: scores[s])
    score = scores[weakest]
    detail = ", ".join(f"{s} {scores[s]:g} ({sentences_naming[s]} sentences)" for s in topic.side_names)
    if score < topic.min_side_score:
        why = (
            "not mentioned"
            if sentences_naming[weakest] == 0
            else f"only a passing mention ({sentences_naming[weakest]} body sentence"
            f"{'s' if sentences_naming[weakest] > 1 else ''})"
        )
        return Relevance(score, False, f"off-topic: {weakest} {why}; {detail}", scores)
    if topic.require_cooccurrence and together == 0:
        return Relevance(
            score, False, f"off-topic: no sentence links {' and '.join(topic.side_names)}; {detail}", scores
        )
    return Relevance(score, True, f"relevant: {detail}; {together} sentences link them", scores)
