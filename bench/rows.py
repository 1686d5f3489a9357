"""Turning each measure's raw result into table rows (pure: results in, rows out)."""

from __future__ import annotations

from typing import Any

from .table import (
    DIGEST_SCALE_GOAL,
    DIGEST_SECONDS_GOAL,
    EXTRACTION_GOAL,
    FIRST_POLL_GOAL,
    MEMORY_GOAL_MB,
    SECOND_POLL_GOAL,
    UNDERSTAND_RATE_GOAL,
    UNDERSTAND_SCALE_GOAL,
    Row,
)

Result = dict[str, Any]


def unavailable(measure: str, why: str) -> Row:
    return Row(measure, "not available", note=why)


def memory_row(measure: str, mb: float, *, goal: bool) -> Row:
    return Row(
        f"peak RSS MB, {measure}",
        mb,
        goal=f"≤ {MEMORY_GOAL_MB:g} MB" if goal else "",
        met=(mb <= MEMORY_GOAL_MB) if goal else None,
    )


def extraction_rows(r: Result) -> list[Row]:
    """The goal is judged on pages of real weight (``bench.pages``: the shared corpus's median size and
    element count); light pages get a row without a goal: there the run's fixed costs dominate."""
    ratio = r["ours_pages_per_second"] / r["anchor_pages_per_second"]
    weight = r.get("weight", "real")
    judged = weight == "real"
    kind = f"{weight}-weight pages of {r.get('median_page_kb', '?')} kB"
    runs = (
        f"; means of {r['rounds']} runs interleaved (ours {r['ours_runs']} s, anchor {r['anchor_runs']} s)"
        if r.get("rounds")
        else ""
    )
    note = (
        f"`{r.get('command', 'monitor fetch')}`: {r['stored_from_page']}/{r['pages']} pages stored from "
        f"the page{runs}; wall {r['ours_seconds']:.1f} s "
        f"(the run itself {r['ours_run_seconds']} s, rest is start-up), CPU {r['ours_cpu_seconds']:.1f} s "
        f"vs anchor wall {r['anchor_seconds']:.1f} s, CPU {r['anchor_cpu_seconds']:.1f} s"
    )
    return [
        Row(
            f"extraction pages/s ({r['pages']} {kind}, monitor fetch vs trafilatura loop)",
            r["ours_pages_per_second"],
            r["anchor_pages_per_second"],
            ratio,
            f"≥ {EXTRACTION_GOAL}×" if judged else "",
            ratio >= EXTRACTION_GOAL if judged else None,
            note,
        ),
        memory_row(
            f"extraction, {weight} pages (monitor fetch; anchor {r['anchor_peak_rss_mb']} MB)",
            r["ours_peak_rss_mb"],
            goal=False,
        ),
    ]


def polling_rows(r: Result) -> list[Row]:
    size = f"{r['feeds']}×{r['entries']}"
    first = r["first_seconds"] / r["anchor_seconds"]
    rows = [
        Row(
            f"feed polling s, first poll ({size}) vs feedparser loop",
            r["first_seconds"],
            r["anchor_seconds"],
            first,
            f"≤ {FIRST_POLL_GOAL}×",
            first <= FIRST_POLL_GOAL,
            f"`{r.get('command', 'monitor fetch')}`: {r['stored']} articles stored, "
            f"anchor parsed {r['parsed_by_anchor']} entries; means of {r.get('rounds', 1)} runs interleaved "
            f"(ours {r.get('first_runs', [])} s, anchor {r.get('anchor_runs', [])} s); the run itself "
            f"{r['first_run_seconds']} s, CPU {r['first_cpu_seconds']:.1f} s vs anchor CPU "
            f"{r['anchor_cpu_seconds']:.1f} s",
        )
    ]
    if r["second_seconds"] is None:
        rows.append(unavailable(f"feed polling s, second poll ({size})", r["second_unavailable"]))
    else:
        second = r["second_seconds"] / r["anchor_seconds"]
        rows.append(
            Row(
                f"feed polling s, second poll ({size}, unchanged)",
                r["second_seconds"],
                r["anchor_seconds"],
                second,
                f"≤ {SECOND_POLL_GOAL}×",
                second <= SECOND_POLL_GOAL,
                f"{r['second_conditional_requests']}/{r['second_requests']} requests conditional; runs "
                f"{r.get('second_runs', [])} s; the run itself {r['second_run_seconds']} s, CPU "
                f"{r['second_cpu_seconds']:.1f} s",
            )
        )
    rows.append(
        memory_row(
            f"feed polling (monitor fetch; anchor {r['anchor_peak_rss_mb']} MB)",
            r["ours_peak_rss_mb"],
            goal=False,
        )
    )
    return rows


def _cpu_note(r: Result, per: int | None = None) -> str:
    """CPU seconds next to wall seconds: on a shared machine the gap is time spent waiting for a core."""
    if "cpu_seconds" not in r:
        return ""
    note = f"wall {r['seconds']:.2f} s, CPU {r['cpu_seconds']:.2f} s"
    if r.get("runs"):
        note = f"mean of {len(r['runs'])} cold runs {r['runs']} s: " + note
    return note + (f" ({1000 * r['cpu_seconds'] / per:.0f} ms CPU/article)" if per else "")


def understand_rows(results: list[Result]) -> list[Row]:
    base = results[0]
    largest = results[-1]
    rows = []
    for r in results:
        is_largest = r is largest and len(results) > 1
        ratio = r["per_article_ms"] / base["per_article_ms"]
        rows.append(
            Row(
                f"understand ms/article, {r['new']} new into {r['store']:,} (vs {base['store']:,})",
                r["per_article_ms"],
                base["per_article_ms"],
                ratio,
                f"≤ {UNDERSTAND_SCALE_GOAL}×" if is_largest else "",
                (ratio <= UNDERSTAND_SCALE_GOAL) if is_largest else None,
                "; ".join(n for n in (r.get("prefill_note", ""), _cpu_note(r, r["new"])) if n),
            )
        )
    rate = largest["articles_per_second"]
    rows.append(
        Row(
            f"understand articles/s at {largest['store']:,}",
            rate,
            goal=f"≥ {UNDERSTAND_RATE_GOAL:g}",
            met=rate >= UNDERSTAND_RATE_GOAL,
        )
    )
    rows += [
        memory_row(f"understand at {r['store']:,}", r["peak_rss_mb"], goal=r is largest) for r in results
    ]
    return rows


def digest_rows(results: list[Result]) -> list[Row]:
    rows = []
    for i, r in enumerate(results):
        prev = results[i - 1] if i else None
        is_largest = i == len(results) - 1 and prev is not None
        ratio = r["seconds"] / prev["seconds"] if prev else None
        met = r["seconds"] <= DIGEST_SECONDS_GOAL and ratio is not None and ratio <= DIGEST_SCALE_GOAL
        rows.append(
            Row(
                f"digest s ({r['call']}), {r['in_window']:,} in window, store {r['store']:,}"
                + (f" (vs {prev['store']:,})" if prev else ""),
                r["seconds"],
                prev["seconds"] if prev else None,
                ratio,
                f"≤ {DIGEST_SECONDS_GOAL:g} s and ≤ {DIGEST_SCALE_GOAL}×" if is_largest else "",
                met if is_largest else None,
                _cpu_note(r),
            )
        )
    rows += [
        memory_row(f"digest at {r['store']:,}", r["peak_rss_mb"], goal=r is results[-1]) for r in results
    ]
    return rows
