"""Feed rows: synced from the configuration, added/removed by the CLI, health after each poll.

Decisions (when a feed is next due, how long it backs off) are pure functions of the row's counters and
``now``; the functions taking a session only read or write rows, each inside the caller's transaction.

Several fetch workers may share one database: ``claim_due`` takes a batch of due feeds with
``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises writers anyway) and marks them with a
lease, so no two workers poll one feed in a round; recording the poll's outcome ends the lease, and a
worker that dies leaves leases that expire after ``LEASE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from ..config import FeedConfig, FetchConfig, feed_url_problem
from ..errors import InputError
from ..text import one_line
from .db import upsert_insert
from .models import Feed

MOVED_PREFIX = "moved permanently to "
NOT_CONFIGURED = "no longer in the configuration file"
#: The feeds.url column holds 2048 characters; a longer redirect target is not followed into the row.
MAX_URL_CHARS = 2000
#: Sizes of the feeds.etag and feeds.last_modified columns.
MAX_ETAG_CHARS = 1024
MAX_DATE_CHARS = 128
#: A feed counts as due this long before its time, so a scheduler firing a little early still polls it.
DUE_SLACK = timedelta(minutes=5)
#: How long a claimed feed stays reserved for its worker. One claim batch needs its feeds' requests
#: (at most 3 read timeouts each, 90 s by default, 16 at a time) and their pages: 30 minutes covers a
#: very slow batch, and a worker that died holds its feeds back by at most half a polling interval.
LEASE = timedelta(minutes=30)


@dataclass(frozen=True)
class FeedTask:
    """What the fetcher needs to poll one feed."""

    id: int
    url: str
    name: str
    lang: str
    etag: str | None = None
    last_modified: str | None = None


def failure_delay(failures: int, config: FetchConfig, retry_after: float | None = None) -> timedelta:
    """Time until the next poll after a failure: what the server asked for (Retry-After), capped by
    ``max_backoff_hours``, else the usual back-off."""
    if retry_after is None:
        return backoff_delay(failures, config)
    return timedelta(seconds=min(max(retry_after, 0.0), config.max_backoff_hours * 3600.0))


def backoff_delay(failures: int, config: FetchConfig) -> timedelta:
    """Time until the next poll after ``failures`` consecutive failures (doubling past the threshold)."""
    interval = timedelta(minutes=config.interval_minutes)
    if failures < config.backoff_after_failures:
        return interval
    doublings = min(failures - config.backoff_after_failures + 1, 16)
    return min(interval * (2 ** doublings), timedelta(hours=config.max_backoff_hours))


def _task(feed: Any) -> FeedTask:
    """A task from a Feed or from a row of ``_TASK_COLUMNS``."""
    return FeedTask(feed.id, feed.url, feed.name, feed.lang, feed.etag, feed.last_modified)


#: The columns a task needs: claims read these rows, not whole Feed objects (an ORM object per feed
#: was a third of an unchanged poll's claiming time).
_TASK_COLUMNS = (Feed.id, Feed.url, Feed.name, Feed.lang, Feed.etag, Feed.last_modified)


def sync_config_feeds(session: Session, feeds: Sequence[FeedConfig]) -> None:
    """Make the configured feeds rows (origin "config"); config rows no longer listed are disabled.

    Every command that polls runs this, so it reads plain rows and writes only what changed (whole Feed
    objects for a config of 1,000 feeds were a tenth of an unchanged poll)."""
    columns = (Feed.id, Feed.url, Feed.name, Feed.lang, Feed.tags, Feed.origin, Feed.enabled,
               Feed.disabled_reason)
    rows = {r.url: r for r in session.execute(select(*columns).order_by(Feed.id))}
    wanted = {f.url for f in feeds}
    missing = [conf for conf in feeds if conf.url not in rows]
    if missing:  # another worker may add the same rows at the same moment: first one wins, no error
        _insert_feeds_ignoring_conflicts(session, [
            {"url": conf.url, "origin": "config", "enabled": True, "consecutive_failures": 0,
             "entries_seen": 0, "name": one_line(conf.name, 300), "lang": conf.lang[:16],
             "tags": ",".join(conf.tags)} for conf in missing])
        rows = {r.url: r for r in session.execute(select(*columns).order_by(Feed.id))}
    moved_targets = {r.disabled_reason[len(MOVED_PREFIX):]: r.url for r in rows.values()
                     if r.disabled_reason and r.disabled_reason.startswith(MOVED_PREFIX)}
    changes: dict[int, dict[str, Any]] = {}
    for conf in feeds:
        row = rows[conf.url]
        name, lang, tags = one_line(conf.name, 300), conf.lang[:16], ",".join(conf.tags)
        if (row.name, row.lang, row.tags) != (name, lang, tags):
            changes.setdefault(row.id, {}).update(name=name, lang=lang, tags=tags)
        if row.origin == "config" and row.disabled_reason == NOT_CONFIGURED:
            changes.setdefault(row.id, {}).update(enabled=True, disabled_reason=None)
    for row in rows.values():
        configured = row.url in wanted or moved_targets.get(row.url) in wanted
        if row.origin == "config" and row.enabled and not configured:
            changes.setdefault(row.id, {}).update(enabled=False, disabled_reason=NOT_CONFIGURED)
    for feed_id, values in changes.items():
        session.execute(update(Feed).where(Feed.id == feed_id).values(**values)
                        .execution_options(synchronize_session=False))


def _insert_feeds_ignoring_conflicts(session: Session, rows: list[dict[str, object]]) -> None:
    insert = upsert_insert(session.get_bind().dialect.name)
    session.execute(insert(Feed).on_conflict_do_nothing(), rows)


def add_feed(session: Session, url: str, *, name: str = "", lang: str = "",
             tags: Sequence[str] = ()) -> tuple[Feed, bool]:
    """Add a feed (origin "cli"); an existing one is re-enabled and updated. True when it was new.

    InputError for a URL that cannot be a feed ("http://", a space in the host, too long)."""
    problem = feed_url_problem(url)
    if problem:
        raise InputError(f"feed URL {url!r}: {problem}")
    row = session.scalars(select(Feed).where(Feed.url == url)).first()
    created = row is None
    if row is None:
        row = Feed(url=url, origin="cli", consecutive_failures=0, entries_seen=0)
        session.add(row)
    row.name = one_line(name, 300) or row.name or ""
    row.lang = lang[:16] or row.lang or ""
    row.tags = ",".join(tags) if tags else (row.tags or "")
    row.enabled, row.disabled_reason, row.next_fetch_at = True, None, None
    session.flush()
    return row, created


def remove_feed(session: Session, url: str) -> bool:
    """Delete a CLI-added feed (its articles stay); a configured feed must be removed from the file."""
    row = session.scalars(select(Feed).where(Feed.url == url)).first()
    if row is None:
        return False
    if row.origin == "config" and row.enabled:
        raise InputError(f"feed {url} comes from the configuration file: remove it there")
    session.delete(row)
    session.flush()
    return True


def list_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.id)))


def due_feeds(session: Session, now: datetime, *, force: bool = False) -> list[FeedTask]:
    """Enabled feeds whose next poll time has come (all enabled feeds when ``force``)."""
    query = select(Feed).where(Feed.enabled.is_(True)).order_by(Feed.id)
    if not force:
        query = query.where(or_(Feed.next_fetch_at.is_(None), Feed.next_fetch_at <= now + DUE_SLACK))
    return [_task(f) for f in session.scalars(query)]


def claim_due(session: Session, now: datetime, *, after_id: int = 0, limit: int,
              force: bool = False) -> list[FeedTask]:
    """Claim up to ``limit`` due, unclaimed feeds with an id above ``after_id`` (in id order) for
    ``LEASE``; rows another worker is claiming at this moment are skipped, not waited for."""
    query = (select(*_TASK_COLUMNS)
             .where(Feed.enabled.is_(True), Feed.id > after_id,
                    or_(Feed.lease_until.is_(None), Feed.lease_until <= now))
             .order_by(Feed.id).limit(limit).with_for_update(skip_locked=True))
    if not force:
        query = query.where(or_(Feed.next_fetch_at.is_(None), Feed.next_fetch_at <= now + DUE_SLACK))
    rows = list(session.execute(query))
    if rows:
        session.execute(update(Feed).where(Feed.id.in_([r.id for r in rows]))
                        .values(lease_until=now + LEASE).execution_options(synchronize_session=False))
    return [_task(f) for f in rows]


def release(session: Session, feed_ids: Sequence[int]) -> None:
    """End the claims on feeds whose poll was not recorded (the run stopped): due again at once."""
    if feed_ids:
        session.execute(update(Feed).where(Feed.id.in_(list(feed_ids)), Feed.lease_until.is_not(None))
                        .values(lease_until=None).execution_options(synchronize_session=False))


def next_poll_at(session: Session) -> datetime | None:
    """When the next enabled feed is due (None: no enabled feed, or one is due now)."""
    return session.scalar(select(func.min(Feed.next_fetch_at)).where(Feed.enabled.is_(True)))


def record_unchanged(session: Session, polled: Sequence[tuple[int, str | None, str | None]],
                     now: datetime, config: FetchConfig) -> None:
    """Many polls answered 304 (or with nothing new) at once: (feed id, etag, last modified) each, one
    statement for all of them."""
    if not polled:
        return
    nxt = now + backoff_delay(0, config)
    # A Core executemany: the ORM's bulk update by primary key spent ~15 ms per 64 feeds on bookkeeping.
    table: Any = Feed.__table__
    statement = (update(table).where(table.c.id == bindparam("feed_id"))
                 .values(last_checked_at=now, last_success_at=now, consecutive_failures=0, last_error=None,
                         next_fetch_at=nxt, lease_until=None, etag=bindparam("new_etag"),
                         last_modified=bindparam("new_modified")))
    session.connection().execute(statement, [
        {"feed_id": feed_id, "new_etag": _fits(etag, MAX_ETAG_CHARS),
         "new_modified": _fits(modified, MAX_DATE_CHARS)}
        for feed_id, etag, modified in polled])


def _fits(value: str | None, limit: int) -> str | None:
    """Validators longer than their columns are dropped (the next poll is then unconditional)."""
    return value if value and len(value) <= limit else None


def record_success(session: Session, feed_id: int, now: datetime, config: FetchConfig, *,
                   etag: str | None, last_modified: str | None, feed_type: str | None = None,
                   entries: int = 0, last_entry_at: datetime | None = None, warning: str = "") -> None:
    """A poll that worked (200 parsed, or 304): clear failures, keep validators, schedule the next."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        return
    feed.last_checked_at = feed.last_success_at = now
    feed.consecutive_failures = 0
    feed.last_error = one_line(f"warning: {warning}", 500) if warning else None
    feed.etag, feed.last_modified = _fits(etag, MAX_ETAG_CHARS), _fits(last_modified, MAX_DATE_CHARS)
    feed.lease_until = None
    if feed_type:
        feed.feed_type = feed_type
    feed.entries_seen = (feed.entries_seen or 0) + entries
    if last_entry_at and (feed.last_entry_at is None or last_entry_at > feed.last_entry_at):
        feed.last_entry_at = last_entry_at
    feed.next_fetch_at = now + backoff_delay(0, config)


def record_failure(session: Session, feed_id: int, now: datetime, config: FetchConfig, reason: str, *,
                   gone: bool = False, retry_after: float | None = None) -> None:
    """A failed poll: count it, back off (or wait what Retry-After asked), and disable the feed when the
    server said 410 Gone."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        return
    feed.last_checked_at = feed.last_error_at = now
    feed.last_error = one_line(reason, 500)
    feed.consecutive_failures = (feed.consecutive_failures or 0) + 1
    feed.next_fetch_at = now + failure_delay(feed.consecutive_failures, config, retry_after)
    feed.lease_until = None
    if gone:
        feed.enabled, feed.disabled_reason = False, one_line(f"disabled: {reason}", 500)


def move_feed(session: Session, feed_id: int, new_url: str) -> bool:
    """Follow a permanent redirect: the row takes the new URL, the old URL stays as a disabled marker
    (so the configuration file, which still names it, does not bring it back). False when another feed
    already has the new URL: then this one is disabled as a duplicate."""
    feed = session.get(Feed, feed_id)
    if feed is None or feed.url == new_url or len(new_url) > MAX_URL_CHARS:
        return False
    old_url = feed.url
    if session.scalars(select(Feed).where(Feed.url == new_url)).first() is not None:
        feed.enabled, feed.disabled_reason = False, MOVED_PREFIX + new_url
        return False
    feed.url = new_url
    session.flush()
    session.add(Feed(url=old_url, name=feed.name, lang=feed.lang, tags=feed.tags, origin=feed.origin,
                     enabled=False, disabled_reason=MOVED_PREFIX + new_url, consecutive_failures=0,
                     entries_seen=0))
    session.flush()
    return True
