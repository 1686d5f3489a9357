"""The fetch run, stage by stage (one small decision per stage, I/O only here):

    1. due      enabled feeds whose next poll time has come               store.feeds.due_feeds
    2. poll     conditional GET of each feed (threads, global + per-host limits); 304 → nothing to parse;
                200 → feedparser; a failure is recorded against that feed (410 disables it, backoff)
    3. select   entries → canonical URLs; drop those seen in this run or already stored
    4. pages    fetch each new entry's page (robots.txt, size caps) and extract it (process pool when
                many pages); a page that fails falls back to the entry's content or summary
    5. store    one transaction per article (a kill never leaves half an article)
    6. health   validators (ETag/Last-Modified) and success saved per feed only after its articles,
                so a run killed half-way polls the feed in full again next time
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from ..config import Config
from ..errors import FetchError, ParseError
from ..store import Database
from ..store import feeds as feed_store
from ..store.articles import save_article, url_known
from ..types import FeedEntry, LoadProblem
from .canonical import canonicalize
from .extract import Extracted, Source, build_article
from .http import HttpClient, Response
from .pages import PageFetcher, PageJob, StageTimes, extract_workers
from .parse import ParsedFeed, parse_feed
from .robots import RobotsCache

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
               "text/xml;q=0.9, */*;q=0.5")

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

    def line(self) -> str:
        return (f"{self.feeds_polled} feeds polled, {self.feeds_unchanged} unchanged, {self.feeds_failed} "
                f"failed; {self.new_articles} new articles ({self.fallbacks} from feed text); "
                f"{self.seconds:.1f}s")

    def stats(self) -> dict[str, object]:
        """The JSON stored in the run's row."""
        return {"feeds_polled": self.feeds_polled, "feeds_unchanged": self.feeds_unchanged,
                "feeds_failed": self.feeds_failed, "new_articles": self.new_articles,
                "fallbacks": self.fallbacks, "seconds": round(self.seconds, 3), "timings": self.timings,
                "errors": [str(p) for p in self.problems]}


@dataclass(frozen=True)
class Poll:
    """The outcome of polling one feed: a response (and parsed feed when 200), or an error."""

    task: feed_store.FeedTask
    response: Response | None = None
    parsed: ParsedFeed | None = None
    error: FetchError | ParseError | None = None


@dataclass(frozen=True)
class Candidate:
    url: str
    entry: FeedEntry
    source: Source


def poll_feed(http: HttpClient, task: feed_store.FeedTask, config: Config, *,
              conditional: bool = True) -> Poll:
    """GET and parse one feed; never raises for what the feed did."""
    try:
        response = http.get(task.url, max_bytes=config.fetch.max_feed_bytes, accept=FEED_ACCEPT,
                            etag=task.etag if conditional else None,
                            last_modified=task.last_modified if conditional else None)
        if response.not_modified:
            return Poll(task, response)
        parsed = parse_feed(response.body, response.url, max_entries=config.fetch.max_entries_per_feed,
                            content_type=response.content_type)
        return Poll(task, response, parsed)
    except (FetchError, ParseError) as exc:
        return Poll(task, error=exc)


class FetchRun:
    """One `monitor fetch`: build, ``run()``, read the summary."""

    def __init__(self, db: Database, config: Config, now: datetime, *,
                 progress: ProgressCallback | None = None) -> None:
        self.db, self.config, self.now = db, config, now
        self.progress = progress or (lambda stage, done, total: None)
        self.times = StageTimes()
        self.problems: list[LoadProblem] = []

    def run(self, *, force: bool = False) -> FetchSummary:
        started = time.monotonic()
        with self.db.session() as session:
            feed_store.sync_config_feeds(session, self.config.feed_list())
        with self.db.session(read_only=True) as session:
            tasks = feed_store.due_feeds(session, self.now, force=force)
        with HttpClient(self.config.fetch) as http:
            polls = self._poll_all(http, tasks)
            ok = self._record_polls(polls)
            candidates, per_feed_new = self._select(ok)
            added, fallbacks = self._ingest(http, candidates)
        self._record_successes(ok, per_feed_new)
        unchanged = [p for p in ok if p.response is not None and p.response.not_modified]
        return FetchSummary(
            feeds_polled=len(polls), feeds_unchanged=len(unchanged), feeds_failed=len(polls) - len(ok),
            new_articles=added, fallbacks=fallbacks, seconds=time.monotonic() - started,
            timings=dict(self.times.values), problems=tuple(self.problems))

    def _poll_all(self, http: HttpClient, tasks: list[feed_store.FeedTask]) -> list[Poll]:
        started = time.monotonic()
        polls: list[Poll] = []
        with ThreadPoolExecutor(self.config.fetch.concurrency, thread_name_prefix="feed") as pool:
            for poll in pool.map(lambda t: poll_feed(http, t, self.config), tasks):
                polls.append(poll)
                self.progress("feeds", len(polls), len(tasks))
        self.times.add("feeds", time.monotonic() - started)
        return polls

    def _record_polls(self, polls: list[Poll]) -> list[Poll]:
        """Record failures and moves now; return the polls that worked."""
        ok: list[Poll] = []
        for poll in polls:
            with self.db.session() as session:
                if poll.response is not None and poll.response.moved_to:
                    feed_store.move_feed(session, poll.task.id, poll.response.moved_to)
                if poll.error is None:
                    ok.append(poll)
                    continue
                gone = isinstance(poll.error, FetchError) and poll.error.permanent
                feed_store.record_failure(session, poll.task.id, self.now, self.config.fetch,
                                          str(poll.error), gone=gone)
            self.problems.append(LoadProblem(poll.task.url, str(poll.error)))
        return ok

    def _select(self, polls: list[Poll]) -> tuple[list[Candidate], dict[int, int]]:
        """New entries, once each, in feed order; and how many entries were new per feed."""
        seen: set[str] = set()
        candidates: list[Candidate] = []
        per_feed: dict[int, int] = {}
        with self.db.session(read_only=True) as session:
            for poll in polls:
                if poll.parsed is None:
                    continue
                source = Source(poll.task.id, poll.task.name or poll.parsed.title, poll.task.lang)
                for entry in poll.parsed.entries:
                    url = canonicalize(entry.link)
                    if url in seen or url_known(session, url):
                        continue
                    seen.add(url)
                    per_feed[poll.task.id] = per_feed.get(poll.task.id, 0) + 1
                    candidates.append(Candidate(url, entry, source))
        return candidates, per_feed

    def _ingest(self, http: HttpClient, candidates: list[Candidate]) -> tuple[int, int]:
        """Pages, extraction and storage of every candidate; (articles added, of which fallbacks)."""
        jobs = [PageJob(i, c.url) for i, c in enumerate(candidates)]
        fetch = self.config.fetch
        fetcher = PageFetcher(http, max_bytes=fetch.max_page_bytes, threads=fetch.concurrency,
                              robots=RobotsCache(http) if fetch.respect_robots_txt else None)
        done = 0

        def on_page() -> None:
            nonlocal done
            done += 1
            self.progress("pages", done, len(jobs))

        results = (fetcher.run(jobs, workers=extract_workers(fetch.extract_workers), times=self.times,
                               on_page=on_page) if fetch.fetch_pages else iter(()))
        added = fallbacks = 0
        pending = {j.key for j in jobs}
        for result in results:
            pending.discard(result.key)
            stored, fallback = self._store(candidates[result.key], result.html, result.extracted,
                                           result.problem)
            added, fallbacks = added + stored, fallbacks + (stored and fallback)
        for key in sorted(pending):  # pages not fetched at all (fetch_pages off)
            stored, fallback = self._store(candidates[key], None, None, "page fetching is off (fetch_pages)")
            added, fallbacks = added + stored, fallbacks + (stored and fallback)
        return added, fallbacks

    def _store(self, candidate: Candidate, html: bytes | None, extracted: Extracted | None,
               problem: str | None) -> tuple[bool, bool]:
        started = time.monotonic()
        article = build_article(candidate.url, candidate.entry, extracted, candidate.source,
                                raw_html=html, page_problem=problem)
        if article is None:
            self.problems.append(LoadProblem(candidate.url, problem or "no text in page or feed entry"))
            return False, False
        with self.db.session() as session:
            stored = save_article(session, article, now=self.now)
        self.times.add("store", time.monotonic() - started)
        return stored, article.extraction != "page"

    def _record_successes(self, polls: list[Poll], per_feed_new: dict[int, int]) -> None:
        for poll in polls:
            response, parsed = poll.response, poll.parsed
            assert response is not None
            dates = [e.published for e in parsed.entries if e.published] if parsed else []
            with self.db.session() as session:
                feed_store.record_success(
                    session, poll.task.id, self.now, self.config.fetch,
                    etag=response.etag or poll.task.etag,
                    last_modified=response.last_modified or poll.task.last_modified,
                    feed_type=parsed.feed_type if parsed else None,
                    entries=per_feed_new.get(poll.task.id, 0), last_entry_at=max(dates, default=None),
                    warning=parsed.warning if parsed else "")


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
