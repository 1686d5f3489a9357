"""Entities and facts per sentence: gazetteer names through their aliases, unknown capitalised names,
figures and dates.

Keys are what the store's inverted index (``article_entities.entity_key``) holds:

    <gazetteer key>      "shoigu", "kursk"        kind person / place / org (from the topic file)
    name:<folded words>  "name:ramon-pacheco-pardo" kind "unknown": a capitalised name the gazetteer lacks,
                         its words transliteration-folded ("Ouchakov" and "Ushakov" → "name:yuri-ushakov")
    fig:<number>         "fig:11000", "pct:50"    kind "figure"
    date:<YYYY-MM-DD>    "date:2024-12-04"        kind "date"

Gazetteer matches are found first and their words are not read again, so "Kim En Un" (a Russian
researcher, his own gazetteer entry) is never Kim Jong Un and never an unknown name either.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from .document import BODY, Document
from .facts import Token, dates, figures, fold
from .topic import Topic, folded_key

FIGURE, DATE, UNKNOWN = "figure", "date", "unknown"
#: Words that may sit inside a name ("Ramon Pacheco Pardo", "Charles de Gaulle", "Kim Jong-un").
NAME_PARTICLES = frozenset({"de", "du", "des", "la", "le", "van", "von", "bin", "al", "el", "di", "da"})
#: Unknown names are 2 to 4 capitalised words: one capitalised word alone is too often a sentence opener.
MIN_NAME_WORDS, MAX_NAME_WORDS = 2, 4


@dataclass(frozen=True)
class Found:
    key: str
    name: str
    kind: str
    in_gazetteer: bool


@dataclass
class SentenceFacts:
    keys: set[str] = field(default_factory=set)


@dataclass
class ArticleFacts:
    """What one article names, per sentence and in total."""

    per_sentence: list[set[str]]
    found: dict[str, Found]
    mentions: Counter[str]


def _is_capitalised(tok: Token) -> bool:
    return tok.cased[:1].isupper() and not tok.cased.isdigit()


_APOSTROPHES = ("'", "\u2019")
_JOINERS = ("-", *_APOSTROPHES)


def _folded_entity(topic: Topic, run: list[Token]) -> Found | None:
    """The gazetteer entity a run of capitalised words names in a spelling the topic file does not list
    ("Tchoe Son-hui", "Mme Choigou"): its longest part whose transliteration-folded words are a folded
    name or alias of exactly one entity."""
    if not topic.folded_names or not run:
        return None
    words = [t.lower for t in run]
    # One capitalised word opening a sentence may be a common word ("Seul", alone, folds as "Seoul").
    smallest = 1 if len(words) > 1 or run[0].start > 0 else 2
    for size in range(len(words), smallest - 1, -1):
        for start in range(len(words) - size + 1):
            key = topic.folded_names.get(folded_key(words[start : start + size]))
            if key is not None:
                entity = topic.entities[key]
                return Found(entity.key, entity.name, entity.kind, True)
    return None


def _unknown_names(topic: Topic, toks: list[Token], taken: set[int], text: str) -> list[Found]:
    """Runs of capitalised words the gazetteer did not take. ``text`` is the folded sentence the token
    offsets point into: a run goes on across a hyphen ("Hwang Joon-kook": the part after it may be lower
    case) and stops at punctuation ("Chongjin, Hamhung" are two names)."""
    names: list[Found] = []
    run: list[Token] = []

    def close() -> None:
        if not run:  # called at every lower-case word: most of the time there is nothing to close
            return
        while run and (run[-1].lower in NAME_PARTICLES or (run[-1].lower == "s" and len(run) > 1)):
            run.pop()  # a trailing particle, or the "s" of a possessive ("Kozhemyako's")
        title = max((i for i, t in enumerate(run) if t.cased in topic.name_titles), default=-1)
        del run[: title + 1]  # "Sports Minister Mikhail Degtyarev": the name is what follows the title
        while run and (run[0].cased in topic.name_stopwords
                       or (run[0].lower in NAME_PARTICLES and not _is_capitalised(run[0]))):
            run.pop(0)  # "Depuis la Seconde Guerre": the sentence's first word, then a lower-case particle
        known = _folded_entity(topic, run)
        if known is not None:
            names.append(known)
            run.clear()
            return
        capitals = [t for t in run if _is_capitalised(t)]
        if (
            MIN_NAME_WORDS <= len(capitals) <= MAX_NAME_WORDS
            and all(t.cased not in topic.name_stopwords for t in capitals)
            and " ".join(t.lower for t in run) not in topic.not_names
        ):
            # the folded words in alphabetical order: "Yamazaki Kazuyuki" and "Kazuyuki Yamazaki" (East
            # Asian names are written in both orders) are one name
            key = "name:" + "-".join(sorted(folded_key(t.lower for t in run).split("-")))
            shown = run[0].cased + "".join(
                (text[a.end : b.start] if text[a.end : b.start] in _JOINERS else " ") + b.cased
                for a, b in zip(run, run[1:], strict=False)
            )
            names.append(Found(key, shown, UNKNOWN, False))
        run.clear()

    for i, tok in enumerate(toks):
        gap = text[run[-1].end : tok.start] if run else ""
        if i in taken:
            close()
        elif run and (gap == "-" or (gap in _APOSTROPHES and tok.lower == "s")):
            run.append(tok)  # "Joon-kook", "Women's Forum"
        else:
            if run and gap.strip():  # punctuation between two capitalised words: two names
                close()
            if _is_capitalised(tok) or (run and tok.lower in NAME_PARTICLES):
                run.append(tok)
            else:
                close()
    close()
    return names


def date_the_undated(facts: ArticleFacts, day: datetime | None) -> None:
    """Give a baseline seed that names no date its event's day as a date key.

    A seed's publication date is established for the event it reports (``seeds/manifest.toml``:
    ``published`` and ``date_basis``), but a seed's text may name no date at all (seed 002: "la récente
    rencontre"). Its story then shares no date with the reports of that day, which carry their most
    specific keys in their dates: the first English report of the talks scored 0.19 against it, under
    the join score, and founded a story of its own. Only seeds: for a fetched article the publication
    date is a guess at its event's (an analysis published days after, a dateless feature), and giving
    every dateless article one joined unrelated reports of the same day (third set story F1 0.78 → 0.74).
    The key is the article's own (counted in its entities, so the weights stay consistent) and no
    sentence's: novelty reads the baseline's sentences, which name no date."""
    if day is None or any(found.kind == DATE for found in facts.found.values()):
        return
    named = day.date().isoformat()
    key = f"date:{named}"
    facts.found[key] = Found(key, named, DATE, False)
    facts.mentions[key] += 1


def extract(topic: Topic, doc: Document, lang: str, published: datetime | None) -> ArticleFacts:
    """Every entity, unknown name, figure and date of ``doc``, by sentence."""
    per_sentence: list[set[str]] = []
    found: dict[str, Found] = {}
    mentions: Counter[str] = Counter()
    named: list[date] = []  # the days its sentences named so far: a later bare weekday may be one of them
    for sentence in doc.sentences:
        toks = list(sentence.toks)
        keys: set[str] = set()
        taken: set[int] = set()
        for pattern, start, end in topic.gazetteer.find(toks):
            entity = topic.entities[pattern.label]
            found[entity.key] = Found(entity.key, entity.name, entity.kind, True)
            keys.add(entity.key)
            mentions[entity.key] += 1
            taken.update(range(start, end))
        for _, start, end in topic.sides.find(toks):  # "North Korean", "Russian": the topic, not a name
            taken.update(range(start, end))
        for name in _unknown_names(topic, toks, taken, fold(sentence.text)):
            found.setdefault(name.key, name)
            keys.add(name.key)
            mentions[name.key] += 1
        on_days = dates(sentence.text, published, sentence.zone != BODY, named)
        named.extend(date.fromisoformat(k[5:]) for k in on_days)
        for key in figures(sentence.text, lang) | on_days:
            found.setdefault(
                key, Found(key, key.split(":", 1)[1], DATE if key.startswith("date:") else FIGURE, False)
            )
            keys.add(key)
            mentions[key] += 1
        per_sentence.append(keys)
    return ArticleFacts(per_sentence, found, mentions)
