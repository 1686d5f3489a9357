"""Extraction and feed polling, end to end: pages and feeds served on 127.0.0.1, ``monitor fetch`` run.

extraction  N article pages behind RSS feeds, ingested by ``monitor fetch`` (fetch, extract, store)
            vs. a plain in-process loop of ``trafilatura.extract`` over the same pages
polling     F feeds × E entries (no pages fetched): the first and a second, unchanged poll by
            ``monitor fetch`` vs. a plain loop of ``feedparser.parse`` over the same feed files
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.testing import LocalSite

from .common import children_peak_rss_mb, mean_of, peak_rss_mb, timer, write_config
from .pages import render_page, render_rss
from .synth import SynthArticle, generate

#: Entries per feed in the extraction measure (a typical news feed lists 20–50 items).
ENTRIES_PER_FEED = 20
#: Feed entries carry a summary of this length when pages are not fetched (polling measure).
SUMMARY_WORDS = (80, 200)
#: Generous concurrency for one local host: the benchmark measures extraction, not politeness.
FETCH_CONCURRENCY = 16


def monitor_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "--config", str(config), *args]


def fetch_available() -> str | None:
    """None when ``monitor fetch`` exists, else why not."""
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "fetch", "--help"], capture_output=True, text=True
    )
    return None if done.returncode == 0 else "monitor fetch not available"


def _fetch_help() -> str:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "fetch", "--help"], capture_output=True, text=True
    ).stdout


def force_option() -> str | None:
    """The option of ``monitor fetch`` that polls every feed regardless of its interval, if any."""
    text = _fetch_help()
    return next((o for o in ("--force", "--all", "--now") if o in text), None)


def fetch_args() -> list[str]:
    """``fetch --json``, without the analysis that follows ingest when the command can leave it out."""
    return ["fetch", "--json", *(["--no-analyze"] if "--no-analyze" in _fetch_help() else [])]


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(cmd: list[str]) -> dict[str, Any]:
    """Run a monitor command; wall and CPU seconds, and its ``--json`` summary when it printed one."""
    cpu = _child_cpu()
    with timer() as t:
        done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    try:
        summary = json.loads(done.stdout)
    except ValueError:
        summary = {}
    return {"seconds": t["seconds"], "cpu_seconds": _child_cpu() - cpu, "summary": summary}


def _count(db: Path, where: str = "1=1") -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM articles WHERE {where}").fetchone()[0])


def _recent(n: int, seed: int, words: tuple[int, int] | None = None) -> list[SynthArticle]:
    now = datetime.now(UTC).replace(tzinfo=None)
    kwargs = {"words": words} if words else {}
    return generate(n, seed=seed, start=now - timedelta(days=6), end=now - timedelta(hours=1), **kwargs)


def _serve_feeds(site: LocalSite, groups: list[list[tuple[SynthArticle, str]]]) -> list[dict[str, str]]:
    feeds = []
    for k, items in enumerate(groups):
        lang = items[0][0].lang if items else "en"
        url = site.add(
            f"/feeds/{k}.xml",
            render_rss(f"Bench feed {k}", site.url("/"), items, lang),
            content_type="application/rss+xml; charset=utf-8",
        )
        feeds.append({"url": url, "name": f"Bench feed {k}", "lang": lang})
    return feeds


#: Rounds of the extraction measure: each is a fresh database fetched by ``monitor fetch``; the anchor
#: runs before, between and after them and each side's figure is the mean of its runs, as in the polling
#: and sending measures. Single runs on the shared machine moved 1.19–1.71× within minutes (one run of
#: ours at 12 ms of CPU a page, the next at 8.7).
EXTRACTION_ROUNDS = 2


def _timed_anchor(loop: Callable[[], int], counted: str) -> dict[str, Any]:
    """Wall and CPU seconds of one anchor ``loop``, and what it returns as ``counted``."""
    cpu = time.process_time()
    with timer() as t:
        count = loop()
    return {"seconds": t["seconds"], "cpu_seconds": time.process_time() - cpu, counted: count}


def _fresh_store(work: Path, db: Path, feeds: list[dict[str, str]], fetch: dict[str, Any]) -> Path:
    """A configuration for ``feeds`` with ``fetch`` settings on a new database ``db``, initialised."""
    config = write_config(
        work,
        db,
        feeds=feeds,
        fetch={
            "allow_private_addresses": True,
            "concurrency": FETCH_CONCURRENCY,
            "per_host_concurrency": FETCH_CONCURRENCY,
            **fetch,
        },
    )
    _run(monitor_command(config, "init"))
    return config


def _mean_run_seconds(runs: list[dict[str, Any]]) -> float | None:
    """The mean of the runs' own ``seconds`` (their ``--json`` summary: the run without start-up)."""
    inner = [r["summary"].get("seconds") for r in runs]
    return round(sum(inner) / len(inner), 3) if inner and None not in inner else None


def _extract_loop(htmls: list[str]) -> dict[str, Any]:
    import trafilatura

    return _timed_anchor(lambda: sum(1 for h in htmls if trafilatura.extract(h)), "extracted")


def extraction(workdir: str, pages: int, seed: int = 3, weight: str = "real") -> dict[str, Any]:
    """``monitor fetch`` over ``pages`` pages of ``weight`` ("real" or "light", ``bench.pages``) against a
    ``trafilatura.extract`` loop over the same pages (EXTRACTION_ROUNDS of ours, interleaved)."""
    work = Path(workdir) / weight
    work.mkdir(parents=True, exist_ok=True)
    articles = _recent(pages, seed)
    htmls = [
        render_page(a, articles[max(0, i - 10) : i + 10], seed=seed, weight=weight)
        for i, a in enumerate(articles)
    ]
    sizes = sorted(len(h.encode("utf-8")) for h in htmls)
    anchors = [_extract_loop(htmls)]
    anchor_memory = peak_rss_mb()
    runs: list[dict[str, Any]] = []
    with LocalSite() as site:
        urls = [site.add(f"/p/{a.id}.html", h) for a, h in zip(articles, htmls, strict=True)]
        items = list(zip(articles, urls, strict=True))
        groups = [items[i : i + ENTRIES_PER_FEED] for i in range(0, len(items), ENTRIES_PER_FEED)]
        feeds = _serve_feeds(site, groups)
        for k in range(EXTRACTION_ROUNDS):
            db = work / f"extraction-{k}.db"
            config = _fresh_store(
                work,
                db,
                feeds,
                {
                    "fetch_pages": True,
                    "respect_robots_txt": False,
                    "max_entries_per_feed": max(ENTRIES_PER_FEED, 200),
                },
            )
            runs.append(_run(monitor_command(config, *fetch_args())))
            anchors.append(_extract_loop(htmls))
    ours_seconds, anchor_seconds = mean_of(runs, "seconds"), mean_of(anchors, "seconds")
    return {
        "pages": pages,
        "weight": weight,
        "rounds": EXTRACTION_ROUNDS,
        "median_page_kb": round(sizes[len(sizes) // 2] / 1000, 1),
        "command": "monitor " + " ".join(fetch_args()),
        "extracted_by_anchor": anchors[0]["extracted"],
        "stored": _count(db),
        "stored_from_page": _count(db, "extraction = 'page'"),
        "ours_seconds": ours_seconds,
        "ours_runs": [round(r["seconds"], 2) for r in runs],
        "anchor_seconds": anchor_seconds,
        "anchor_runs": [round(a["seconds"], 2) for a in anchors],
        "ours_pages_per_second": pages / ours_seconds,
        "anchor_pages_per_second": pages / anchor_seconds,
        "ours_peak_rss_mb": children_peak_rss_mb(),
        "anchor_peak_rss_mb": anchor_memory,
        "ours_cpu_seconds": mean_of(runs, "cpu_seconds"),
        "anchor_cpu_seconds": mean_of(anchors, "cpu_seconds"),
        "ours_run_seconds": _mean_run_seconds(runs),
        "ours_timings": runs[-1]["summary"].get("timings"),
    }


#: Rounds of the polling measure. Each round is a first poll into a fresh database and a second,
#: unchanged one; the anchor runs before, between and after them, and each side's figure is the mean of
#: its runs (as in the sending measure): a burst of load elsewhere on the shared machine then hits both
#: sides instead of one run of one of them (single runs of the second poll moved 0.076–0.13× within an
#: hour, the anchor 9.6–11.4 s).
POLLING_ROUNDS = 2


def _feedparser_loop(bodies: list[bytes]) -> dict[str, Any]:
    import feedparser

    return _timed_anchor(lambda: sum(len(feedparser.parse(b).entries) for b in bodies), "parsed")


def polling(workdir: str, feeds: int, entries: int, seed: int = 4) -> dict[str, Any]:
    work = Path(workdir)
    articles = _recent(feeds * entries, seed, SUMMARY_WORDS)
    force = force_option()
    with LocalSite() as site:
        items = [(a, site.url(f"/p/{a.id}.html")) for a in articles]
        groups = [items[i * entries : (i + 1) * entries] for i in range(feeds)]
        served = _serve_feeds(site, groups)
        bodies = [site.resources[f"/feeds/{k}.xml"].body for k in range(feeds)]
        anchors = [_feedparser_loop(bodies)]
        anchor_memory = peak_rss_mb()
        firsts: list[dict[str, Any]] = []
        seconds: list[dict[str, Any]] = []
        stored = conditional = second_requests = 0
        for k in range(POLLING_ROUNDS):
            db = work / f"polling-{k}.db"
            config = _fresh_store(
                work,
                db,
                served,
                {
                    "fetch_pages": False,
                    "max_entries_per_feed": max(entries, 200),
                },
            )
            firsts.append(_run(monitor_command(config, *fetch_args())))
            stored = _count(db)
            before = len(site.requests)
            if force:
                seconds.append(_run(monitor_command(config, *fetch_args(), force)))
                conditional = sum(
                    1
                    for r in site.requests[before:]
                    if "if-none-match" in r.headers or "if-modified-since" in r.headers
                )
                second_requests = len(site.requests) - before
            anchors.append(_feedparser_loop(bodies))

    return {
        "feeds": feeds,
        "command": "monitor " + " ".join(fetch_args()),
        "entries": entries,
        "rounds": POLLING_ROUNDS,
        "parsed_by_anchor": anchors[0]["parsed"],
        "stored": stored,
        "anchor_seconds": mean_of(anchors, "seconds"),
        "anchor_runs": [round(a["seconds"], 2) for a in anchors],
        "anchor_cpu_seconds": mean_of(anchors, "cpu_seconds"),
        "first_seconds": mean_of(firsts, "seconds"),
        "first_runs": [round(r["seconds"], 2) for r in firsts],
        "first_run_seconds": _mean_run_seconds(firsts),
        "first_cpu_seconds": mean_of(firsts, "cpu_seconds"),
        "second_seconds": mean_of(seconds, "seconds") if seconds else None,
        "second_runs": [round(r["seconds"], 3) for r in seconds],
        "second_run_seconds": _mean_run_seconds(seconds),
        "second_cpu_seconds": mean_of(seconds, "cpu_seconds") if seconds else None,
        "second_unavailable": None if force else "monitor fetch has no option to poll feeds not yet due",
        "second_conditional_requests": conditional,
        "second_requests": second_requests,
        "ours_peak_rss_mb": children_peak_rss_mb(),
        "anchor_peak_rss_mb": anchor_memory,
    }
