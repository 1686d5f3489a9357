"""What a story shows in the digest, decided from stored data: pure functions, no I/O.

key_sentences      whole lead sentences, never the headline again, quotes never cut open
lead_sentence      one key sentence of a baseline article ("previously")
first_seen_names   the names first seen in a window that are real new people, organisations, places
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .facts import GENERIC_WORDS, normalise, tokens
from .novelty import bigrams
from .topic import Topic

#: A sentence sharing this much of its word bigrams with the headline repeats it (the lead often opens
#: with the headline's words plus a dateline): it is not shown as a key sentence.
HEADLINE_JACCARD = 0.5
#: Quotes merged across at most this many following sentences to close one ("He said: « … . … »").
MAX_QUOTE_JOIN = 3
#: Pairs of opening/closing quote marks; a straight double quote closes itself.
_QUOTES = (("«", "»"), ("“", "”"))
#: An unknown name must be named by this many distinct outlets in the window to be listed: one outlet's
#: spelling, a headline fragment or a byline rarely recurs elsewhere, a new actor in the news does.
MIN_SOURCES_FOR_UNKNOWN = 2


def _open_quotes(text: str) -> int:
    depth = sum(text.count(a) - text.count(b) for a, b in _QUOTES)
    return depth + text.count('"') % 2


def whole_sentences(sentences: Sequence[str]) -> list[str]:
    """``sentences`` with each quote opened in one closed within it (following sentences joined);
    a quote still open after MAX_QUOTE_JOIN joins is dropped rather than shown cut."""
    out: list[str] = []
    i = 0
    while i < len(sentences):
        text, j = sentences[i], i
        while _open_quotes(text) > 0 and j - i < MAX_QUOTE_JOIN and j + 1 < len(sentences):
            j += 1
            text = f"{text} {sentences[j]}"
        if _open_quotes(text) <= 0:
            out.append(text)
        i = j + 1
    return out


def repeats_headline(sentence: str, headline: str) -> bool:
    a, b = bigrams(sentence), bigrams(headline)
    if normalise(sentence) == normalise(headline):
        return True
    return bool(a and b) and len(a & b) / len(a | b) >= HEADLINE_JACCARD


def key_sentences(headline: str, sentences: Sequence[str], n: int) -> list[str]:
    """Up to ``n`` lead sentences: whole, and none repeating the headline."""
    return [s for s in whole_sentences(sentences) if not repeats_headline(s, headline)][:n]


def lead_sentence(headline: str, sentences: Sequence[str]) -> str | None:
    found = key_sentences(headline, sentences, 1)
    return found[0] if found else None


@dataclass(frozen=True)
class Named:
    key: str
    name: str
    kind: str
    sources: int  # distinct outlets of the window naming it


def _alias_prefixes(topic: Topic) -> set[tuple[str, ...]]:
    """Every proper leading part of a gazetteer alias ("kim jong" of "Kim Jong Un"): a fragment."""
    out: set[tuple[str, ...]] = set()
    for pattern in _patterns(topic):
        for end in range(1, len(pattern)):
            out.add(pattern[:end])
    return out


def _patterns(topic: Topic) -> Iterable[tuple[str, ...]]:
    for p in topic.gazetteer.patterns():
        yield tuple(w.lower() for w in p.words)


def is_real_name(topic: Topic, name: Named, fragments: set[tuple[str, ...]]) -> bool:
    """A real new person, organisation or place (see the module docstring)."""
    entity = topic.entities.get(name.key)
    if entity is not None:
        return not entity.outlet and not entity.common
    words = tuple(t.lower for t in tokens(name.name))
    return (
        name.sources >= MIN_SOURCES_FOR_UNKNOWN
        and words not in fragments
        and " ".join(words) not in topic.not_names
        and not any(w in GENERIC_WORDS for w in words)
        and not any(t.cased in topic.name_stopwords for t in tokens(name.name))
    )


def first_seen_names(topic: Topic, names: Iterable[Named]) -> list[dict[str, str]]:
    """The real names among ``names``, one per entity (keys are transliteration-folded), by name."""
    fragments = _alias_prefixes(topic)
    chosen: dict[str, Named] = {}
    for name in names:
        if is_real_name(topic, name, fragments):
            chosen.setdefault(name.key, name)
    return [
        {"key": n.key, "name": n.name, "kind": n.kind} for n in sorted(chosen.values(), key=lambda n: n.name)
    ]
