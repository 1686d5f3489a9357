"""Synthetic news articles that look like the real thing, deterministic for a seed.

Articles are 400–1,200 words of French or English prose built from a small grammar with large slot
lists, so unrelated articles share few word shingles (as real ones do). About a third are about the
Russia–North Korea relationship and belong to a *story* (one event reported by several outlets over a few
days, with the same people, places, figures and date); the rest are off-topic (sport, markets, weather,
technology, local politics), some with a passing mention of Moscow or Pyongyang. A share of articles is
syndicated: the same body under another outlet's boilerplate, another headline and/or a trimmed last
paragraph, so the near-duplicate and story indexes do the work they do on real feeds.

    articles = generate(1000, seed=1, start=datetime(2026, 1, 1), end=datetime(2026, 11, 1))
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .vocabulary import (
    BOILERPLATE,
    CLAIMS,
    DOMAINS,
    EXTRA_NOUNS,
    HEADLINES,
    LEADS,
    MONTHS,
    OFF_TOPICS,
    OUTLETS,
    PEOPLE,
    PLACES,
    STORY_KINDS,
    SUBJECTS,
    TAILS,
    VERBS,
    WEEKDAYS,
)

#: Share of generated articles about the watched relationship (real feeds of the bundled list: ~20–40%).
ON_TOPIC_SHARE = 0.3
#: Share of articles that are syndicated copies of an earlier one (wire copy is common in news feeds).
COPY_SHARE = 0.15
#: Share of French articles (the bundled watch is French + English).
FRENCH_SHARE = 0.45
#: Article length bounds in words (typical news article lengths).
MIN_WORDS, MAX_WORDS = 400, 1200


@dataclass(frozen=True)
class SynthArticle:
    id: str
    url: str
    title: str
    text: str
    lang: str
    source: str
    published_at: datetime
    #: The story this article reports (None for off-topic articles).
    story: str | None = None
    #: The id of the article this one is a syndicated copy of.
    copy_of: str | None = None

    @property
    def summary(self) -> str:
        return self.text.split("\n\n", 1)[0]


@dataclass(frozen=True)
class _Story:
    key: str
    kind: str
    people: tuple[int, int]
    place: int
    number: int
    day: datetime


def _date(lang: str, day: datetime) -> str:
    month = MONTHS[lang][day.month - 1]
    return f"{month} {day.day}, {day.year}" if lang == "en" else f"{day.day} {month} {day.year}"


def _sentence(rng: random.Random, lang: str, nouns: list[str], day: datetime) -> str:
    claim = rng.choice(CLAIMS[lang]).format(
        x=rng.choice(nouns),
        n=rng.randint(2, 950),
        k=rng.randint(2, 40),
        year=day.year,
        month=MONTHS[lang][rng.randrange(12)],
    )
    tail = rng.choice(TAILS[lang]).format(weekday=rng.choice(WEEKDAYS[lang]))
    text = f"{rng.choice(SUBJECTS[lang])} {rng.choice(VERBS[lang])} {claim}, {tail}."
    return text[0].upper() + text[1:]


def _body(
    rng: random.Random, lang: str, nouns: list[str], day: datetime, lead: str, length: tuple[int, int]
) -> list[str]:
    target = rng.randint(*length)
    paragraphs = [lead]
    count = len(lead.split())
    while count < target:
        para = " ".join(_sentence(rng, lang, nouns, day) for _ in range(rng.randint(2, 4)))
        paragraphs.append(para)
        count += len(para.split())
    return paragraphs


def _story_article(
    rng: random.Random, lang: str, story: _Story, day: datetime, length: tuple[int, int]
) -> tuple[str, list[str]]:
    person = PEOPLE[lang][story.people[0]]
    other = PEOPLE[lang][story.people[1]]
    place = PLACES[lang][story.place]
    kind_name, claim = STORY_KINDS[lang][story.kind]
    kind = kind_name.format(n=story.number, p=person, pl=place)
    title = rng.choice(HEADLINES[lang]).format(kind=kind, Kind=kind[0].upper() + kind[1:], P=person)
    claim = claim.format(n=story.number, p=person, pl=place)
    lead = LEADS[lang].format(Claim=claim[0].upper() + claim[1:], date=_date(lang, story.day), pl=place)
    nouns = [
        kind,
        f"the role of {other}" if lang == "en" else f"le rôle de {other}",
        place,
        *rng.sample(EXTRA_NOUNS[lang], 4),
    ]
    return title, _body(rng, lang, nouns, day, lead, length)


def _off_topic_article(
    rng: random.Random, lang: str, day: datetime, length: tuple[int, int]
) -> tuple[str, list[str]]:
    beat, nouns = rng.choice(list(OFF_TOPICS[lang].items()))
    nouns = [*nouns, *rng.sample(EXTRA_NOUNS[lang], 3)]
    if rng.random() < 0.2:  # a passing mention, which must not make the article relevant
        nouns.append(rng.choice(["Moscow", "Pyongyang"] if lang == "en" else ["Moscou", "Pyongyang"]))
    title = f"{beat.capitalize()}: {rng.choice(nouns)} {rng.choice(VERBS[lang])} ({_date(lang, day)})"
    lead = _sentence(rng, lang, nouns, day)
    return title, _body(rng, lang, nouns, day, lead, length)


def _copy(rng: random.Random, original: SynthArticle, ident: str, url: str, day: datetime) -> SynthArticle:
    """A syndicated copy: other outlet and boilerplate, maybe another headline, maybe a trimmed end."""
    paragraphs = original.text.split("\n\n")
    if rng.random() < 0.5 and len(paragraphs) > 3:
        paragraphs = paragraphs[:-1]
    paragraphs.append(rng.choice(BOILERPLATE[original.lang]))
    title = original.title
    if rng.random() < 0.5:
        title = ("UPDATE - " if original.lang == "en" else "ACTUALISÉ - ") + title
    source = rng.choice([o for o in OUTLETS[original.lang] if o != original.source])
    return SynthArticle(
        ident,
        url.replace(DOMAINS[original.source], DOMAINS[source]),
        title,
        "\n\n".join(paragraphs),
        original.lang,
        source,
        day,
        original.story,
        original.id,
    )


def generate(
    n: int,
    *,
    seed: int = 0,
    start: datetime,
    end: datetime,
    prefix: str = "",
    words: tuple[int, int] = (MIN_WORDS, MAX_WORDS),
) -> list[SynthArticle]:
    """``n`` articles published between ``start`` and ``end``, in publication order (deterministic).

    ``words`` bounds each article's length (shorter for feed entries that carry only a summary).
    """
    rng = random.Random(f"{prefix}-{seed}")  # the prefix gives another stream, not only other ids
    span = (end - start).total_seconds()
    days = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n))
    stories: list[_Story] = []
    out: list[SynthArticle] = []
    for i, day in enumerate(days):
        lang = "fr" if rng.random() < FRENCH_SHARE else "en"
        source = rng.choice(OUTLETS[lang])
        ident = f"bench-{prefix}{seed}-{i}"
        slug = f"{day:%Y/%m/%d}/{ident}"
        url = f"https://{DOMAINS[source]}/{slug}"
        same_lang = [a for a in out[-50:] if a.lang == lang and a.copy_of is None]
        if same_lang and rng.random() < COPY_SHARE:
            out.append(_copy(rng, rng.choice(same_lang), ident, url, day))
            continue
        story_key: str | None = None
        if rng.random() < ON_TOPIC_SHARE:
            recent = [s for s in stories[-8:] if (day - s.day).days < 10]
            if not recent or rng.random() < 0.35:
                recent = [
                    _Story(
                        f"story-{prefix}{seed}-{len(stories)}",
                        rng.choice(list(STORY_KINDS["en"])),
                        tuple(rng.sample(range(len(PEOPLE["en"])), 2)),  # type: ignore[arg-type]
                        rng.randrange(len(PLACES["en"])),
                        rng.randint(3, 20_000),
                        day,
                    )
                ]
                stories.append(recent[0])
            story = rng.choice(recent)
            story_key = story.key
            title, paragraphs = _story_article(rng, lang, story, day, words)
        else:
            title, paragraphs = _off_topic_article(rng, lang, day, words)
        out.append(SynthArticle(ident, url, title, "\n\n".join(paragraphs), lang, source, day, story_key))
    return out
