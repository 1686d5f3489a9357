"""Article pages: fetch them (threads, robots.txt, size cap) and prepare them (worker processes).

Fetching is I/O-bound and runs in threads; the per-page CPU work (extraction, language, compression)
runs, past ``POOL_MIN_PAGES`` pages, in worker processes started once per run (``ExtractionPool``), which
also parse the changed feeds. Each page is handed to a worker as
soon as it arrives, so fetching and extracting overlap; results stream back to the caller's thread,
which stores them in batches.

Where the extraction bench stands (2 shared cores, 2026-12-03): on pages of a real page's weight (104 kB,
744 elements, like the shared corpus's median of 112 kB and 735) the run extracts 1.69–1.86× as many
pages per second as a bare ``trafilatura.extract`` loop (six full runs), with about its CPU: per page
the workers spend ~6.7 ms (fast mode with lxml's C-level element lookup ~5.3, the page's meta tags in one
pass, zlib level 1 0.4, hash 0.2), this process ~1.2 ms (start-up, HTTP, handing pages over, storing; the
page-or-feed check counts words only up to its threshold), and two processes extracting in parallel
measured 1.67–1.92× one — the goal sits at that ceiling. On 8 kB pages (~2 ms to extract) the fixed costs
(start-up, each worker importing trafilatura, the HTTP client, pickling, storing) weigh as much as the
extraction and the run is ~1× the loop (README "Benchmarks").
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import FetchError
from ..text import compress, content_hash
from ..workers import worker_pool
from .canonical import is_opaque_aggregator_link
from .http import HttpClient
from .robots import RobotsCache

if TYPE_CHECKING:
    from .extract import Extracted

#: Below this many pages, starting worker processes costs more than extracting in-process.
POOL_MIN_PAGES = 8
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
#: Content types extracted as pages; a page served without any type is sniffed (``looks_like_html``).
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain")
#: How far into an untyped body we look for markup.
SNIFF_BYTES = 1024


@dataclass(frozen=True)
class PageJob:
    """One page to get: its canonical URL, an opaque key the caller uses to find its entry, and the
    language its feed is configured with (used when the page declares none)."""

    key: int
    url: str
    lang_hint: str = ""


@dataclass(frozen=True)
class PageResult:
    key: int
    url: str
    html: bytes | None = None
    extracted: Extracted | None = None  # extract is imported lazily: the type is for the checker only
    #: The page zlib-compressed for the store (done in the worker).
    compressed: bytes | None = None
    #: Why there is no page text ("HTTP 404", "disallowed by robots.txt", …), else None.
    problem: str | None = None


@dataclass
class StageTimes:
    """Seconds spent per stage (wall time; stages overlap, so they do not add up to the total)."""

    values: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        self.values[stage] = round(self.values.get(stage, 0.0) + seconds, 4)


@dataclass(frozen=True)
class Prepared:
    extracted: Extracted | None
    compressed: bytes
    seconds: float


def prepare_page(html: bytes, url: str, lang_hint: str) -> Prepared:
    """Extract, hash, settle the language of and compress one page (runs in a worker process)."""
    from .extract import extract_page
    from .lang import article_language

    started = time.process_time()
    extracted = extract_page(html, url)
    if extracted is not None:
        extracted = replace(extracted, text_hash=content_hash(extracted.text), language=article_language(
            extracted.text, declared=extracted.language, hint=lang_hint))
    return Prepared(extracted, compress(html), time.process_time() - started)


def timed_extract(html: bytes, url: str) -> tuple[object | None, float]:
    """``extract_page`` and the CPU seconds it took (`monitor reprocess`; runs in a worker process)."""
    from .extract import extract_page

    started = time.process_time()
    return extract_page(html, url), time.process_time() - started


def extraction_executor(pages: int, workers: int) -> Executor:
    """A pool of forked, warm workers for many pages and more than one worker, else in-process."""
    if pages < POOL_MIN_PAGES or workers <= 1:
        return _Inline()
    return worker_pool(workers, _worker_context())


def _worker_context() -> multiprocessing.context.BaseContext:
    """"fork" when this process runs one thread (a command-line run: the workers start at once and
    share its imports); "forkserver" when other threads run (the daemon, tests serving pages), since a
    fork copies whatever lock another thread holds at that instant."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["monitor.ingest.pages", "monitor.ingest.pipeline"])
    return context


def extract_workers(configured: int) -> int:
    return configured if configured > 0 else (os.cpu_count() or 1)


def looks_like_html(body: bytes) -> bool:
    head = body[:SNIFF_BYTES].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")) or b"<html" in head


def is_html(content_type: str, body: bytes) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith(_HTML_TYPES) if kind else looks_like_html(body)


class _Inline(Executor):
    """Runs the function at once in this thread (few pages: no process start-up)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed back through the future like a pool would
            future.set_exception(exc)
        return future


class ExtractionPool:
    """The run's worker processes for per-feed and per-page CPU work (feed parsing, extraction, language,
    compression): ``workers`` processes forked once per run and kept for all its batches.

    They start at the beginning of the run when it has ``POOL_MIN_PAGES`` feeds or more (``start``),
    else when a batch first has that many pages (``executor``) — always while this run has no thread
    of its own running (see ``_worker_context`` for processes that have others). Each worker imports
    feedparser and trafilatura on its first task, in parallel with the polling going on here; fewer
    items than that run in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._inline = _Inline()

    def start(self, items: int) -> None:
        """Fork the workers now if ``items`` (feeds or pages) are enough to need them."""
        if self.would_start(items):
            self._pool = worker_pool(self.workers, _worker_context())
            for done in [self._pool.submit(os.getpid) for _ in range(self.workers)]:
                done.result()  # fork them now, while this process has one thread

    def would_start(self, items: int) -> bool:
        """Whether ``start(items)`` forks the workers (the caller first joins its threads)."""
        return self._pool is None and items >= POOL_MIN_PAGES and self.workers > 1

    def executor(self, items: int) -> Executor:
        """The pool if started (or ``items`` make it worth starting now), else in-process."""
        self.start(items)
        return self._pool or self._inline

    @property
    def started(self) -> bool:
        return self._pool is not None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        if not is_html(response.content_type, response.body):
            kind = response.content_type.split(";", 1)[0].strip().lower() or "no content type"
            return PageResult(job.key, job.url, problem=f"not an HTML page ({kind})")
        return PageResult(job.key, job.url, html=response.body)

    def run(self, jobs: list[PageJob], *, pool: ExtractionPool, times: StageTimes,
            on_page: Callable[[], None] = lambda: None,
            io: Executor | None = None) -> Iterator[PageResult]:
        """Fetch and prepare every job; yields results as they complete (in this thread).

        ``io``: the caller's threads for the requests (kept for the run), else a pool for this call."""
        if not jobs:
            return
        started = time.monotonic()
        cpu = pool.executor(len(jobs))
        hints = {job.key: job.lang_hint for job in jobs}
        own = ThreadPoolExecutor(self.threads, thread_name_prefix="page") if io is None else None
        with own or contextlib.nullcontext():
            threads = own or io
            assert threads is not None
            fetched = [threads.submit(self.fetch, job) for job in jobs]
            preparing: dict[Future, PageResult] = {}
            for done in as_completed(fetched):
                page = done.result()
                on_page()
                if page.html is None:
                    yield page
                    continue
                preparing[cpu.submit(prepare_page, page.html, page.url, hints[page.key])] = page
        times.add("pages_fetched", time.monotonic() - started)
        for finished in as_completed(preparing):
            page = preparing[finished]
            try:
                ready: Prepared = finished.result()
                times.add("extract_cpu", ready.seconds)
            except Exception as exc:  # a worker process died (memory, signal): that page only
                yield PageResult(page.key, page.url, page.html, problem=f"extraction failed: {exc}")
                continue
            yield PageResult(page.key, page.url, page.html, ready.extracted, ready.compressed,
                             None if ready.extracted else "no article text found in the page")
        times.add("pages_extracted", time.monotonic() - started)
