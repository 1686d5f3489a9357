"""What needs no translation: sentences, word tokens, figures and dates, in French and English.

Pure functions. Tokens are accent- and case-folded so "Choïgou" and "CHOIGOU" compare equal; each token
keeps its cased form too, so all-capital acronyms ("UN", "EU") can be matched case-sensitively and never
confused with the French article "un". Figures and dates become language-neutral keys ("fig:11000",
"pct:50", "date:2024-12-04") that a French and an English report of one event share.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from ..text import normalise as normalise  # re-exported: understand/* read it from here
from ..text import strip_marks

_TOKEN = re.compile(r"\w+", re.UNICODE)
#: A sentence ends at . ! ? or a closing quote after one, before a capital, digit or opening quote.
_SENTENCE_END = re.compile(
    r"(?<!Mr\.)(?<!Dr\.)(?<!\bM\.)(?<!Mrs\.)(?<!St\.)(?<!\b[A-Z]\.)(?<=[.!?…])[»”\"’)]*\s+(?=[«“\"(\[]?\s?[A-ZÀ-ÝА-Я0-9\u1100-\uD7AF])"
)
#: Words that make a capitalised phrase a generic noun or an outlet rather than a name ("Foreign
#: Ministry", "Daily NK", "Korea Herald"): such unknown names are not listed as first seen.
GENERIC_WORDS = frozenset(
    {
        "ministry",
        "ministere",
        "council",
        "conseil",
        "war",
        "guerre",
        "peninsula",
        "house",
        "maison",
        "assembly",
        "assemblee",
        "committee",
        "comite",
        "party",
        "parti",
        "army",
        "armee",
        "forces",
        "navy",
        "agency",
        "agence",
        "office",
        "department",
        "union",
        "treaty",
        "traite",
        "summit",
        "sommet",
        "day",
        "forum",
        "parliament",
        "parlement",
        "news",
        "times",
        "post",
        "press",
        "presse",
        "herald",
        "daily",
        "radio",
        "tv",
        "television",
        "journal",
        "review",
        "analysis",
        "analyse",
        "update",
        "live",
        "report",
        "group",
        "groupe",
        "company",
        "corp",
        "inc",
        "ltd",
        "benz",
        "motors",
        "airlines",
        "bank",
        "banque",
        "street",
        "square",
        "place",
        "hall",
        "centre",
        "center",
        "institute",
        "institut",
        "university",
        "universite",
        "school",
        "ecole",
        "foundation",
        "fondation",
        "club",
        "cup",
        "coupe",
        "world",
        "monde",
        "state",
        "etat",
        "states",
        "republic",
        "republique",
        "federation",
        "kingdom",
        "royaume",
        "empire",
        "front",
        "operation",
        "plan",
        "program",
        "programme",
        "strategy",
        "doctrine",
        "declaration",
        "accord",
        # outlets and buildings ("Chosun Ilbo", "Grand Theatre")
        "ilbo",
        "sinmun",
        "shimbun",
        "gazette",
        "tribune",
        "theatre",
        "theater",
        "stadium",
        "airport",
        "aeroport",
        "station",
        "gare",
        "hotel",
        "museum",
        "musee",
        "palace",
        "palais",
        "hospital",
        "hopital",
    }
)
#: Sentences shorter than this are debris (a dateline, a photo credit), not sentences.
MIN_SENTENCE_CHARS = 25


@lru_cache(maxsize=1024)
def fold(text: str) -> str:
    """Accents removed (é → e, ï → i), Hangul kept composed, case kept. Remembered for the last
    sentences: tokenising, unknown names, figures and dates each fold the same sentence."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", strip_marks(text))


#: French and English transcriptions of one Russian or Korean name, rewritten to one spelling, in order:
#: "Ouchakov"/"Ushakov", "Choïgou"/"Shoigu", "Tchernychev"/"Chernyshev", "Joukov"/"Zhukov",
#: "Belooussov"/"Belousov", "Iouri"/"Yuri". Applied to names the gazetteer lacks, so such a name keys
#: the same in both languages. A few English pairs collide too ("Chan"/"Shan"): acceptable for a key
#: that must also share a story's dates and figures before it counts.
_TRANSLIT = (
    ("gue", "ge"),
    ("gui", "gi"),
    ("ks", "x"),
    ("tch", "ch"),
    ("sch", "sh"),
    ("ch", "sh"),
    ("zh", "j"),
    ("kh", "h"),
    ("ou", "u"),
    ("io", "yo"),
    ("iu", "yu"),
    ("ia", "ya"),
    ("y", "i"),
    ("w", "v"),
    ("ff", "f"),
)
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=1 << 16)
def translit_fold(word: str) -> str:
    """One spelling for the French and English transcriptions of a (lower-case, folded) name word."""
    word = _DOUBLED.sub(r"\1", word)
    for before, after in _TRANSLIT:
        word = word.replace(before, after)
    if len(word) > 4 and word.endswith("re"):  # "Alexandre" / "Alexander"
        word = word[:-2] + "er"
    word = _DOUBLED.sub(r"\1", word)  # again: "Andriy" → "andrii", "Andrii" → "andri"
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


class Token(NamedTuple):
    """A word: folded lower-case and cased forms, character offsets (a tuple: millions are made)."""

    lower: str
    cased: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """Word tokens of ``text`` with folded lower and cased forms and their character offsets."""
    folded = fold(text)
    if len(folded) != len(text):  # folding changed lengths (rare ligatures): offsets refer to ``folded``
        text = folded
    new = tuple.__new__  # Token(...) without NamedTuple's Python-level __new__: ~20% of tokenising
    words = ((m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded))
    return [new(Token, (w.casefold(), w, start, end)) for w, start, end in words]


def word_set(text: str) -> set[str]:
    """The lower forms of every word ``tokens`` would cut from ``text``, as a set (no offsets, no
    tuples: for asking cheaply whether a text holds a word at all)."""
    return set(_TOKEN.findall(fold(text).casefold()))


def sentences(text: str) -> list[str]:
    """The sentences of ``text``: split at line breaks and sentence ends; debris dropped."""
    found: list[str] = []
    for line in text.splitlines():
        for part in _SENTENCE_END.split(line.strip()):
            part = part.strip()
            if len(part) >= MIN_SENTENCE_CHARS or (part and part[-1:] in ".!?" and len(part) > 12):
                found.append(part)
    return found


# -- figures ---------------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "a": 1,
    "one": 1,
    "deux": 2,
    "two": 2,
    "trois": 3,
    "three": 3,
    "quatre": 4,
    "four": 4,
    "cinq": 5,
    "five": 5,
    "six": 6,
    "sept": 7,
    "seven": 7,
    "huit": 8,
    "eight": 8,
    "neuf": 9,
    "nine": 9,
    "dix": 10,
    "ten": 10,
    "douze": 12,
    "twelve": 12,
    "quinze": 15,
    "fifteen": 15,
    "vingt": 20,
    "twenty": 20,
    "cent": 100,
    "hundred": 100,
}
_SCALES = {
    "million": 1e6,
    "millions": 1e6,
    "milliard": 1e9,
    "milliards": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "mille": 1e3,
    "thousand": 1e3,
    "thousands": 1e3,
}
_NUM = r"\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_FIGURE = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUM}|(?:{'|'.join(_NUMBER_WORDS)}))"
    rf"(?:\s*(?P<scale>{'|'.join(_SCALES)})\b)?(?P<pct>\s*(?:%|pour ?cent|per ?cent|percent))?",
    re.IGNORECASE,
)
#: Plain numbers below this say little ("three months", "Article 4"); with a scale word they still count.
MIN_FIGURE = 10
#: Four-digit numbers in this range without a scale word are years, not figures.
YEAR_RANGE = (1900, 2100)


def _parse_number(raw: str, lang: str) -> float | None:
    if raw.lower() in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[raw.lower()])
    raw = re.sub(r"[ \u00a0\u202f]", "", raw)
    for sep in (",", "."):
        parts = raw.split(sep)
        if len(parts) > 1:
            thousands = all(len(p) == 3 for p in parts[1:]) and (
                (sep == "," and lang != "fr") or (sep == "." and lang == "fr") or len(parts) > 2
            )
            raw = "".join(parts) if thousands else raw.replace(sep, ".")
    try:
        return float(raw)
    except ValueError:
        return None


def _figure_key(value: float, percent: bool) -> str:
    text = str(int(value)) if value == int(value) else f"{value:.3g}"
    return ("pct:" if percent else "fig:") + text


#: Words after a number that make it background, not an event figure: a duration ("in 24 years", "70
#: ans"), an age ("40 years old", "âgé de 71 ans"), an ordinal anniversary ("75th anniversary"), a range
#: end ("1950-53"). Such numbers recur across unrelated articles and are never news in themselves.
_BACKGROUND_AFTER = re.compile(
    r"\s*(?:-\s*|\s)?(?:years?|yrs?|ans?|annees?|months?|mois|weeks?|semaines?|days?|jours?|decades?|"
    r"decennies?|hours?|heures?|anniversary|anniversaire|old)\b"
    r"|(?:st|nd|rd|th|e|eme|ieme)\b",
    re.IGNORECASE,
)
#: … and words just before it: an age ("aged 40", "âgé de 71"), a range ("1950-53", "2022 to 25").
_BACKGROUND_BEFORE = re.compile(r"(?:\baged?|\bage de|\bagee? de|\d{4}\s*[-–/])\s*$", re.IGNORECASE)


_APPOSITION_BEFORE = re.compile(r"[^\W\d]\s*,\s*$")


def _is_background(sentence: str, match: re.Match[str]) -> bool:
    after = sentence[match.end() : match.end() + 24]
    before = sentence[max(0, match.start() - 12) : match.start()]
    apposed_age = (  # "Kim Yong Bok, 59, said": a short number set off by commas after a name
        len(match.group("num")) <= 3 and _APPOSITION_BEFORE.search(before) and after.lstrip().startswith(",")
    )
    return bool(_BACKGROUND_AFTER.match(after) or _BACKGROUND_BEFORE.search(before) or apposed_age)


#: What a sentence must hold to have a figure at all: a digit, or the scale or percent word a number word
#: needs to count (a superset, checked before the costlier patterns run on most sentences, which have none).
_MAY_HAVE_FIGURE = re.compile(r"\d|%|cent|million|milliard|billion|mille|thousand", re.IGNORECASE)


def figures(sentence: str, lang: str = "") -> set[str]:
    """Language-neutral keys of the event figures in ``sentence`` ("11 000", "11,000" → "fig:11000");
    background numbers (durations, ages, anniversaries, year ranges) are left out."""
    if not _MAY_HAVE_FIGURE.search(sentence):
        return set()
    sentence = _without_dates(fold(sentence))
    found: set[str] = set()
    for match in _FIGURE.finditer(sentence):
        if not match.group("pct") and _is_background(sentence, match):
            continue
        value = _parse_number(match.group("num"), lang)
        if value is None:
            continue
        scale, percent = match.group("scale"), bool(match.group("pct"))
        is_word = match.group("num").lower() in _NUMBER_WORDS
        if scale:
            value *= _SCALES[scale.lower()]
        elif (
            is_word
            and not percent
            or not percent
            and (
                value < MIN_FIGURE
                or (
                    value == int(value)
                    and YEAR_RANGE[0] <= value <= YEAR_RANGE[1]
                    and "." not in match.group("num")
                )
            )
        ):
            continue
        found.add(_figure_key(value, percent))
    return found


# -- dates -----------------------------------------------------------------------------------------------

_MONTHS = {
    "janvier": 1,
    "january": 1,
    "jan": 1,
    "fevrier": 2,
    "february": 2,
    "feb": 2,
    "mars": 3,
    "march": 3,
    "avril": 4,
    "april": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "juin": 6,
    "june": 6,
    "juillet": 7,
    "july": 7,
    "aout": 8,
    "august": 8,
    "aug": 8,
    "septembre": 9,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "october": 10,
    "oct": 10,
    "novembre": 11,
    "november": 11,
    "nov": 11,
    "decembre": 12,
    "december": 12,
    "dec": 12,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})\.?(?:,?\s+(?P<year>\d{{4}}))?\b",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}}))?",
    re.IGNORECASE,
)


#: A range of days in one month ("du 11 au 13 juillet", "11-13 July", "July 11 to 13", "11 and 12 July"):
#: both ends are dates of the event — a visit "from 11 to 13 July" began on the 11th, which a later report
#: calls "Friday" — and the first end is no figure.
_RANGE_JOIN = r"\s*(?:-|–|to|au|and|et(?:\s+le)?)\s*"
_DAY_RANGE = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:er|st|nd|rd|th)?{_RANGE_JOIN}(?P<end>\d{{1,2}})(?:er|st|nd|rd|th)?\s+"
    rf"(?P<month>{_MONTH})\.?(?:,?\s+(?P<year>\d{{4}}))?\b",
    re.IGNORECASE,
)
_MONTH_RANGE = re.compile(
    rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?{_RANGE_JOIN}(?P<end>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}}))?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")


def _without_dates(text: str) -> str:
    """``text`` with its calendar dates blanked, so "4 December" never counts as the figure 4."""
    for pattern in (_DAY_RANGE, _MONTH_RANGE, _DAY_MONTH, _MONTH_DAY):
        text = pattern.sub(" ", text)
    return text


def _infer_year(month: int, day: int, reference: date) -> int | None:
    best: tuple[int, int] | None = None
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            distance = abs((date(year, month, day) - reference).days)
        except ValueError:
            continue
        if best is None or distance < best[0]:
            best = (distance, year)
    return best[1] if best else None


#: Words after a date without a year that place it ("19 June last year", "le 19 juin dernier", "le 2
#: janvier prochain") or before it ("last June 19"): without them the nearest such day to the publication
#: is taken — a re-telling's "signed on 19 June last year" read as six days ago, a new event date.
_YEAR_AFTER = re.compile(
    r"\W{0,3}(?P<word>(?:last|next|this) year"
    r"|(?:de )?l['’](?:an dernier|annee derniere|an prochain|annee prochaine)"
    r"|(?:de )?cette annee|derniere?|prochaine?)\b", re.IGNORECASE)
_YEAR_BEFORE = re.compile(r"\b(?P<word>last|next|this)\s+$", re.IGNORECASE)


def _relative_year(folded: str, match: re.Match[str], month: int, day: int, reference: date) -> int | None:
    """The year of a date written without one: as its neighbouring words say, else the nearest."""
    after = _YEAR_AFTER.match(folded, match.end())
    before = _YEAR_BEFORE.search(folded, max(0, match.start() - 6), match.start())
    found = after or before
    word = found.group("word").lower().replace("\u2019", "'") if found else ""
    try:
        this_year = date(reference.year, month, day)
    except ValueError:
        return _infer_year(month, day, reference)
    if word.endswith(("last year", "an dernier", "annee derniere")):
        return reference.year - 1
    if word.endswith(("next year", "an prochain", "annee prochaine")):
        return reference.year + 1
    if word.endswith(("this year", "cette annee")):
        return reference.year
    if word in ("dernier", "derniere", "last"):
        return reference.year if this_year <= reference else reference.year - 1
    if word in ("prochain", "prochaine", "next"):
        return reference.year if this_year >= reference else reference.year + 1
    return _infer_year(month, day, reference)


_WEEKDAYS = {
    "lundi": 0,
    "monday": 0,
    "mardi": 1,
    "tuesday": 1,
    "mercredi": 2,
    "wednesday": 2,
    "jeudi": 3,
    "thursday": 3,
    "vendredi": 4,
    "friday": 4,
    "samedi": 5,
    "saturday": 5,
    "dimanche": 6,
    "sunday": 6,
}
_WEEKDAY = re.compile(rf"\b(?P<weekday>{'|'.join(_WEEKDAYS)})\b", re.IGNORECASE)


#: Words naming the day before the publication: "hier" and "yesterday", anywhere in the text.
_YESTERDAY = re.compile(r"(?<!avant-)(?<!before )\b(?:hier|yesterday)\b", re.IGNORECASE)
_DAY_BEFORE_YESTERDAY = re.compile(r"\b(?:avant-hier|the day before yesterday)\b", re.IGNORECASE)
#: Words naming the day before the day a sentence reports: "la veille", "a day earlier", "au lendemain
#: de…" (the day after an event, which was the day before). Read only in the opening (title and lead),
#: where the reported day is the news of the day — the weekday the sentence names ("published on
#: Thursday the text of the treaty signed a day earlier"), else the publication date. In the body a
#: re-telling places the reported day weeks back (tried everywhere: two re-tellings of seed 004 gained
#: a date they never meant, and a known week turned developing). Checked by hand over the three
#: labelled sets: of the 10 openings using them, 8 name the right day; a translation published the day
#: after its original names the main event's own day; an off-topic item's "par rapport à la veille" (oil
#: output) is never read (facts are extracted from relevant articles only).
_DAY_BEFORE = re.compile(
    r"\b(?:la veille|the day before(?! yesterday)|a day earlier|the previous day|au lendemain d(?:e|u|es)"
    r"|the day after)\b",
    re.IGNORECASE)

#: "A year ago today", "two years ago to the day", "il y a un an jour pour jour", "un an, jour pour jour":
#: an anniversary piece names the day of the event it re-tells, the publication's day N years back — the
#: key that ties the re-telling to the story of that day (its seed a year earlier shares few other keys
#: with it). Read anywhere: the words are counted from the publication whatever sentence holds them.
_NUMBER_WORDS = {"a": 1, "one": 1, "un": 1, "two": 2, "deux": 2, "three": 3, "trois": 3, "four": 4,
                 "quatre": 4, "five": 5, "cinq": 5, "ten": 10, "dix": 10}
_YEARS_AGO = re.compile(
    r"\b(?P<n>a|one|two|three|four|five|ten|\d{1,2}) years? ago,? (?:today|to the day)\b"
    r"|\b(?P<fr>un|deux|trois|quatre|cinq|dix|\d{1,2}) ans?,? jour pour jour\b",
    re.IGNORECASE)


def _years_ago(folded: str, ref: date) -> set[str]:
    """The dates ``_YEARS_AGO`` names in ``folded``, counted back from ``ref``."""
    found = set()
    for match in _YEARS_AGO.finditer(folded):
        word = (match.group("n") or match.group("fr")).lower()
        years = int(word) if word.isdigit() else _NUMBER_WORDS[word]
        try:
            day = ref.replace(year=ref.year - years)
        except ValueError:  # 29 February
            day = ref.replace(year=ref.year - years, day=28)
        found.add(f"date:{day.isoformat()}")
    return found


#: Days back within which a date the article named anchors a later bare weekday of the same day of the
#: week: two weeks, the reach of "on Tuesday" in a weekly recap (a week on, "Tuesday" is ambiguous).
ANCHOR_DAYS = 13

#: Characters between a weekday and the calendar date it names ("Tuesday, 17 June", "mardi 17 juin",
#: "Tuesday the 17th of June"): a weekday this close to a date is that date, not a day of its own.
WEEKDAY_OF_DATE_GAP = 5


def _weekday_dates(folded: str, ref: date, calendar_starts: tuple[int, ...] = (),
                   opening: bool = False, earlier: Collection[date] = ()) -> set[str]:
    """News names the days of the past week by weekday ("on Monday", "lundi"): the latest such day on or
    before the publication date — unless the article named a day of that weekday by its date in the
    fortnight before (``earlier``): a recap published on Wednesday 23 August that opened with "Tuesday
    15 August" means that Tuesday by a later "on Tuesday", not the day before it (read as the 22nd, a day
    the baseline never named, it made a week of re-tellings "developing"). "Yesterday" ("hier") is the
    day before the publication, and in the ``opening`` "la veille" and its kin (``_DAY_BEFORE``) the day
    before the sentence's weekday or the publication. A
    weekday that introduces a calendar date (one of ``calendar_starts`` begins within
    WEEKDAY_OF_DATE_GAP characters after it) is that date's and adds nothing; another weekday in the same
    sentence is a day of its own ("arrived on Wednesday, eight days after leaving on 17 June": both)."""
    found = _years_ago(folded, ref)
    if _YESTERDAY.search(folded):
        found.add(f"date:{(ref - timedelta(days=1)).isoformat()}")
    if _DAY_BEFORE_YESTERDAY.search(folded):
        found.add(f"date:{(ref - timedelta(days=2)).isoformat()}")
    named: list[date] = []
    for match in _WEEKDAY.finditer(folded):
        if any(0 <= start - match.end() <= WEEKDAY_OF_DATE_GAP for start in calendar_starts):
            continue
        weekday = _WEEKDAYS[match.group("weekday").lower()]
        back = (ref.weekday() - weekday) % 7
        anchored = [d for d in earlier if d.weekday() == weekday and 0 <= (ref - d).days <= ANCHOR_DAYS]
        named.append(max(anchored) if anchored else ref - timedelta(days=back))
        found.add(f"date:{named[-1].isoformat()}")
    if opening and _DAY_BEFORE.search(folded):
        found.add(f"date:{((named[0] if named else ref) - timedelta(days=1)).isoformat()}")
    return found


def dates(sentence: str, reference: datetime | date | None, opening: bool = False,
          earlier: Collection[date] = ()) -> set[str]:
    """Keys of the calendar dates in ``sentence`` ("4 décembre", "Dec. 4" → "date:2024-12-04").

    A date without a year takes the year that puts it closest to ``reference`` (the publication date);
    a weekday alone is the latest such day on or before it, or the day of that weekday the article named
    by its date before (``earlier``: the dates of its previous sentences) in the last ANCHOR_DAYS.
    """
    ref = reference.date() if isinstance(reference, datetime) else reference
    folded = fold(sentence)
    if not _DIGIT.search(folded):  # a calendar date has its day in digits: only weekdays can be here
        return _weekday_dates(folded, ref, (), opening, earlier) if ref else set()
    found: set[str] = set()
    if ref:
        calendar = (_DAY_RANGE, _MONTH_RANGE, _DAY_MONTH, _MONTH_DAY)
        starts = tuple(m.start() for p in calendar for m in p.finditer(folded))
        found |= _weekday_dates(folded, ref, starts, opening, earlier)
    for pattern in (_DAY_RANGE, _MONTH_RANGE, _DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(folded):
            month = _MONTHS[match.group("month").lower()]
            days = [int(match.group("day"))]
            if "end" in pattern.groupindex:
                days.append(int(match.group("end")))
            for day in days:
                year = (
                    int(match.group("year"))
                    if match.group("year")
                    else (_relative_year(folded, match, month, day, ref) if ref else None)
                )
                if year is None:
                    continue
                try:
                    found.add(f"date:{date(year, month, day).isoformat()}")
                except ValueError:
                    continue
    return found
