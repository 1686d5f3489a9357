"""The tag chart: for each tag, this week against what was known before, as bars. Pure.

The comparison is a *share*: of this week's original relevant articles, the part about each tag, next to
the same part among every relevant original article known before the week (the seeds and all earlier
weeks). Shares compare a busy week with a quiet history fairly, where weekly averages over a short or
seed-only history read "0.0". ``tag_volume`` rows without shares (an older digest JSON) fall back to
this week's counts and the baseline's weekly average. Bars are scaled to the largest value shown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..text import one_line
from . import i18n
from .names import WatchNames

#: Tags in the chart, largest first (more stop being readable as bars on a phone).
MAX_BARS = 10


@dataclass(frozen=True)
class Bar:
    tag: str
    #: This week and before, as shown ("42%", "5"); ``baseline`` is "" when unknown.
    value: str
    baseline: str
    #: Widths in percent of the largest value shown (0–100).
    width: int
    baseline_width: int | None


@dataclass(frozen=True)
class _Row:
    key: str
    count: int
    value: float  # a share (0–1) or a count
    base: float | None


def _label(item: Any) -> str:
    return one_line(str(item), 80)


def _rows(data: dict[str, Any]) -> tuple[list[_Row], bool, int, int]:
    """(rows, as shares?, window articles, baseline articles)."""
    volume = data.get("tag_volume")
    if isinstance(volume, dict) and volume:
        items = [(k, v) for k, v in volume.items() if isinstance(v, dict)]
        shares = bool(items) and all("window_share" in v for _, v in items)
        rows, window_total, base_total = [], 0, 0
        for key, v in items:
            count = int(v.get("window") or 0)
            if shares:
                window_total = max(window_total, int(v.get("window_total") or 0))
                base_total = max(base_total, int(v.get("baseline_total") or 0))
                base = float(v["baseline_share"]) if base_total else None
                rows.append(_Row(_label(key), count, float(v.get("window_share") or 0), base))
            else:
                avg = v.get("baseline_weekly_avg")
                rows.append(_Row(_label(key), count, count, None if avg is None else float(avg)))
        return rows, shares, window_total, base_total
    counts: Counter[str] = Counter()
    for story in data.get("stories") or []:
        for tag in story.get("tags") or []:
            counts[_label(tag)] += len([a for a in story.get("articles") or [] if not a.get("duplicate_of")])
    return [_Row(k, n, n, None) for k, n in counts.items() if k], False, 0, 0


def _legend(lang: str, shares: bool, window_total: int, base_total: int) -> str:
    t = i18n.messages(lang)
    if not shares:
        return t["chart_legend_avg"]
    window = i18n.plural(lang, "article", window_total)
    if not base_total:
        return t["chart_legend_no_base"].format(window=window)
    return t["chart_legend"].format(window=window, baseline=i18n.plural(lang, "article", base_total))


def bars(data: dict[str, Any], lang: str, names: WatchNames | None = None,
         labels: dict[str, str] | None = None) -> tuple[tuple[Bar, ...], str]:
    """The chart's bars (tags with an article this week, largest first) and its legend."""
    rows, shares, window_total, base_total = _rows(data)
    rows = sorted((r for r in rows if r.count > 0), key=lambda r: (-r.value, r.key))[:MAX_BARS]
    top = max([max(r.value, r.base or 0) for r in rows] or [0])
    if top <= 0:
        return (), ""

    def pct(value: float) -> int:
        return max(1, round(100 * value / top)) if value > 0 else 0

    def shown(value: float | None, *, average: bool = False) -> str:
        if value is None:
            return ""
        return i18n.percent(value, lang) if shares else i18n.number(value, lang, digits=1 if average else 0)

    def name(key: str) -> str:
        fallback = (labels or {}).get(key, key)
        return names.tag(key, lang, fallback) if names else fallback

    out = tuple(Bar(name(r.key), shown(r.value), shown(r.base, average=True), pct(r.value),
                    None if r.base is None else pct(r.base)) for r in rows)
    counted = all(r.base is None for r in rows)  # counted from the stories: nothing to compare with
    return out, "" if counted and not shares else _legend(lang, shares, window_total, base_total)
