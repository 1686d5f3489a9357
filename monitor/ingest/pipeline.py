"""The fetch run, stage by stage (one small decision per stage, I/O only here):

    1. claim    a batch of enabled feeds whose next poll time has come, leased to this run so other
                fetch workers on the same database skip them                    store.feeds.claim_due
    2. poll     conditional GET of each feed (threads, global + per-host limits); 304 → nothing to parse;
                200 → feedparser; a failure is recorded against that feed (410 disables it, Retry-After
                or backoff sets its next poll)
    3. select   entries → canonical URLs; drop those seen in this run or already stored
    4. pages    fetch each new entry's page (robots.txt, size caps) and prepare it (extraction, language,
                compression in worker processes when many); a page that fails falls back to the
                entry's content or summary
    5. store    articles in batches of ``STORE_BATCH``, each one ``INSERT … ON CONFLICT DO NOTHING``
                (a kill never leaves half an article; two workers never store one twice)
    6. health   validators (ETag/Last-Modified) and success saved per feed only after its articles, in
                one statement for all unchanged feeds of the batch; this ends the feeds' leases, so a
                run killed half-way polls the feed in full again next time

Batches repeat until no due feed is left unclaimed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import FetchError, ParseError
from ..store import Database
from ..store import feeds as feed_store
from ..store.articles import save_articles, urls_known
from ..types import FeedEntry, LoadProblem, NewArticle
from .canonical import canonicalize
from .http import HttpClient, Response
from .pages import POOL_MIN_PAGES, ExtractionPool, PageFetcher, PageJob, StageTimes, extract_workers
from .robots import RobotsCache

if TYPE_CHECKING:
    from .extract import Extracted, Source
    from .parse import ParsedFeed

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
               "text/xml;q=0.9, */*;q=0.5")
#: Feeds claimed per batch, as a multiple of ``fetch.concurrency``: four rounds of requests keep every
#: slot busy, and a batch stays small enough that several workers share a few hundred feeds.
CLAIM_BATCH_FACTOR = 4
#: Articles per INSERT (one statement and one commit): a commit costs ~2 ms on SQLite, so 500 articles per
#: commit make it negligible, while a batch (a few MB with its compressed pages) stays small in memory.
STORE_BATCH = 500

#: Times a batch is stored again after PostgreSQL picked it as a deadlock victim. Batches are inserted in
#: id order, so this is a safety net, not a path taken in the tests.
DEADLOCK_RETRIES = 3

#: Called with (stage, done, total) as feeds and pages complete.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FetchSummary:
    feeds_polled: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    new_articles: int = 0
    fallbacks: int = 0
    seconds: float = 0.0
    #: Wall seconds per stage ("feeds", "pages_fetched", "pages_extracted", "store") and "extract_cpu".
    timings: dict[str, float] = field(default_factory=dict)
    problems: tuple[LoadProblem, ...] = ()
    #: When nothing was due: when the next feed is (None when no feed is enabled).
    next_poll_at: datetime | None = None

    def line(self) -> str:
        if not self.feeds_polled:
            when = (f"the next poll is due at {self.next_poll_at:%Y-%m-%d %H:%M} UTC"
                    if self.next_poll_at else "no feed is enabled")
            return f"no feed due; {when} (--force polls every feed now)"
        return (f"{self.feeds_polled} feeds polled, {self.feeds_unchanged} unchanged, {self.feeds_failed} "
                f"failed; {self.new_articles} new articles ({self.fallbacks} from feed text); "
                f"{self.seconds:.1f}s")

    def stats(self) -> dict[str, object]:
        """The JSON stored in the run's row."""
        return {"feeds_polled": self.feeds_polled, "feeds_unchanged": self.feeds_unchanged,
                "feeds_failed": self.feeds_failed, "new_articles": self.new_articles,
                "fallbacks": self.fallbacks, "seconds": round(self.seconds, 3), "timings": self.timings,
                "errors": [str(p) for p in self.problems],
                "next_poll_at": self.next_poll_at.isoformat(timespec="seconds") if self.next_poll_at
                else None}


@dataclass(frozen=True)
class Poll:
    """The outcome of polling one feed: a response (and parsed feed when 200), or an error."""

    task: feed_store.FeedTask
    response: Response | None = None
    parsed: ParsedFeed | None = None
    error: FetchError | ParseError | None = None
    #: Per entry (when parsed in a worker): its canonical URL and the content hash of its feed text.
    canonical: tuple[str, ...] = ()
    text_hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    url: str
    entry: FeedEntry
    source: Source
    #: content_hash of the entry's feed text, when a worker computed it ("" otherwise).
    text_hash: str = ""


def get_feed(http: HttpClient, task: feed_store.FeedTask, config: Config, *,
             conditional: bool = True) -> Poll:
    """GET one feed (conditionally); never raises for what the server did."""
    try:
        return Poll(task, http.get(task.url, max_bytes=config.fetch.max_feed_bytes, accept=FEED_ACCEPT,
                                   etag=task.etag if conditional else None,
                                   last_modified=task.last_modified if conditional else None))
    except FetchError as exc:
        return Poll(task, error=exc)


def parse_poll(poll: Poll, max_entries: int) -> Poll:
    """The poll with its body parsed (runs in a worker process); the body is not sent back."""
    from .parse import parse_feed

    response = poll.response
    assert response is not None
    try:
        parsed = parse_feed(response.body, response.url, max_entries=max_entries,
                            content_type=response.content_type)
    except ParseError as exc:
        return Poll(poll.task, error=exc)
    from ..text import content_hash
    from .extract import MAX_TEXT_CHARS, feed_text

    return Poll(poll.task, dataclasses.replace(response, body=b""), parsed,
                canonical=tuple(canonicalize(e.link) for e in parsed.entries),
                text_hashes=tuple(content_hash(feed_text(e)[0][:MAX_TEXT_CHARS]) for e in parsed.entries))


def poll_feed(http: HttpClient, task: feed_store.FeedTask, config: Config, *,
              conditional: bool = True) -> Poll:
    """GET and parse one feed here; never raises for what the feed did."""
    poll = get_feed(http, task, config, conditional=conditional)
    if poll.response is None or poll.response.not_modified:
        return poll
    return parse_poll(poll, config.fetch.max_entries_per_feed)


@dataclass
class _Totals:
    polled: int = 0
    unchanged: int = 0
    failed: int = 0
    added: int = 0
    fallbacks: int = 0


class FetchRun:
    """One `monitor fetch`: build, ``run()``, read the summary."""

    def __init__(self, db: Database, config: Config, now: datetime, *,
                 progress: ProgressCallback | None = None) -> None:
        self.db, self.config, self.now = db, config, now
        self.progress = progress or (lambda stage, done, total: None)
        self.times = StageTimes()
        self.problems: list[LoadProblem] = []
        self.totals = _Totals()
        self._seen: set[str] = set()
        #: The run's I/O threads (feeds and pages), started once and kept for every batch: a fresh pool per
        #: batch started 16 threads per 64 feeds, ~1.4 ms each under the GIL (0.11 s of a 300-feed
        #: unchanged poll in cProfile).
        self._io: ThreadPoolExecutor | None = None

    def _threads(self) -> ThreadPoolExecutor:
        if self._io is None:
            self._io = ThreadPoolExecutor(self.config.fetch.concurrency, thread_name_prefix="fetch")
        return self._io

    def _stop_threads(self) -> None:
        """Join the I/O threads (before worker processes are forked: a fork wants one thread)."""
        if self._io is not None:
            self._io.shutdown(wait=True)
            self._io = None

    def run(self, *, force: bool = False) -> FetchSummary:
        started = time.monotonic()
        with self.db.session() as session:
            feed_store.sync_config_feeds(session, self.config.feed_list())
        batch = self.config.fetch.concurrency * CLAIM_BATCH_FACTOR
        with ExtractionPool(extract_workers(self.config.fetch.extract_workers)) as pool, \
                HttpClient(self.config.fetch) as http, contextlib.ExitStack() as stack:
            stack.callback(self._stop_threads)
            claimed: list[list[feed_store.FeedTask]] = []  # batches claimed and not yet recorded
            try:
                self._batches(http, pool, batch, force, claimed, stack)
            except BaseException:
                with contextlib.suppress(Exception), self.db.session() as session:
                    feed_store.release(session, [t.id for tasks in claimed for t in tasks])
                raise
        next_poll = None
        if not self.totals.polled:
            with self.db.session(read_only=True) as session:
                next_poll = feed_store.next_poll_at(session)
        t = self.totals
        return FetchSummary(
            feeds_polled=t.polled, feeds_unchanged=t.unchanged, feeds_failed=t.failed,
            new_articles=t.added, fallbacks=t.fallbacks, seconds=time.monotonic() - started,
            timings=dict(self.times.values), problems=tuple(self.problems), next_poll_at=next_poll)

    def _start_workers(self, pool: ExtractionPool, items: int) -> None:
        """Fork the worker processes if ``items`` need them and they are not running yet, after joining
        this run's I/O threads: the workers are forked from a single-threaded process."""
        if not pool.started and pool.would_start(items):
            self._stop_threads()
        pool.start(items)

    def _claim(self, after: int, limit: int, force: bool) -> list[feed_store.FeedTask]:
        with self.db.session() as session:
            return feed_store.claim_due(session, self.now, after_id=after, limit=limit, force=force)

    def _batches(self, http: HttpClient, pool: ExtractionPool, size: int, force: bool,
                 claimed: list[list[feed_store.FeedTask]], stack: contextlib.ExitStack) -> None:
        """Claim, poll and ingest batch after batch. Once the worker processes run, the next batch is
        polled (requests in threads, parsing in the workers) while this thread stores the current one:
        storing a batch's articles and parsing its feeds no longer take turns (the first poll of the
        bench's 1,000 feeds went from 1.23× to 1.01–1.13× the time of a bare feedparser loop)."""
        tasks = self._claim(0, size, force)
        if not tasks:
            return
        claimed.append(tasks)
        self._start_workers(pool, len(tasks))  # before any thread of this run starts
        ahead: ThreadPoolExecutor | None = None
        if pool.started or not pool.would_start(POOL_MIN_PAGES):  # no fork to come: threads are safe
            ahead = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="poll-ahead"))
        self._threads()  # created here, before the polling thread can race to create it
        polls: Future[list[Poll]] | list[Poll] = (
            ahead.submit(self._poll_all, http, pool, tasks) if ahead else self._poll_all(http, pool, tasks))
        while tasks:
            following = self._claim(tasks[-1].id, size, force)
            if following:
                claimed.append(following)
            following_polls: Future[list[Poll]] | list[Poll] | None = None
            if following and ahead is not None:
                following_polls = ahead.submit(self._poll_all, http, pool, following)
            self._batch(http, pool, polls.result() if isinstance(polls, Future) else polls)
            claimed.remove(tasks)
            if following and following_polls is None:
                self._start_workers(pool, len(following))
                following_polls = self._poll_all(http, pool, following)
            tasks, polls = following, following_polls or []

    def _batch(self, http: HttpClient, pool: ExtractionPool, polls: list[Poll]) -> None:
        ok = self._record_polls(polls)
        candidates, per_feed_new = self._select(ok)
        added, fallbacks = self._ingest(http, pool, candidates)
        self._record_successes(ok, per_feed_new)
        t = self.totals
        t.polled += len(polls)
        t.failed += len(polls) - len(ok)
        t.unchanged += sum(1 for p in ok if p.response is not None and p.response.not_modified)
        t.added, t.fallbacks = t.added + added, t.fallbacks + fallbacks

    def _poll_all(self, http: HttpClient, pool: ExtractionPool,
                  tasks: list[feed_store.FeedTask]) -> list[Poll]:
        """GET every feed in threads; changed feeds are parsed by the workers as they arrive."""
        started = time.monotonic()
        cpu = pool.executor(0)
        fetched: list[Poll | Future[Poll]] = []
        total = self.totals.polled + len(tasks)
        for poll in self._threads().map(lambda t: get_feed(http, t, self.config), tasks):
            parse = poll.response is not None and not poll.response.not_modified
            fetched.append(cpu.submit(parse_poll, poll, self.config.fetch.max_entries_per_feed)
                           if parse else poll)
            self.progress("feeds", self.totals.polled + len(fetched), total)
        polls = [p.result() if isinstance(p, Future) else p for p in fetched]
        self.times.add("feeds", time.monotonic() - started)
        return polls

    def _record_polls(self, polls: list[Poll]) -> list[Poll]:
        """Record failures and moves now (one transaction); return the polls that worked."""
        ok: list[Poll] = []
        with self.db.session() as session:
            for poll in polls:
                if poll.response is not None and poll.response.moved_to:
                    feed_store.move_feed(session, poll.task.id, poll.response.moved_to)
                if poll.error is None:
                    ok.append(poll)
                    continue
                gone = isinstance(poll.error, FetchError) and poll.error.permanent
                feed_store.record_failure(session, poll.task.id, self.now, self.config.fetch,
                                          str(poll.error), gone=gone,
                                          retry_after=getattr(poll.error, "retry_after", None))
                self.problems.append(LoadProblem(poll.task.url, str(poll.error)))
        return ok

    def _select(self, polls: list[Poll]) -> tuple[list[Candidate], dict[int, int]]:
        """New entries, once each, in feed order; and how many entries were new per feed."""
        from .extract import Source

        found: list[tuple[Poll, FeedEntry, str, str]] = []
        for poll in polls:
            entries = poll.parsed.entries if poll.parsed is not None else ()
            urls = poll.canonical or tuple(canonicalize(e.link) for e in entries)
            hashes = poll.text_hashes or ("",) * len(entries)
            found.extend(zip((poll,) * len(entries), entries, urls, hashes, strict=True))
        with self.db.session(read_only=True) as session:
            known = urls_known(session, sorted({url for _, _, url, _ in found}))
        candidates: list[Candidate] = []
        per_feed: dict[int, int] = {}
        sources: dict[int, Source] = {}
        for poll, entry, url, text_hash in found:
            if url in self._seen or url in known:
                continue
            self._seen.add(url)
            per_feed[poll.task.id] = per_feed.get(poll.task.id, 0) + 1
            assert poll.parsed is not None
            source = sources.setdefault(poll.task.id, Source(
                poll.task.id, poll.task.name or poll.parsed.title, poll.task.lang))
            candidates.append(Candidate(url, entry, source, text_hash))
        return candidates, per_feed

    def _ingest(self, http: HttpClient, pool: ExtractionPool,
                candidates: list[Candidate]) -> tuple[int, int]:
        """Pages, preparation and storage of every candidate; (articles added, of which fallbacks)."""
        jobs = [PageJob(i, c.url, c.source.lang_hint) for i, c in enumerate(candidates)]
        fetch = self.config.fetch
        fetcher = PageFetcher(http, max_bytes=fetch.max_page_bytes, threads=fetch.concurrency,
                              robots=RobotsCache(http) if fetch.respect_robots_txt else None)
        done = 0

        def on_page() -> None:
            nonlocal done
            done += 1
            self.progress("pages", done, len(jobs))

        if fetch.fetch_pages:
            self._start_workers(pool, len(jobs))
        results = (fetcher.run(jobs, pool=pool, times=self.times, on_page=on_page, io=self._threads())
                   if fetch.fetch_pages else iter(()))
        writer = _BatchWriter(self)
        pending = {j.key for j in jobs}
        for result in results:
            pending.discard(result.key)
            writer.add(candidates[result.key], result.html, result.extracted, result.problem,
                       result.compressed)
        for key in sorted(pending):  # pages not fetched at all (fetch_pages off)
            writer.add(candidates[key], None, None, "page fetching is off (fetch_pages)", None)
        writer.flush()
        return writer.added, writer.fallbacks

    def store(self, articles: list[NewArticle], hashes: dict[str, str]) -> set[str]:
        """One batch in one transaction; tried again when the database chose it as a deadlock victim
        (another worker storing the same articles): the insert ignores what is already stored."""
        from sqlalchemy.exc import OperationalError

        started = time.monotonic()
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                with self.db.session() as session:
                    added = save_articles(session, articles, now=self.now, hashes=hashes)
                break
            except OperationalError as exc:
                if "deadlock" not in str(exc.orig).lower() or attempt == DEADLOCK_RETRIES:
                    raise
        self.times.add("store", time.monotonic() - started)
        return added

    def _record_successes(self, polls: list[Poll], per_feed_new: dict[int, int]) -> None:
        """Health of every feed that answered: one statement for all that answered 304 Not Modified."""
        quiet: list[Poll] = []
        changed: list[Poll] = []
        for poll in polls:
            assert poll.response is not None
            (quiet if poll.parsed is None else changed).append(poll)
        with self.db.session() as session:
            feed_store.record_unchanged(session, [
                (p.task.id, p.response.etag or p.task.etag,
                 p.response.last_modified or p.task.last_modified) for p in quiet if p.response
            ], self.now, self.config.fetch)
            for poll in changed:
                response, parsed = poll.response, poll.parsed
                assert response is not None and parsed is not None
                dates = [e.published for e in parsed.entries if e.published]
                feed_store.record_success(
                    session, poll.task.id, self.now, self.config.fetch,
                    etag=response.etag or poll.task.etag,
                    last_modified=response.last_modified or poll.task.last_modified,
                    feed_type=parsed.feed_type, entries=per_feed_new.get(poll.task.id, 0),
                    last_entry_at=max(dates, default=None), warning=parsed.warning)


class _BatchWriter:
    """Builds each candidate's article and stores them ``STORE_BATCH`` at a time."""

    def __init__(self, run: FetchRun) -> None:
        self.run = run
        self.pending: list[NewArticle] = []
        self.hashes: dict[str, str] = {}
        self.added = self.fallbacks = 0

    def add(self, candidate: Candidate, html: bytes | None, extracted: Extracted | None,
            problem: str | None, compressed: bytes | None) -> None:
        from .extract import build_article

        article = build_article(candidate.url, candidate.entry, extracted, candidate.source,
                                raw_html=html, page_problem=problem, compressed_html=compressed)
        if article is None:
            self.run.problems.append(LoadProblem(candidate.url, problem or "no text in page or feed entry"))
            return
        self.pending.append(article)
        if article.extraction == "page" and extracted is not None and extracted.text_hash:
            self.hashes[article.id] = extracted.text_hash
        elif article.extraction != "page" and candidate.text_hash:
            self.hashes[article.id] = candidate.text_hash
        if len(self.pending) >= STORE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        added = self.run.store(self.pending, self.hashes)
        self.added += len(added)
        self.fallbacks += sum(1 for a in self.pending if a.id in added and a.extraction != "page")
        self.pending, self.hashes = [], {}


@dataclass(frozen=True)
class FeedCheck:
    """`monitor feeds check`: what one unconditional poll of a feed showed."""

    url: str
    name: str
    ok: bool
    status: int | None = None
    feed_type: str = ""
    entries: int = 0
    last_entry_at: datetime | None = None
    error: str = ""
    moved_to: str | None = None


def check_feeds(config: Config, tasks: list[feed_store.FeedTask]) -> list[FeedCheck]:
    """Poll each feed once, unconditionally, and report; stores nothing."""
    with HttpClient(config.fetch) as http, \
            ThreadPoolExecutor(config.fetch.concurrency, thread_name_prefix="check") as pool:
        polls = list(pool.map(lambda t: poll_feed(http, t, config, conditional=False), tasks))
    checks = []
    for poll in polls:
        if poll.error is not None or poll.parsed is None or poll.response is None:
            status = getattr(poll.error, "status", None)
            checks.append(FeedCheck(poll.task.url, poll.task.name, False, status, error=str(poll.error)))
            continue
        dates = [e.published for e in poll.parsed.entries if e.published]
        checks.append(FeedCheck(poll.task.url, poll.task.name, True, poll.response.status,
                                poll.parsed.feed_type, len(poll.parsed.entries), max(dates, default=None),
                                error=poll.parsed.warning, moved_to=poll.response.moved_to))
    return checks
