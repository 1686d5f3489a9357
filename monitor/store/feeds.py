"""Feed rows: synced from the configuration, added/removed by the CLI, health after each poll.

Decisions (when a feed is next due, how long it backs off) are pure functions of the row's counters and
``now``; the functions taking a session only read or write rows, each inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..config import FeedConfig, FetchConfig
from ..errors import ConfigError
from ..text import one_line
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


@dataclass(frozen=True)
class FeedTask:
    """What the fetcher needs to poll one feed."""

    id: int
    url: str
    name: str
    lang: str
    etag: str | None = None
    last_modified: str | None = None


def backoff_delay(failures: int, config: FetchConfig) -> timedelta:
    """Time until the next poll after ``failures`` consecutive failures (doubling past the threshold)."""
    interval = timedelta(minutes=config.interval_minutes)
    if failures < config.backoff_after_failures:
        return interval
    doublings = min(failures - config.backoff_after_failures + 1, 16)
    return min(interval * (2 ** doublings), timedelta(hours=config.max_backoff_hours))


def _task(feed: Feed) -> FeedTask:
    return FeedTask(feed.id, feed.url, feed.name, feed.lang, feed.etag, feed.last_modified)


def sync_config_feeds(session: Session, feeds: Sequence[FeedConfig]) -> None:
    """Make the configured feeds rows (origin "config"); config rows no longer listed are disabled."""
    rows = {f.url: f for f in session.scalars(select(Feed))}
    wanted = {f.url for f in feeds}
    moved_targets = {r.disabled_reason[len(MOVED_PREFIX):]: r.url for r in rows.values()
                     if r.disabled_reason and r.disabled_reason.startswith(MOVED_PREFIX)}
    for conf in feeds:
        row = rows.get(conf.url)
        if row is None:
            row = Feed(url=conf.url, origin="config", enabled=True, consecutive_failures=0, entries_seen=0)
            session.add(row)
        row.name, row.lang, row.tags = one_line(conf.name, 300), conf.lang[:16], ",".join(conf.tags)
        if row.origin == "config" and row.disabled_reason == NOT_CONFIGURED:
            row.enabled, row.disabled_reason = True, None
    for row in rows.values():
        configured = row.url in wanted or moved_targets.get(row.url) in wanted
        if row.origin == "config" and row.enabled and not configured:
            row.enabled, row.disabled_reason = False, NOT_CONFIGURED
    session.flush()


def add_feed(session: Session, url: str, *, name: str = "", lang: str = "",
             tags: Sequence[str] = ()) -> tuple[Feed, bool]:
    """Add a feed (origin "cli"); an existing one is re-enabled and updated. True when it was new."""
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
        raise ConfigError(f"feed {url} comes from the configuration file: remove it there")
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
    # validators longer than their columns are dropped (the next poll is then unconditional)
    feed.etag = etag if etag and len(etag) <= MAX_ETAG_CHARS else None
    feed.last_modified = last_modified if last_modified and len(last_modified) <= MAX_DATE_CHARS else None
    if feed_type:
        feed.feed_type = feed_type
    feed.entries_seen = (feed.entries_seen or 0) + entries
    if last_entry_at and (feed.last_entry_at is None or last_entry_at > feed.last_entry_at):
        feed.last_entry_at = last_entry_at
    feed.next_fetch_at = now + backoff_delay(0, config)


def record_failure(session: Session, feed_id: int, now: datetime, config: FetchConfig, reason: str, *,
                   gone: bool = False) -> None:
    """A failed poll: count it, back off, and disable the feed when the server said 410 Gone."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        return
    feed.last_checked_at = feed.last_error_at = now
    feed.last_error = one_line(reason, 500)
    feed.consecutive_failures = (feed.consecutive_failures or 0) + 1
    feed.next_fetch_at = now + backoff_delay(feed.consecutive_failures, config)
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
