"""Article pages: fetch them (threads, robots.txt, size cap) and extract them (a process pool when many).

Fetching is I/O-bound and runs in threads; extraction is CPU-bound and, past ``POOL_MIN_PAGES`` pages,
runs in worker processes so every core works. Each page is handed to extraction as soon as it arrives,
so fetching and extracting overlap. Results come back to the caller's thread one by one (the caller
stores each in its own transaction).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from ..errors import FetchError
from .canonical import is_opaque_aggregator_link
from .extract import Extracted, extract_page
from .http import HttpClient
from .robots import RobotsCache

#: Below this many pages, starting worker processes (about a second to import trafilatura) costs more
#: than extracting in-process (50–200 ms per page on the html/ corpus).
POOL_MIN_PAGES = 8
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "")


@dataclass(frozen=True)
class PageJob:
    """One page to get: its canonical URL and an opaque key the caller uses to find its entry."""

    key: int
    url: str


@dataclass(frozen=True)
class PageResult:
    key: int
    url: str
    html: bytes | None = None
    extracted: Extracted | None = None
    #: Why there is no page text ("HTTP 404", "disallowed by robots.txt", …), else None.
    problem: str | None = None


@dataclass
class StageTimes:
    """Seconds spent per stage (wall time; stages overlap, so they do not add up to the total)."""

    values: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        self.values[stage] = round(self.values.get(stage, 0.0) + seconds, 4)


def timed_extract(html: bytes, url: str) -> tuple[Extracted | None, float]:
    """``extract_page`` and the seconds it took (runs in a worker process)."""
    started = time.perf_counter()
    return extract_page(html, url), time.perf_counter() - started


def extract_workers(configured: int) -> int:
    return configured if configured > 0 else (os.cpu_count() or 1)


class _Inline(Executor):
    """Runs the function at once in this thread (few pages: no process start-up)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed back through the future like a pool would
            future.set_exception(exc)
        return future


def extraction_executor(pages: int, workers: int) -> Executor:
    """A process pool for many pages and more than one worker, else in-process extraction."""
    if pages < POOL_MIN_PAGES or workers <= 1:
        return _Inline()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["monitor.ingest.pages"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


class PageFetcher:
    def __init__(self, http: HttpClient, *, max_bytes: int, robots: RobotsCache | None,
                 threads: int) -> None:
        self.http = http
        self.max_bytes = max_bytes
        self.robots = robots
        self.threads = threads

    def fetch(self, job: PageJob) -> PageResult:
        if is_opaque_aggregator_link(job.url):
            return PageResult(job.key, job.url, problem="aggregator link (not the article's page)")
        try:
            if self.robots is not None and not self.robots.allowed(job.url):
                return PageResult(job.key, job.url, problem="disallowed by robots.txt")
            response = self.http.get(job.url, max_bytes=self.max_bytes, accept=HTML_ACCEPT)
        except FetchError as exc:
            return PageResult(job.key, job.url, problem=str(exc))
        kind = response.content_type.split(";", 1)[0].strip().lower()
        if not kind.startswith(_HTML_TYPES):
            return PageResult(job.key, job.url, problem=f"not an HTML page ({kind})")
        return PageResult(job.key, job.url, html=response.body)

    def run(self, jobs: list[PageJob], *, workers: int, times: StageTimes,
            on_page: Callable[[], None] = lambda: None) -> Iterator[PageResult]:
        """Fetch and extract every job; yields results as they complete (in this thread)."""
        if not jobs:
            return
        started = time.monotonic()
        with ThreadPoolExecutor(self.threads, thread_name_prefix="page") as io, \
                extraction_executor(len(jobs), workers) as cpu:
            fetched = [io.submit(self.fetch, job) for job in jobs]
            extracting: dict[Future, PageResult] = {}
            for done in as_completed(fetched):
                page = done.result()
                on_page()
                if page.html is None:
                    yield page
                    continue
                extracting[cpu.submit(timed_extract, page.html, page.url)] = page
            times.add("pages_fetched", time.monotonic() - started)
            for done in as_completed(extracting):
                page = extracting[done]
                try:
                    extracted, seconds = done.result()
                    times.add("extract_cpu", seconds)
                except Exception as exc:  # a worker process died (memory, signal): that page only
                    yield PageResult(page.key, page.url, page.html, problem=f"extraction failed: {exc}")
                    continue
                yield PageResult(page.key, page.url, page.html, extracted,
                                 None if extracted else "no article text found in the page")
        times.add("pages_extracted", time.monotonic() - started)
