"""From the digest JSON (``Monitor.digest_data``) to what the templates show: pure, no I/O.

Everything taken from articles is untrusted: titles and sentences are collapsed to one line and cut to
a size; only http(s) URLs become links. Optional keys of the JSON are used when present and the digest
still renders without them: ``previously`` (else the story's newest ``baseline`` entry, without a
sentence), ``whats_new_items`` (else the bare ``whats_new`` sentences), ``key_sentences``,
``first_seen_entities``, ``tag_volume`` (else this week's counts without a baseline mark).

Every article of a story that is not a copy is shown (linked headline, outlet, date, language), ordered
by date and capped with a count; copies are collapsed under the article they copy as "also in …".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..text import one_line
from . import i18n
from .chart import Bar, bars
from .names import WatchNames

#: Longest title shown; longer ones are cut with "…" (a long headline still fits two phone lines).
TITLE_LIMIT = 200
#: Longest key sentence shown (about three lines on a phone); longer sentences are left out rather
#: than cut, so a quote is never shown cut open.
SENTENCE_LIMIT = 400
#: Key sentences per new development, "what's new" sentences per developing story (the issue: "two or three").
MAX_SENTENCES = 3
#: Reports listed under a story besides its headline one; the rest are counted. Eight lines is a phone
#: screen: the busiest story of the evaluation weeks had 11 distinct reports.
MAX_REPORTS = 8
#: Outlets named in one "also in …" line; the rest are counted.
MAX_ALSO = 4
#: New developments and developing stories shown per section; the rest are counted ("and 4 more"). Gmail
#: clips HTML mail over 102 KB and one inlined story is about 2.5 KB with its reports, so 20 + 20 stays
#: under it.
MAX_SECTION_STORIES = 20
#: Lines of the lead ("In brief"): a busy week of the evaluation set had 12 new and developing stories;
#: past that the lead stops being something to read instead of the digest.
MAX_LEAD = 12
#: First-seen names listed (a line of names, not an index).
MAX_NAMES = 12
#: Only these kinds of first-seen names are shown: "unknown" names are where fragments and glued
#: titles end up.
NAME_KINDS = ("person", "org", "place")
#: Known re-tellings listed one line each (a collapsed list, not the week's reading).
MAX_KNOWN = 40


@dataclass(frozen=True)
class Line:
    """A sentence with where it comes from (source, date and link may be "")."""

    text: str
    source: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class Report:
    """One article that is not a copy, with the outlets that copied it."""

    title: str
    url: str
    source: str
    date: str
    lang: str  # the language's name in the reader's language ("anglais")
    also_in: str  # "also in Le Monde and BBC" or ""


@dataclass(frozen=True)
class Previously:
    title: str
    url: str
    source: str
    date: str
    sentence: str


@dataclass(frozen=True)
class StoryView:
    id: str
    title: str
    url: str  # "" when the headline article has no http(s) URL
    source: str
    date: str
    lang: str
    also_in: str
    tags: tuple[str, ...]
    sentences: tuple[Line, ...]
    reports: tuple[Report, ...]  # the other reports, not the headline one
    more_reports: str  # "…and 3 more reports in the archive." or ""
    previously: Previously | None
    article_count: int


@dataclass(frozen=True)
class LeadLine:
    kind: str  # "New" / "Developing" in the reader's language
    title: str
    url: str


@dataclass(frozen=True)
class FailingFeed:
    name: str
    error: str


@dataclass(frozen=True)
class SourceHealth:
    """How many enabled sources failed their last poll when the digest was built (operator facts)."""

    failed: int = 0
    total: int = 0
    #: Names and errors, for the operator only (status, stderr): never rendered for subscribers.
    failing: tuple[FailingFeed, ...] = ()


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
    lead: tuple[LeadLine, ...] = ()
    more_lead: int = 0
    new: tuple[StoryView, ...] = ()
    developing: tuple[StoryView, ...] = ()
    bars: tuple[Bar, ...] = ()
    chart_legend: str = ""
    names: tuple[str, ...] = ()
    known: tuple[StoryView, ...] = ()
    #: One neutral line when some sources could not be reached, else "".
    sources_note: str = ""
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


def label(item: Any) -> str:
    if isinstance(item, dict):
        item = item.get("name") or item.get("label") or item.get("tag") or item.get("key") or ""
    return one_line(str(item), 80)


def _when(article: dict[str, Any]) -> tuple[datetime, str]:
    return _parse_time(article.get("published")) or datetime.max, str(article.get("id"))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _source(article: dict[str, Any]) -> str:
    return one_line(str(article.get("source") or ""), 80)


def _best_article(articles: list[dict[str, Any]]) -> dict[str, Any]:
    """The headline report: the earliest non-copy with a link (falls back to any article)."""
    originals = [a for a in articles if not a.get("duplicate_of")] or articles
    linked = [a for a in originals if safe_url(a.get("url"))] or originals
    return min(linked, key=_when)


def _also_in(copies: list[dict[str, Any]], own: str, lang: str) -> str:
    names = list(dict.fromkeys(s for s in (_source(c) for c in copies) if s and s != own))
    if not names:
        return ""
    if len(names) > MAX_ALSO:
        extra = len(names) - MAX_ALSO
        names = [*names[:MAX_ALSO], i18n.plural(lang, "source", extra)]
    return i18n.messages(lang)["also_in"].format(names=i18n.join_names(names, lang))


def _reports(articles: list[dict[str, Any]], lang: str, tz: str) -> list[Report]:
    """Every article that is not a copy of another one of the story, by date, with its copies' outlets."""
    ids = {str(a.get("id")) for a in articles}
    originals = [a for a in articles if not a.get("duplicate_of") or str(a["duplicate_of"]) not in ids]
    copies: dict[str, list[dict[str, Any]]] = {}
    for a in articles:
        if a.get("duplicate_of") and str(a["duplicate_of"]) in ids:
            copies.setdefault(str(a["duplicate_of"]), []).append(a)
    out = []
    for a in sorted(originals, key=_when):
        title = one_line(str(a.get("title") or ""), TITLE_LIMIT) or _source(a)
        out.append(Report(title, safe_url(a.get("url")), _source(a), local_date(a.get("published"), tz, lang),
                          i18n.language_name(str(a.get("lang") or ""), lang),
                          _also_in(copies.get(str(a.get("id")), []), _source(a), lang)))
    return out


def _whole(sentences: list[Any], title: str) -> list[str]:
    """Sentences to show: one line each, never the headline repeated, never one cut open."""
    folded_title = _fold(title)
    out = []
    for s in sentences:
        text = one_line(str(s), SENTENCE_LIMIT * 2)
        if text and len(text) <= SENTENCE_LIMIT and _fold(text) != folded_title and text not in out:
            out.append(text)
    return out


def _lines(story: dict[str, Any], key: str, title: str, lang: str, tz: str) -> tuple[Line, ...]:
    items = story.get("whats_new_items") if key == "whats_new" else None
    if isinstance(items, list) and items:
        by_text = {one_line(str(i.get("sentence") or ""), SENTENCE_LIMIT * 2): i for i in items
                   if isinstance(i, dict)}
        texts = _whole(list(by_text), title)[:MAX_SENTENCES]
        return tuple(Line(t, _source(by_text[t]), local_date(by_text[t].get("published"), tz, lang),
                          safe_url(by_text[t].get("url"))) for t in texts)
    sentences = story.get(key) or story.get("whats_new") or []
    return tuple(Line(t) for t in _whole(list(sentences), title)[:MAX_SENTENCES])


def _previously(story: dict[str, Any], lang: str, tz: str) -> Previously | None:
    """What a developing story follows: ``previously``, else its first baseline entry (a seed when it has
    one: ``baseline`` lists seeds first, then earlier articles newest first), without a sentence."""
    row = story.get("previously")
    sentence: list[str] = []
    if isinstance(row, dict) and row:
        sentence = _whole([row.get("sentence") or ""], str(row.get("title") or ""))
    else:
        baseline = [b for b in story.get("baseline") or [] if isinstance(b, dict)]
        if not baseline:
            return None
        row = baseline[0]
    return Previously(one_line(str(row.get("title") or ""), TITLE_LIMIT), safe_url(row.get("url")),
                      _source(row), local_date(row.get("published"), tz, lang),
                      sentence[0] if sentence else "")


def story_view(story: dict[str, Any], lang: str, tz: str, sentence_key: str,
               names: WatchNames | None = None, tag_labels: dict[str, str] | None = None) -> StoryView:
    articles = [a for a in story.get("articles") or [] if isinstance(a, dict)]
    best = _best_article(articles) if articles else {}
    reports = _reports(articles, lang, tz)
    head = next((r for r in reports if (r.url, r.source) == (safe_url(best.get("url")), _source(best))), None)
    others = [r for r in reports if r is not head]
    title = one_line(str(story.get("title") or best.get("title") or ""), TITLE_LIMIT)
    extra = max(0, len(others) - MAX_REPORTS)
    more = i18n.messages(lang)["more_reports"].format(count=i18n.plural(lang, "more_reports", extra))
    tags = tuple(dict.fromkeys(_tag_name(t, lang, names, tag_labels) for t in story.get("tags") or []
                               if label(t)))
    status = story.get("status")
    return StoryView(
        id=str(story.get("id", "")), title=title, url=safe_url(best.get("url")), source=_source(best),
        date=local_date(best.get("published"), tz, lang),
        lang=i18n.language_name(str(best.get("lang") or ""), lang), also_in=head.also_in if head else "",
        tags=tags, sentences=_lines(story, sentence_key, title, lang, tz),
        reports=tuple(others[:MAX_REPORTS]), more_reports=more if extra else "",
        previously=_previously(story, lang, tz) if status == "developing" else None,
        article_count=len(articles))


def _tag_name(tag: Any, lang: str, names: WatchNames | None, labels: dict[str, str] | None) -> str:
    key = label(tag)
    fallback = (labels or {}).get(key, key)
    return names.tag(key, lang, fallback) if names else fallback


def tag_labels(data: dict[str, Any], lang: str) -> dict[str, str]:
    """Tag key → label in ``lang`` from the stories' ``tag_labels`` (keys show as they are without them)."""
    out: dict[str, str] = {}
    for story in data.get("stories") or []:
        for row in story.get("tag_labels") or []:
            if isinstance(row, dict) and row.get("key"):
                text = row.get("label_fr") if lang == "fr" and row.get("label_fr") else row.get("label")
                out[str(row["key"])] = one_line(str(text or row["key"]), 80)
    return out


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


def _lead(new: list[StoryView], developing: list[StoryView], t: dict[str, str]) -> list[LeadLine]:
    return ([LeadLine(t["lead_new"], s.title, s.url) for s in new]
            + [LeadLine(t["lead_developing"], s.title, s.url) for s in developing])


def first_seen_names(data: dict[str, Any]) -> tuple[str, ...]:
    """People, organisations and places first seen this week, one per name, at most MAX_NAMES."""
    out: list[str] = []
    for row in data.get("first_seen_entities") or []:
        if isinstance(row, dict) and row.get("kind") not in NAME_KINDS:
            continue
        name = label(row)
        if name and _fold(name) not in {_fold(n) for n in out}:
            out.append(name)
    return tuple(out[:MAX_NAMES])


def sources_note(health: SourceHealth, lang: str) -> str:
    if not health.failed or not health.total:
        return ""
    return i18n.messages(lang)["sources_unreachable"].format(
        failed=i18n.number(health.failed, lang), total=i18n.plural(lang, "source", health.total))


def build_view(data: dict[str, Any], *, lang: str, title: str | WatchNames, label: str, tz: str,
               health: SourceHealth | None = None) -> DigestView:
    """The whole digest as the templates show it, in ``lang``."""
    lang = i18n.check_lang(lang)
    t = i18n.messages(lang)
    names = title if isinstance(title, WatchNames) else WatchNames({"": title})
    watch = names.title(lang)
    stories = data.get("stories") or []
    window = data.get("window") or {}
    counts = count(data)
    since_text = local_date(window.get("since"), tz, lang)
    until_text = _last_day_text(_parse_time(window.get("until")), tz, lang)
    labels = tag_labels(data, lang)

    def pick(status: str, key: str) -> list[StoryView]:
        return [story_view(s, lang, tz, key, names, labels) for s in stories if s.get("status") == status]

    new, developing = pick("new", "key_sentences"), pick("developing", "whats_new")
    lead = _lead(new, developing, t)
    chart, legend = bars(data, lang, names, labels)
    empty = is_empty(data)
    return DigestView(
        lang=lang, t=t, title=watch, heading=t["watch"].format(title=watch), label=label,
        window_text=t["window"].format(since=since_text, until=until_text, tz=tz),
        summary=_summary(counts, lang) if not empty else t[
            "empty_known" if counts["known"] else "empty"].format(since=since_text, until=until_text),
        empty=empty, lead=tuple(lead[:MAX_LEAD]), more_lead=max(0, len(lead) - MAX_LEAD),
        new=tuple(new[:MAX_SECTION_STORIES]), developing=tuple(developing[:MAX_SECTION_STORIES]),
        more_new=max(0, counts["new"] - MAX_SECTION_STORIES),
        more_developing=max(0, counts["developing"] - MAX_SECTION_STORIES),
        bars=chart, chart_legend=legend, names=first_seen_names(data),
        known=tuple(pick("known", "whats_new")[:MAX_KNOWN]),
        sources_note=sources_note(health or SourceHealth(), lang), counts=counts)


def short_summary(data: dict[str, Any], *, lang: str, names: WatchNames, tz: str) -> str:
    """A few lines for the Atom feed: the lead's headlines, then the counts."""
    view = build_view(data, lang=lang, title=names, label="", tz=tz)
    lines = [f"{line.kind}{view.t['colon']}{line.title}" for line in view.lead[:5]]
    return "\n".join([*lines, view.summary])


def _last_day_text(until: datetime | None, tz: str, lang: str) -> str:
    """The last day inside a window whose ``until`` is excluded (local midnight → the day before)."""
    if until is None:
        return ""
    return local_date(until - timedelta(seconds=1), tz, lang)
