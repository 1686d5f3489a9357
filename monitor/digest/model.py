"""From the digest JSON (``Monitor.digest_data``) to what the templates show: pure, no I/O.

Everything taken from articles is untrusted: titles and sentences are collapsed to one line and cut to
a size; only http(s) URLs become links. Optional keys of the JSON (``key_sentences``,
``first_seen_entities``, ``tag_volume``) are used when present; without them the digest still renders
(key sentences fall back to "what's new", the chart to this week's counts without a baseline mark).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..text import one_line
from . import i18n

#: Longest title shown; longer ones are cut with "…" (a long headline still fits two phone lines).
TITLE_LIMIT = 200
#: Longest key sentence shown (about three lines on a phone).
SENTENCE_LIMIT = 400
#: Key sentences per new development, "what's new" sentences per developing story (the issue: "two or three").
MAX_SENTENCES = 3
#: Other outlets named under "also reported by"; the rest are counted.
MAX_ALSO = 6
#: Tags in the chart, largest first (more stop being readable as bars on a phone).
MAX_BARS = 12
#: New developments and developing stories shown per section; the rest are counted ("and 4 more"). Gmail
#: clips HTML mail over 102 KB and one inlined story is about 1.5 KB, so 25 + 25 stays well under it.
MAX_SECTION_STORIES = 25
#: First-seen names listed.
MAX_NAMES = 30
#: Known re-tellings listed one line each (a collapsed list, not the week's reading).
MAX_KNOWN = 40


@dataclass(frozen=True)
class StoryView:
    id: str
    title: str
    url: str  # "" when the best source has no http(s) URL
    source: str
    date: str
    also: str  # "BBC, Le Monde and 2 more" or ""
    tags: tuple[str, ...]
    sentences: tuple[str, ...]
    article_count: int


@dataclass(frozen=True)
class Bar:
    tag: str
    count: int
    baseline: float | None
    #: Widths in percent of the largest value in the chart (0–100).
    width: int
    baseline_width: int | None


@dataclass(frozen=True)
class FailingFeed:
    name: str
    error: str


@dataclass(frozen=True)
class DigestView:
    lang: str
    t: dict[str, str]
    title: str
    heading: str
    label: str
    window_text: str
    summary: str
    empty: bool
    new: tuple[StoryView, ...] = ()
    developing: tuple[StoryView, ...] = ()
    bars: tuple[Bar, ...] = ()
    names: tuple[str, ...] = ()
    known: tuple[StoryView, ...] = ()
    failing: tuple[FailingFeed, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    #: Stories left out of each section by MAX_SECTION_STORIES.
    more_new: int = 0
    more_developing: int = 0


def safe_url(url: Any) -> str:
    """The URL if it is http(s) and one line, else "" (no javascript: or data: links from feeds)."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) and one_line(text, 2048) == text else ""


def _parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def local_date(value: Any, tz: str, lang: str) -> str:
    moment = value if isinstance(value, datetime) else _parse_time(value)
    if moment is None:
        return ""
    return i18n.format_date(moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)), lang)


def _label(item: Any) -> str:
    if isinstance(item, dict):
        item = item.get("name") or item.get("label") or item.get("tag") or item.get("key") or ""
    return one_line(str(item), 80)


def _best_article(articles: list[dict[str, Any]]) -> dict[str, Any]:
    """The original report: earliest non-duplicate with a link (falls back to any article)."""
    originals = [a for a in articles if not a.get("duplicate_of")] or articles
    linked = [a for a in originals if safe_url(a.get("url"))] or originals
    return min(linked, key=lambda a: (_parse_time(a.get("published")) or datetime.max, str(a.get("id"))))


def _also(best: dict[str, Any], articles: list[dict[str, Any]], lang: str) -> str:
    names: list[str] = []
    for article in articles:
        name = one_line(str(article.get("source") or ""), 80)
        if name and name != one_line(str(best.get("source") or ""), 80) and name not in names:
            names.append(name)
    if len(names) > MAX_ALSO:
        extra = len(names) - MAX_ALSO
        names = [*names[:MAX_ALSO], ("%d more" if lang == "en" else "%d autres") % extra]
    return i18n.join_names(names, lang)


def story_view(story: dict[str, Any], lang: str, tz: str, sentence_key: str,
               names: dict[str, str] | None = None) -> StoryView:
    articles = list(story.get("articles") or [])
    best = _best_article(articles) if articles else {}
    sentences = story.get(sentence_key) or story.get("whats_new") or []
    return StoryView(
        id=str(story.get("id", "")),
        title=one_line(str(story.get("title") or best.get("title") or ""), TITLE_LIMIT),
        url=safe_url(best.get("url")),
        source=one_line(str(best.get("source") or ""), 80),
        date=local_date(best.get("published"), tz, lang),
        also=_also(best, articles, lang) if articles else "",
        tags=tuple((names or {}).get(_label(t), _label(t)) for t in story.get("tags") or [] if _label(t)),
        sentences=tuple(one_line(str(s), SENTENCE_LIMIT) for s in sentences[:MAX_SENTENCES]
                        if str(s).strip()),
        article_count=len(articles))


def _volume_rows(data: dict[str, Any]) -> list[tuple[str, int, float | None]]:
    """(tag, this week, baseline weekly average or None) from ``tag_volume`` or counted from the stories."""
    volume = data.get("tag_volume")
    rows: list[tuple[str, int, float | None]] = []
    if isinstance(volume, dict):
        volume = [{"tag": k, **(v if isinstance(v, dict) else {"count": v})} for k, v in volume.items()]
    if isinstance(volume, list) and volume:
        for row in volume:
            if not isinstance(row, dict):
                continue
            count = next((row[k] for k in ("window", "count", "week") if k in row), 0)
            base = next((row[k] for k in ("baseline_weekly_avg", "baseline_weekly", "baseline")
                         if k in row), None)
            rows.append((_label(row.get("tag") or row.get("name") or ""), int(count or 0),
                         None if base is None else float(base)))
        return [r for r in rows if r[0]]
    counts: Counter[str] = Counter()
    for story in data.get("stories") or []:
        for tag in story.get("tags") or []:
            counts[_label(tag)] += len(story.get("articles") or [])
    return [(tag, n, None) for tag, n in counts.items() if tag]


def tag_names(data: dict[str, Any], lang: str) -> dict[str, str]:
    """Tag key → label in ``lang`` from the stories' ``tag_labels`` (keys show as they are without them)."""
    names: dict[str, str] = {}
    for story in data.get("stories") or []:
        for row in story.get("tag_labels") or []:
            if isinstance(row, dict) and row.get("key"):
                label = row.get("label_fr") if lang == "fr" and row.get("label_fr") else row.get("label")
                names[str(row["key"])] = one_line(str(label or row["key"]), 80)
    return names


def bars(data: dict[str, Any], lang: str = "en") -> tuple[Bar, ...]:
    names = tag_names(data, lang)
    # Tags with no article this week are left out: the chart shows what the week was about.
    rows = [(names.get(tag, tag), n, base) for tag, n, base in _volume_rows(data) if n > 0]
    rows = sorted(rows, key=lambda r: (-r[1], r[0]))[:MAX_BARS]
    top = max([max(c, b or 0) for _, c, b in rows] or [0])
    if top <= 0:
        return ()

    def pct(value: float) -> int:
        return max(1, round(100 * value / top)) if value > 0 else 0

    return tuple(Bar(tag, count, base, pct(count), None if base is None else pct(base))
                 for tag, count, base in rows)


def _summary(counts: dict[str, int], lang: str) -> str:
    parts = [i18n.plural(lang, key, counts[key]) for key in ("new", "developing") if counts[key]]
    text = i18n.messages(lang)["summary"].format(
        counts=", ".join(parts), articles=i18n.plural(lang, "article", counts["articles"]),
        sources=i18n.plural(lang, "source", counts["sources"]))
    if counts["known"]:
        known = i18n.plural(lang, "known", counts["known"])
        text += " " + i18n.messages(lang)["summary_known"].format(count=known)
    return text


def count(data: dict[str, Any]) -> dict[str, int]:
    stories = data.get("stories") or []
    articles = [a for s in stories for a in s.get("articles") or []]
    by_status = Counter(str(s.get("status")) for s in stories)
    return {"new": by_status["new"], "developing": by_status["developing"], "known": by_status["known"],
            "articles": len({a.get("id") for a in articles}),
            "sources": len({one_line(str(a.get("source") or ""), 80) for a in articles if a.get("source")})}


def is_empty(data: dict[str, Any]) -> bool:
    """Nothing to report: no new development and no developing story (re-tellings alone are not news)."""
    counts = count(data)
    return counts["new"] == 0 and counts["developing"] == 0


def build_view(data: dict[str, Any], *, lang: str, title: str, label: str, tz: str,
               failing: tuple[FailingFeed, ...] = ()) -> DigestView:
    """The whole digest as the templates show it, in ``lang``."""
    lang = i18n.check_lang(lang)
    t = i18n.messages(lang)
    stories = data.get("stories") or []
    window = data.get("window") or {}
    until = _parse_time(window.get("until"))
    counts = count(data)
    since_text = local_date(window.get("since"), tz, lang)
    until_text = _last_day_text(until, tz, lang)

    def pick(status: str, key: str) -> tuple[StoryView, ...]:
        return tuple(story_view(s, lang, tz, key, tag_names(data, lang)) for s in stories
                     if s.get("status") == status)

    names = data.get("first_seen_entities") or []
    return DigestView(
        lang=lang, t=t, title=title, heading=t["watch"].format(title=title), label=label,
        window_text=t["window"].format(since=since_text, until=until_text, tz=tz),
        summary=_summary(counts, lang) if not is_empty(data) else t[
            "empty_known" if counts["known"] else "empty"].format(since=since_text, until=until_text),
        empty=is_empty(data),
        new=pick("new", "key_sentences")[:MAX_SECTION_STORIES],
        developing=pick("developing", "whats_new")[:MAX_SECTION_STORIES],
        more_new=max(0, counts["new"] - MAX_SECTION_STORIES),
        more_developing=max(0, counts["developing"] - MAX_SECTION_STORIES),
        bars=bars(data, lang), names=tuple(n for n in (_label(x) for x in names[:MAX_NAMES]) if n),
        known=pick("known", "whats_new")[:MAX_KNOWN], failing=failing, counts=counts)


def _last_day_text(until: datetime | None, tz: str, lang: str) -> str:
    """The last day inside a window whose ``until`` is excluded (local midnight → the day before)."""
    if until is None:
        return ""
    return local_date(until - timedelta(seconds=1), tz, lang)
