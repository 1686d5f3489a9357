"""A watch definition: the topic file (TOML) with relevance terms, tags and a gazetteer.

The bundled file is ``monitor/data/russia_north_korea.toml``; ``[watch] topic_file`` in the configuration
names another. Every error names the file and the key. ``TermMatcher`` finds terms in text on folded word
tokens: whole words, a trailing ``*`` for any ending, all-capital short aliases ("UN") case-sensitively.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..config import PACKAGE_DIR
from ..errors import ConfigError
from .facts import Token, fold, tokens, translit_fold

BUNDLED_TOPIC = PACKAGE_DIR / "data" / "russia_north_korea.toml"
ENTITY_KINDS = ("person", "place", "org")
#: All-capital aliases up to this length are acronyms, matched case-sensitively ("UN" ≠ "un").
ACRONYM_MAX_CHARS = 5
#: Characters by which one-word prefix terms are indexed (shorter ones are checked against every word).
PREFIX_INDEX_CHARS = 3
#: Word spellings whose candidate patterns a matcher remembers before starting afresh (~100 bytes each).
MAX_REMEMBERED_SPELLINGS = 200_000


@dataclass(frozen=True)
class Pattern:
    """One term as a sequence of folded words; ``prefix``: the last word may continue."""

    words: tuple[str, ...]
    prefix: bool
    cased: bool
    label: str  # what it stands for: a side name, a tag key or an entity key


def _pattern(term: str, label: str, where: str) -> Pattern:
    raw = term.strip()
    prefix = raw.endswith("*")
    raw = raw.rstrip("*")
    cased = raw.isupper() and len(raw.replace(".", "")) <= ACRONYM_MAX_CHARS
    words = tuple(t.cased if cased else t.lower for t in tokens(raw))
    if not words:
        raise ConfigError(f"{where}: term {term!r} has no letters or digits")
    return Pattern(words, prefix, cased, label)


class TermMatcher:
    """Finds many terms at once, longest first, each token used by one match at most."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self._by_first: dict[str, list[Pattern]] = {}
        self._prefix_firsts: list[Pattern] = []
        #: one-word prefix terms ("nord-coréen*") by their first PREFIX_INDEX_CHARS characters, so a token
        #: is checked only against the prefix terms it could continue
        self._prefix_index: dict[str, list[Pattern]] = {}
        self._short_prefixes: list[Pattern] = []
        self._seen: dict[str, tuple[Pattern, ...]] = {}  # token's cased form → _lookup
        for p in patterns:
            if p.prefix and len(p.words) == 1:
                self._prefix_firsts.append(p)
                if len(p.words[0]) >= PREFIX_INDEX_CHARS:
                    self._prefix_index.setdefault(p.words[0][:PREFIX_INDEX_CHARS], []).append(p)
                else:
                    self._short_prefixes.append(p)
            else:
                self._by_first.setdefault(p.words[0], []).append(p)
        for group in self._by_first.values():
            group.sort(key=lambda p: len(p.words), reverse=True)

    @staticmethod
    def _matches(p: Pattern, toks: Sequence[Token], i: int) -> bool:
        if i + len(p.words) > len(toks):
            return False
        for j, word in enumerate(p.words):
            tok = toks[i + j].cased if p.cased else toks[i + j].lower
            last = j == len(p.words) - 1
            if not (tok == word or (last and p.prefix and tok.startswith(word))):
                return False
        return True

    def _candidates(self, tok: Token) -> tuple[Pattern, ...]:
        """The patterns that could start at ``tok``, longest first; remembered per spelling (a text's
        words are mostly ones already seen, and most start nothing: one dict lookup each)."""
        found = self._seen.get(tok.cased)
        if found is None:
            if len(self._seen) >= MAX_REMEMBERED_SPELLINGS:  # a long-running process: stay bounded
                self._seen.clear()
            found = self._seen[tok.cased] = self._lookup(tok)
        return found

    def _lookup(self, tok: Token) -> tuple[Pattern, ...]:
        by_lower, by_cased = self._by_first.get(tok.lower), self._by_first.get(tok.cased)
        prefixed = self._prefix_index.get(tok.lower[:PREFIX_INDEX_CHARS])
        if not (by_lower or by_cased or prefixed or self._short_prefixes):
            return ()
        found = (by_lower or []) + (by_cased or [])
        for p in prefixed or ():
            if tok.lower.startswith(p.words[0]):
                found.append(p)
        found += [p for p in self._short_prefixes if tok.lower.startswith(p.words[0])]
        return tuple(sorted(found, key=lambda p: -len(p.words)))

    def find(self, toks: Sequence[Token]) -> list[tuple[Pattern, int, int]]:
        """(pattern, first token index, end token index) for each match, left to right."""
        found: list[tuple[Pattern, int, int]] = []
        seen, i, n = self._seen, 0, len(toks)
        while i < n:
            tok = toks[i]
            candidates = seen.get(tok.cased)  # inlined _candidates: this loop runs for every word
            if candidates is None:
                candidates = self._candidates(tok)
            hit = next((p for p in candidates if self._matches(p, toks, i)), None) if candidates else None
            if hit is None:
                i += 1
                continue
            found.append((hit, i, i + len(hit.words)))
            i += len(hit.words)
        return found

    def patterns(self) -> list[Pattern]:
        """Every term this matcher finds."""
        return [p for group in self._by_first.values() for p in group] + list(self._prefix_firsts)

    def labels(self, text: str) -> list[str]:
        return [p.label for p, _, _ in self.find(tokens(text))]


@dataclass(frozen=True)
class TagDef:
    key: str
    label: str
    label_fr: str


@dataclass(frozen=True)
class EntityDef:
    key: str
    name: str
    kind: str
    common: bool
    #: A news outlet or agency (TASS, Yonhap): named as a source, never a newsworthy new name.
    outlet: bool = False


@dataclass(frozen=True)
class Topic:
    """A watch, loaded and validated: everything the understand stage needs to know about the topic."""

    name: str
    source: str
    side_names: tuple[str, ...]
    sides: TermMatcher
    title_weight: float
    lead_weight: float
    body_weight: float
    lead_sentences: int
    min_side_score: float
    require_cooccurrence: bool
    tags: tuple[TagDef, ...]
    tag_terms: TermMatcher
    tag_min_score: float
    entities: dict[str, EntityDef]
    gazetteer: TermMatcher
    name_stopwords: frozenset[str]
    #: Capitalised phrases that are not names ("Cold War", "Guerre froide"), folded lower-case words.
    not_names: frozenset[str] = frozenset()
    #: Titles that stand before a person's name ("Minister", "Ambassador"): a capitalised run is cut after
    #: its last title ("Sports Minister Mikhail Degtyarev" → "Mikhail Degtyarev"). Folded like stopwords.
    name_titles: frozenset[str] = frozenset()
    #: Gazetteer names and aliases by their transliteration-folded words ("shoe-son-hui" → choe-son-hui,
    #: "gerasimov" → gerasimov): a spelling the topic file does not list ("Tchoe Son-hui", "Guérassimov")
    #: is still its entity. Folded forms two entities share are left out.
    folded_names: dict[str, str] = field(default_factory=dict)
    #: Every side's terms as (case-folded words, last word a prefix): ``relevance.names_no_side`` asks
    #: whether a text holds all of a term's words before cutting it into sentences.
    side_terms: tuple[tuple[tuple[str, ...], bool], ...] = ()


def _get(
    table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None
) -> Any:
    if key not in table:
        if default is None:
            raise ConfigError(f"{where}: missing key {key!r}")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _terms(table: dict[str, Any], key: str, where: str) -> list[str]:
    terms = _get(table, key, list, where)
    for i, term in enumerate(terms):
        if not isinstance(term, str) or not term.strip():
            raise ConfigError(f"{where}.{key}[{i}]: expected a non-empty string, got {term!r}")
    if not terms:
        raise ConfigError(f"{where}.{key}: needs at least one term")
    return terms


def _sides(data: dict[str, Any], origin: str) -> tuple[tuple[str, ...], list[Pattern]]:
    rows = _get(data, "side", list, f"{origin}: relevance")
    if len(rows) < 2:
        raise ConfigError(f"{origin}: relevance.side: a relationship needs at least two sides")
    names, patterns = [], []
    for i, row in enumerate(rows):
        where = f"{origin}: relevance.side[{i}]"
        name = _get(row, "name", str, where)
        names.append(name)
        patterns += [_pattern(t, name, f"{where}.terms") for t in _terms(row, "terms", where)]
    return tuple(names), patterns


def _tags(data: dict[str, Any], origin: str) -> tuple[tuple[TagDef, ...], list[Pattern]]:
    tags, patterns = [], []
    for i, row in enumerate(_get(data, "tag", list, origin, [])):
        where = f"{origin}: tag[{i}]"
        key = _get(row, "key", str, where)
        tags.append(TagDef(key, _get(row, "label", str, where, key), _get(row, "label_fr", str, where, "")))
        patterns += [_pattern(t, key, f"{where}.terms") for t in _terms(row, "terms", where)]
    keys = [t.key for t in tags]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{origin}: tag: duplicate key among {keys}")
    return tuple(tags), patterns


def _entities(data: dict[str, Any], origin: str) -> tuple[dict[str, EntityDef], list[Pattern]]:
    entities: dict[str, EntityDef] = {}
    patterns = []
    for i, row in enumerate(_get(data, "entity", list, origin, [])):
        where = f"{origin}: entity[{i}]"
        key = _get(row, "key", str, where)
        kind = _get(row, "kind", str, where)
        if kind not in ENTITY_KINDS:
            raise ConfigError(f"{where}.kind: expected one of {', '.join(ENTITY_KINDS)}, got {kind!r}")
        if key in entities:
            raise ConfigError(f"{where}.key: duplicate entity key {key!r}")
        entities[key] = EntityDef(
            key,
            _get(row, "name", str, where),
            kind,
            _get(row, "common", bool, where, False),
            _get(row, "outlet", bool, where, False),
        )
        patterns += [_pattern(a, key, f"{where}.aliases") for a in _terms(row, "aliases", where)]
    return entities, patterns


def parse_topic(data: dict[str, Any], origin: str) -> Topic:
    """Build a Topic from a parsed TOML document; errors name ``origin`` and the key."""
    watch = _get(data, "watch", dict, origin)
    rel = _get(data, "relevance", dict, origin)
    where = f"{origin}: relevance"
    side_names, side_patterns = _sides(rel, origin)
    tags, tag_patterns = _tags(data, origin)
    entities, entity_patterns = _entities(data, origin)
    names = _get(data, "names", dict, origin, {})
    lead_sentences = _get(rel, "lead_sentences", int, where, 2)
    if lead_sentences < 0:
        raise ConfigError(f"{where}.lead_sentences: expected a number ≥ 0, got {lead_sentences}")
    return Topic(
        name=_get(watch, "name", str, f"{origin}: watch"),
        source=origin,
        side_names=side_names,
        sides=TermMatcher(side_patterns),
        title_weight=_get(rel, "title_weight", float, where, 3.0),
        lead_weight=_get(rel, "lead_weight", float, where, 2.0),
        body_weight=_get(rel, "body_weight", float, where, 1.0),
        lead_sentences=lead_sentences,
        min_side_score=_get(rel, "min_side_score", float, where, 2.0),
        require_cooccurrence=_get(rel, "require_cooccurrence", bool, where, True),
        tags=tags,
        tag_terms=TermMatcher(tag_patterns),
        tag_min_score=_get(_get(data, "tags", dict, origin, {}), "min_score", float, f"{origin}: tags", 2.0),
        entities=entities,
        gazetteer=TermMatcher(entity_patterns),
        name_stopwords=frozenset(fold(w) for w in _get(names, "stopwords", list, f"{origin}: names", [])),
        not_names=frozenset(
            " ".join(t.lower for t in tokens(w))
            for w in _get(names, "not_names", list, f"{origin}: names", [])
        ),
        name_titles=frozenset(fold(w) for w in _get(names, "titles", list, f"{origin}: names", [])),
        folded_names=_folded_names(entities, entity_patterns),
        side_terms=tuple(sorted({(tuple(w.casefold() for w in p.words), p.prefix) for p in side_patterns})),
    )


#: Single-word names shorter than this are not looked up by their folded spelling: a short word folds
#: onto too many others ("Choe" and "Shoe", "Ri" and "Rí").
MIN_FOLDED_SINGLE_CHARS = 5


def folded_key(words: Iterable[str]) -> str:
    """Transliteration-folded words of a name, joined: the key of ``Topic.folded_names``."""
    return "-".join(translit_fold(w) for w in words)


def _folded_names(entities: dict[str, EntityDef], patterns: list[Pattern]) -> dict[str, str]:
    spellings = [(e.key, [t.lower for t in tokens(e.name)]) for e in entities.values()]
    spellings += [(p.label, list(p.words)) for p in patterns if not p.prefix]
    owners: dict[str, set[str]] = {}
    for key, words in spellings:
        if not words or (len(words) == 1 and len(words[0]) < MIN_FOLDED_SINGLE_CHARS):
            continue
        owners.setdefault(folded_key(words), set()).add(key)
    return {folded: next(iter(keys)) for folded, keys in owners.items() if len(keys) == 1}


@cache
def load_topic(path: str | Path | None = None) -> Topic:
    """Load and validate a topic file (default: the bundled Russia–North Korea watch)."""
    file = Path(path) if path else BUNDLED_TOPIC
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: topic file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read topic file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    return parse_topic(data, str(file))
