"""The library API: a ``Monitor`` built from the configuration.

The command line, the scheduler and cron all call these methods, so a scheduled run behaves exactly
like a manual one. The pipeline, in order:

    1. baseline   seeds/ → articles (is_baseline)                     Monitor.load_seeds
    2. ingest     feeds → entries → pages → extracted articles        Monitor.fetch / ingest
    3. understand relevance, tags, entities, duplicates, stories      Monitor.analyze
    4. digest     a window → stories new/developing/known → JSON,      Monitor.digest / send
                  HTML, text → mail to each subscriber once
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from . import __version__
from .config import Config, load_config
from .digest import deliveries

# Re-exported for the entry points, which import only the facade:
from .digest.deliveries import describe_uncertain as describe_uncertain
from .due import DigestOutcome, OnceReport, digest_due_at, raw_html_cutoff
from .errors import InputError, StorageError
from .seeds import read_seed_folder
from .store import Database, subscribers, utcnow
from .store.articles import count_articles, save_article, seed_articles
from .store.models import Article, Digest, Feed, Run, Story, Subscriber, iso
from .store.subscribers import ImportResult, SubscriberInfo
from .text import word_count
from .types import LoadProblem, LoadResult

if TYPE_CHECKING:  # the ingest, understand and digest stages are imported when first used (start-up
    # time: `monitor fetch` needs none of digest's templates)
    from .digest.names import WatchNames
    from .digest.pipeline import DigestPipeline, SendReport, StoredDigest
    from .digest.window import Window
    from .ingest.pipeline import FeedCheck, FetchSummary
    from .understand.analyze import AnalyzeSummary
    from .understand.topic import Topic

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: Operations that change what is fetched, analysed, sent or kept, and so run one at a time across
#: processes under the run lock (see ``Monitor._exclusive``). Read-only operations (status, lists,
#: previews, ``feeds check``) and subscriber/feed edits take no lock.
EXCLUSIVE_OPERATIONS = frozenset({
    "init", "seeds", "fetch", "ingest", "reprocess", "analyze", "digest", "send", "housekeeping", "once"})
#: Of those, the ones that coordinate through row claims instead of the run lock on PostgreSQL, so
#: several machines can run them side by side (SQLite keeps the one lock): fetch claims its due feeds
#: with FOR UPDATE SKIP LOCKED and a lease, and stores articles with INSERT … ON CONFLICT DO NOTHING.
CLAIMED_ON_POSTGRESQL: frozenset[str] = frozenset({"fetch"})


def _held(run: Run | None) -> dict[str, Any] | None:
    """The last digest run when it was held (most sources failed): its week, time and reason."""
    stats = json.loads(run.stats or "{}") if run is not None else {}
    if run is None or run.ok or not stats.get("held"):
        return None
    return {"week": stats.get("window", ""), "at": iso(run.started_at), "reason": stats["held"]}


class Monitor:
    """One watch: its configuration, its store, and the pipeline's operations."""

    def __init__(self, config: Config | None = None, *, clock: Clock = utcnow) -> None:
        self.config = config or load_config()
        #: Returns naive UTC now; tests inject a fixed clock.
        self.clock = clock
        self.db = Database(self.config.database.resolved_url(),
                           busy_timeout_seconds=self.config.database.busy_timeout_seconds)
        #: How deep this thread is inside the run lock (re-entrant: once() calls fetch() …).
        self._held = threading.local()

    @classmethod
    def from_config_file(cls, path: str | Path | None = None, **kwargs: Any) -> Monitor:
        return cls(load_config(path), **kwargs)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- foundation ------------------------------------------------------------------------------------

    def init(self) -> LoadResult:
        """Create or upgrade the database and load the configured seeds (idempotent)."""
        with self._exclusive("init"):
            self.db.upgrade()
            return self.load_seeds()

    def ensure_schema(self) -> None:
        """Create or upgrade the schema when missing or behind the code (clear error if unreachable)."""
        self.db.upgrade()

    def load_seeds(self, path: str | Path | None = None) -> LoadResult:
        """Store every article under ``path`` (default: the configured seeds) as baseline."""
        with self._exclusive("seeds"):
            return self._load_seeds(path)

    def _load_seeds(self, path: str | Path | None) -> LoadResult:
        folder = Path(path) if path else self.config.seeds_path()
        articles, problems = read_seed_folder(folder)
        added: list[str] = []
        unchanged: list[str] = []
        now = self.clock()
        for article in articles:
            try:
                with self.db.session() as session:
                    (added if save_article(session, article, now=now) else unchanged).append(article.id)
            except StorageError as exc:  # pragma: no cover - reported per file, the rest still load
                problems.append(LoadProblem(article.seed_file or article.id, str(exc)))
        for problem in problems:
            log.warning("seed not loaded: %s", problem)
        return LoadResult(tuple(added), tuple(unchanged), tuple(problems))

    def seeds(self) -> list[dict[str, Any]]:
        """The stored baseline seeds, for `monitor seeds list`."""
        with self.db.session(read_only=True) as session:
            return [{
                "id": a.id, "file": a.seed_file, "title": a.title, "lang": a.lang,
                "published": a.published_at.date().isoformat() if a.published_at else None,
                "source": a.source, "words": word_count(a.text), "text": a.text,
            } for a in seed_articles(session)]

    def status(self) -> dict[str, Any]:
        """Database, counts, feed health, last fetch and last digest (for `monitor status`)."""
        schema_current = self.db.is_current()
        with self.db.session(read_only=True) as session:
            def last_run(kind: str) -> dict[str, Any] | None:
                run = session.scalars(select(Run).where(Run.kind == kind)
                                      .order_by(Run.started_at.desc()).limit(1)).first()
                if run is None:
                    return None
                return {"started": iso(run.started_at), "finished": iso(run.finished_at), "ok": run.ok,
                        "stats": json.loads(run.stats or "{}")}

            feeds = session.scalars(select(Feed).order_by(Feed.id)).all()
            last_digest = session.scalars(select(Digest).order_by(Digest.created_at.desc()).limit(1)).first()
            return {
                "version": __version__,
                "config": str(self.config.source) if self.config.source else None,
                "database": self.db.url,
                "schema_current": schema_current,
                "counts": {
                    "articles": count_articles(session),
                    "baseline": count_articles(session, baseline=True),
                    # Counted as `fetch` and `analyze` count them: relevant originals, copies apart.
                    "relevant": int(session.scalar(select(func.count()).select_from(Article).where(
                        Article.relevant.is_(True), Article.duplicate_of.is_(None),
                        Article.is_baseline.is_(False))) or 0),
                    "copies": int(session.scalar(select(func.count()).select_from(Article).where(
                        Article.duplicate_of.is_not(None), Article.is_baseline.is_(False))) or 0),
                    "stories": int(session.scalar(select(func.count()).select_from(Story)) or 0),
                    "feeds": len(feeds),
                    "subscribers": int(session.scalar(select(func.count()).select_from(Subscriber)
                                                      .where(Subscriber.active.is_(True))) or 0),
                    "digests": int(session.scalar(select(func.count()).select_from(Digest)) or 0),
                },
                "feeds": [{
                    "url": f.url, "name": f.name, "enabled": f.enabled,
                    "last_success": iso(f.last_success_at), "last_error": f.last_error,
                    "consecutive_failures": f.consecutive_failures, "entries_seen": f.entries_seen,
                } for f in feeds],
                "last_fetch": last_run("fetch"),
                "last_digest": None if last_digest is None else {
                    "week": last_digest.week, "since": iso(last_digest.since),
                    "until": iso(last_digest.until), "created": iso(last_digest.created_at),
                    "deliveries": self._delivery_counts(session, last_digest.id)},
                "digest_held": _held(session.scalars(select(Run).where(Run.kind == "digest")
                                                     .order_by(Run.started_at.desc(), Run.id.desc())
                                                     .limit(1)).first()),
                "next_digest": self._next_digest(),
                "smtp": {"configured": bool(self.config.smtp.host and self.config.smtp.from_),
                         "host": self.config.smtp.host or None, "port": self.config.smtp.port,
                         "from": self.config.smtp.from_ or None},
            }

    @staticmethod
    def _delivery_counts(session: Any, digest_id: int) -> dict[str, Any]:
        """Sent, failed, rejected and uncertain deliveries of one digest, naming the uncertain ones."""
        counts = {status: 0 for status in ("sent", "failed", "rejected", "uncertain")}
        for status in deliveries.statuses(session, digest_id).values():
            key = "uncertain" if status == deliveries.SENDING else status
            counts[key] = counts.get(key, 0) + 1
        rows = deliveries.uncertain_rows(session, digest_id)
        return {**counts, "uncertain_addresses": [{"email": a, "reason": why} for a, why in rows]}

    def _next_digest(self) -> dict[str, Any]:
        """The next weekly digest: its week and when it is due (``once``/the daemon send it then)."""
        now = self.clock()
        window = self.default_window(now)
        due_at = digest_due_at(window.until, self.config.digest.timezone, self.config.digest.time)
        mailing = bool(self.config.smtp.host)
        if due_at <= now and (self.digest_sent(window) if mailing else self._digest_built(window)):
            window = self.default_window(window.until + (window.until - window.since) + timedelta(days=1))
            due_at = digest_due_at(window.until, self.config.digest.timezone, self.config.digest.time)
        return {"week": window.label, "due": iso(due_at), "overdue": due_at <= now}


    # -- ingest (issue 3) -------------------------------------------------------------------------------

    def fetch(self, *, progress: bool = False, force: bool = False) -> FetchSummary:
        """Poll every due feed (all enabled feeds when ``force``) and store the new articles.

        One feed's failure is recorded on that feed and in the summary, never raised. The run is
        recorded in ``runs`` (kind "fetch") with its counts and per-stage timings.
        """
        with self._exclusive("fetch"):
            return self._fetch(progress=progress, force=force)

    def _fetch(self, *, progress: bool, force: bool) -> FetchSummary:
        import contextlib

        from .ingest.pipeline import FetchRun
        from .ingest.progress import TerminalProgress
        from .text import one_line

        bar = TerminalProgress(enabled=None if progress else False)
        started = self.clock()
        try:
            summary = FetchRun(self.db, self.config, started, progress=bar).run(force=force)
        except Exception as exc:  # the run could not go on: leave a failed run for `monitor status`
            with contextlib.suppress(Exception), self.db.session() as session:
                session.add(Run(kind="fetch", started_at=started, finished_at=self.clock(), ok=False,
                                stats=json.dumps({"error": one_line(str(exc), 500)})))
            raise
        finally:
            bar.close()
        with self.db.session() as session:
            session.add(Run(kind="fetch", started_at=started, finished_at=self.clock(), ok=True,
                            stats=json.dumps(summary.stats(), ensure_ascii=False)))
        return summary

    def ingest(self, targets: Sequence[str]) -> LoadResult:
        """Store the pages at the given URLs and the given local files (HTML, text, Markdown)."""
        from .ingest.oneoff import ingest_targets

        with self._exclusive("ingest"):
            return ingest_targets(self.db, self.config, self.clock(), targets)

    def reprocess(self) -> int:
        """Re-extract every article from its stored HTML (no network); returns how many."""
        from .ingest.oneoff import reprocess

        with self._exclusive("reprocess"):
            return reprocess(self.db, self.config)

    def add_feed(self, url: str, *, name: str = "", lang: str = "", tags: Sequence[str] = ()) -> bool:
        """Add (or re-enable) a feed managed from the command line; True when it is new."""
        from .store import feeds as feed_store

        with self.db.session() as session:  # the store checks the URL (config.feed_url_problem)
            return feed_store.add_feed(session, url, name=name, lang=lang, tags=tags)[1]

    def remove_feed(self, url: str) -> bool:
        """Remove a feed added from the command line; False when there is none with that URL."""
        from .store import feeds as feed_store

        with self.db.session() as session:
            return feed_store.remove_feed(session, url)

    def list_feeds(self) -> list[dict[str, Any]]:
        """Every feed row with its health (configured feeds are synced first)."""
        from .store import feeds as feed_store

        with self.db.session() as session:
            feed_store.sync_config_feeds(session, self.config.feed_list())
            return [{
                "url": f.url, "name": f.name, "lang": f.lang, "origin": f.origin, "enabled": f.enabled,
                "disabled_reason": f.disabled_reason, "type": f.feed_type,
                "last_success": iso(f.last_success_at), "last_error": f.last_error,
                "consecutive_failures": f.consecutive_failures, "entries_seen": f.entries_seen,
                "last_entry": iso(f.last_entry_at), "next_fetch": iso(f.next_fetch_at),
            } for f in feed_store.list_feeds(session)]

    def check_feeds(self) -> list[FeedCheck]:
        """Poll every enabled feed once, unconditionally, and report what each returned (stores nothing)."""
        from .ingest.pipeline import check_feeds
        from .store import feeds as feed_store

        with self.db.session() as session:
            feed_store.sync_config_feeds(session, self.config.feed_list())
        with self.db.session(read_only=True) as session:
            tasks = feed_store.due_feeds(session, self.clock(), force=True)
        return check_feeds(self.config, tasks)


    # -- understand (issue 4) ---------------------------------------------------------------------------

    def topic(self) -> Topic:
        """The watch definition: ``[watch] topic_file``, else the bundled Russia–North Korea watch."""
        from .understand.topic import load_topic

        return load_topic(self.config.watch.topic_file or None)

    def analyze(self, *, reset: bool = False) -> AnalyzeSummary:
        """Judge every article not yet analysed (``reset=True`` re-analyses everything first)."""
        from .understand.analyze import analyze as run_analysis

        with self._exclusive("analyze"):
            return run_analysis(self.db, self.topic(), self.clock(), reset_first=reset)

    def digest_data(self, since: datetime, until: datetime) -> dict[str, Any]:
        """The window [since, until) as the digest JSON contract (see ``monitor.understand.window``).

        Pending articles are analysed first, so every window article is either in a story or excluded.
        """
        from .understand.storage import pending_count
        from .understand.window import digest_data as build_digest_data

        with self.db.session(read_only=True) as session:
            pending = pending_count(session)
        if pending:
            self.analyze()
        with self.db.session(read_only=True) as session:
            return build_digest_data(session, self.topic(), since, until)

    # -- digest (issue 5) -------------------------------------------------------------------------------

    def _digests(self) -> DigestPipeline:
        from .digest.pipeline import DigestPipeline

        return DigestPipeline(self.config, self.db, self.clock)

    def default_window(self, now: datetime | None = None) -> Window:
        """The last full week before ``now`` (default: the clock) in ``digest.timezone``."""
        from .digest import window as digest_window

        return digest_window.default_window(now or self.clock(), self.config.digest.timezone,
                                            self.config.digest.weekday)

    def window_for_week(self, week: str) -> Window:
        """The window of an ISO week label such as ``"2026-W47"`` (see ``monitor.digest.window``)."""
        from .digest import window as digest_window

        return digest_window.window_for_week(week, self.config.digest.timezone, self.config.digest.weekday)

    def custom_window(self, since: str, until: str) -> Window:
        """``--since DATE --until DATE`` (both days included, local to ``digest.timezone``)."""
        from .digest import window as digest_window

        return digest_window.custom_window(since, until, self.config.digest.timezone)

    def check_finished(self, window: Window, what: str = "the window") -> None:
        """Raise ConfigError when ``window`` has not ended by the clock (a digest covers finished days)."""
        from .digest import window as digest_window

        digest_window.check_finished(window, self.clock(), what)

    def build_digest(self, window: Window, *, archive: bool = True, hold: bool = True) -> StoredDigest:
        """Render the window's digest and store it (one ``digests`` row per window) with its archive files.

        ``archive=False`` renders only (``--output FILE``). A digest for subscribers (``hold=True``)
        built while most sources failed is held: ``StoredDigest.held`` says why, nothing is archived,
        and sending it raises DeliveryError. A digest for files only (``hold=False``: no SMTP, or
        ``digest`` without ``--send``) is written anyway, with a warning on the log.
        """
        with self._exclusive("digest"):
            return self._digests().build(window, self.digest_data(window.since, window.until),
                                         archive_it=archive, hold=hold)

    def send_digest(self, digest: StoredDigest, *, to: str | None = None, resend: bool = False) -> SendReport:
        """Mail ``digest`` to every active subscriber not yet mailed (``to``: one test address only)."""
        with self._exclusive("send"):
            return self._digests().send(digest, to=to, resend=resend)

    def digest_message(self, digest: StoredDigest, to: str | None = None) -> EmailMessage:
        """The message as a subscriber (or ``to``) would receive it, for ``--format eml``."""
        return self._digests().preview_message(digest, to)

    def digest_sent(self, window: Window) -> bool:
        """True when nothing is left to send for this window: every active subscriber was mailed (or
        refused permanently, or a crashed run may have mailed them), or the week is empty and
        ``digest.skip_empty`` is set; False when no digest exists."""
        from .digest import deliveries
        from .digest.model import is_empty as digest_is_empty

        with self.db.session(read_only=True) as session:
            row = session.execute(select(Digest.id, Digest.data).where(Digest.since == window.since,
                                                                       Digest.until == window.until)).first()
            if row is None:
                return False
            if self.config.digest.skip_empty and digest_is_empty(json.loads(row.data or "{}")):
                return True  # an empty week with skip_empty: nothing to send, ever
            return deliveries.nothing_left(session, row.id)

    def add_subscriber(self, email: str, *, name: str | None = None, lang: str | None = None,
                       resubscribe: bool = False) -> SubscriberInfo:
        """Add a subscriber, or update the given fields of one (None keeps what is stored).

        An unsubscribed address comes back only with ``resubscribe``; a bad address, name or language,
        or an unsubscribed address, raises InputError naming it.
        """
        with self.db.session() as session:
            try:
                return subscribers.add(session, email, name=name, lang=lang,
                                       default_lang=self.config.digest.locale, resubscribe=resubscribe,
                                       now=self.clock())[0]
            except ValueError as exc:
                raise InputError(str(exc)) from None

    def remove_subscriber(self, email: str) -> bool:
        with self.db.session() as session:
            try:
                return subscribers.remove(session, email)
            except ValueError as exc:
                raise InputError(str(exc)) from None

    def list_subscribers(self, *, active_only: bool = False) -> list[SubscriberInfo]:
        with self.db.session(read_only=True) as session:
            return subscribers.list_all(session, active_only=active_only)

    def import_subscribers(self, path: str | Path, *, resubscribe: bool = False) -> ImportResult:
        """Add every row of a CSV (email, name, lang); bad rows are reported by line, the rest added.
        Unsubscribed addresses stay unsubscribed unless ``resubscribe``."""
        with self.db.session() as session:
            return subscribers.import_csv(session, Path(path), now=self.clock(),
                                          default_lang=self.config.digest.locale, resubscribe=resubscribe)

    def subscriber_by_token(self, token: str) -> SubscriberInfo | None:
        """The subscriber holding an unsubscribe ``token`` (active or not), None when no one has it."""
        with self.db.session(read_only=True) as session:
            row = session.scalar(select(Subscriber).where(Subscriber.token == token.strip()))
            return subscribers.info(row) if row is not None else None

    def watch_names(self) -> WatchNames:
        """The watch's name per language and its tags' short labels (topic file, ``digest.title``)."""
        from .digest.pipeline import watch_names

        return watch_names(self.config)

    def serve(self, *, host: str, port: int) -> None:
        """Serve the digest archive and one-click unsubscribe over HTTP until stopped (`monitor serve`)."""
        from .serve import serve

        serve(self, host=host, port=port)

    def unsubscribe(self, token: str) -> SubscriberInfo | None:
        """Deactivate the subscriber holding ``token``; None when no subscriber has it."""
        with self.db.session() as session:
            return subscribers.unsubscribe(session, token, now=self.clock())


    # -- schedule (issue 6) -----------------------------------------------------------------------------

    def lock(self) -> AbstractContextManager[None]:
        """The run lock (one fetch or send at a time across processes), re-entrant within a thread.

        Every operation in ``EXCLUSIVE_OPERATIONS`` takes it itself; callers need not. Waits up to
        ``schedule.lock_timeout_seconds``, then raises LockError naming the holder.
        """
        return self._hold_run_lock()

    def _exclusive(self, operation: str) -> AbstractContextManager[None]:
        """The lock policy, in one place: which operation runs under the run lock, and which alone."""
        if operation not in EXCLUSIVE_OPERATIONS:
            return nullcontext()
        if operation in CLAIMED_ON_POSTGRESQL and not self.db.is_sqlite:
            return nullcontext()
        return self._hold_run_lock()

    @contextmanager
    def _hold_run_lock(self) -> Iterator[None]:
        depth = getattr(self._held, "depth", 0)
        if depth:  # this thread already holds it (once() → fetch()): nested calls just go on
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
            return
        from .runlock import run_lock

        with run_lock(self.db.engine, timeout=self.config.schedule.lock_timeout_seconds, now=self.clock()):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    def housekeeping(self) -> dict[str, Any]:
        """Prune raw HTML older than ``schedule.raw_html_max_age_days``, then compact the database."""
        from .housekeeping import housekeeping

        with self._exclusive("housekeeping"):
            started = self.clock()
            cutoff = raw_html_cutoff(started, self.config.schedule.raw_html_max_age_days)
            stats = housekeeping(self.db, cutoff)
            with self.db.session() as session:
                session.add(Run(kind="housekeeping", started_at=started, finished_at=self.clock(), ok=True,
                                stats=json.dumps(stats)))
            return stats

    def weekly_digest(self, *, send: bool = True) -> DigestOutcome:
        """Build and send the last full week's digest once it is due and not yet sent.

        Without SMTP (or ``send=False``) it is built and written to files once.
        """
        with self._exclusive("send" if send else "digest"):
            return self._weekly_digest(send=send)

    def _weekly_digest(self, *, send: bool) -> DigestOutcome:
        now = self.clock()
        window = self.default_window(now)
        due_at = digest_due_at(window.until, self.config.digest.timezone, self.config.digest.time)
        mailing = send and bool(self.config.smtp.host)
        if now < due_at:
            return DigestOutcome(window.label, "not-due", due_at)
        if mailing and self.digest_sent(window):
            return DigestOutcome(window.label, "already-sent", due_at,
                                 uncertain=tuple(self.uncertain_deliveries(window)))
        if not mailing and self._digest_built(window):
            return DigestOutcome(window.label, "already-built", due_at)
        digest = self.build_digest(window, hold=mailing)
        if digest.held:
            log.error("digest %s %s", window.label, digest.held)
            return DigestOutcome(window.label, "held", due_at, reason=digest.held)
        if not mailing:
            return DigestOutcome(window.label, "written", due_at, files=dict(digest.files))
        report = self.send_digest(digest)
        if report.skipped_empty:
            return DigestOutcome(window.label, "skipped-empty", due_at)
        failed = tuple(address for address, _ in [*report.failed, *report.rejected])
        return DigestOutcome(window.label, "sent" if report.ok else "send-failed", due_at,
                             sent=len(report.sent), failed=failed, files=dict(digest.files),
                             uncertain=tuple(self.uncertain_deliveries(window)))

    def uncertain_deliveries(self, window: Window) -> list[tuple[str, str]]:
        """(address, why) of each delivery of this window's digest that may or may not have arrived."""
        with self.db.session(read_only=True) as session:
            digest_id = session.scalar(select(Digest.id).where(Digest.since == window.since,
                                                               Digest.until == window.until))
            if digest_id is None:
                return []
            return [(address, why or "an earlier run stopped while sending")
                    for address, why in deliveries.uncertain_rows(session, digest_id)]

    def _digest_built(self, window: Window) -> bool:
        with self.db.session(read_only=True) as session:
            return session.scalar(select(Digest.id).where(Digest.since == window.since,
                                                          Digest.until == window.until)) is not None

    def once(self, *, send: bool = True) -> OnceReport:
        """Fetch, analyze, then the weekly digest if due (what cron and timers call), under the run lock.

        On PostgreSQL the fetch runs outside the lock (it coordinates through feed claims), so a long
        fetch never makes a manual ``digest --send`` wait; analysis and sending still run one at a time.
        """
        if "fetch" in CLAIMED_ON_POSTGRESQL and not self.db.is_sqlite:
            self.init()  # idempotent: schema up to date, seeds loaded (a fresh machine needs both)
            fetched = self.fetch()
            with self._exclusive("once"):
                analyzed = self.analyze()
                digest = self.weekly_digest(send=send)
        else:
            with self._exclusive("once"):
                self.init()
                fetched = self.fetch()
                analyzed = self.analyze()
                digest = self.weekly_digest(send=send)
        return OnceReport(fetched.stats(), fetched.line(), analyzed.as_dict(), digest)

