"""Tags: the topic's taxonomy, scored like relevance (zone weight per sentence naming a tag's terms)."""

from __future__ import annotations

from .document import BODY, LEAD, TITLE, Document
from .topic import Topic


def tag_scores(topic: Topic, doc: Document) -> dict[str, float]:
    """Tag key → score, for the tags reaching the topic's ``tag_min_score``; highest first."""
    weights = {TITLE: topic.title_weight, LEAD: topic.lead_weight, BODY: topic.body_weight}
    scores: dict[str, float] = {}
    for sentence in doc.sentences:
        for tag in {p.label for p, _, _ in topic.tag_terms.find(sentence.toks)}:
            scores[tag] = scores.get(tag, 0.0) + weights[sentence.zone]
    kept = {tag: score for tag, score in scores.items() if score >= topic.tag_min_score}
    return dict(sorted(kept.items(), key=lambda kv: (-kv[1], kv[0])))
