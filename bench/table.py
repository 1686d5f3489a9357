"""The results table: rows built from the measures' raw figures, printed as text and Markdown."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: Goals from issue 7.
EXTRACTION_GOAL = 1.7  # our pages/s ≥ 1.7 × the plain trafilatura loop on 2 cores
FIRST_POLL_GOAL = 1.2  # first poll ≤ 1.2 × the plain feedparser loop
SECOND_POLL_GOAL = 0.1  # unchanged second poll ≤ 1/10 of the plain feedparser loop
UNDERSTAND_SCALE_GOAL = 1.5  # per-article cost at the largest store ≤ 1.5 × at the smallest
UNDERSTAND_RATE_GOAL = 200.0  # articles/s at the largest store
DIGEST_SECONDS_GOAL = 2.0  # one week's digest at the largest store
DIGEST_SCALE_GOAL = 1.5  # ≤ 1.5 × the figure at the next smaller store
MEMORY_GOAL_MB = 500.0  # peak resident memory of each run at the largest store


@dataclass(frozen=True)
class Row:
    measure: str
    ours: float | str
    anchor: float | str | None = None
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    note: str = ""


def _fmt(value: float | str | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"


def render_text(rows: list[Row], header: str) -> str:
    cells = [("measure", "ours", "anchor", "ratio", "goal", "met?")]
    for r in rows:
        met = "–" if r.met is None else ("yes" if r.met else "NO")
        cells.append((r.measure, _fmt(r.ours), _fmt(r.anchor), _fmt(r.ratio), r.goal, met))
    widths = [max(len(c[i]) for c in cells) for i in range(6)]
    lines = [header, ""]
    for i, c in enumerate(cells):
        lines.append("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"- {r.measure}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + ([""] + notes if notes else []))


def render_markdown(rows: list[Row], header: str) -> str:
    lines = [header, "", "| measure | ours | anchor | ratio | goal | met? |", "|---|---:|---:|---:|---|---|"]
    for r in rows:
        met = "–" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(
            f"| {r.measure} | {_fmt(r.ours)} | {_fmt(r.anchor)} | {_fmt(r.ratio)} | {r.goal} | {met} |"
        )
    notes = [f"- {r.measure}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def as_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]
