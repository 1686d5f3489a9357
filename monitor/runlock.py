"""One run at a time: the lock a cron job, the daemon and a manual run all take before working.

    SQLite      a lock file next to the database (``monitor.db.lock``), held with ``fcntl.flock``; the
                kernel drops it when the holding process dies, so a crash never leaves a stale lock.
    PostgreSQL  a session-level ``pg_try_advisory_lock`` on a dedicated connection held for the run; the
                server drops it when that connection closes. The key is derived from the database and
                schema names, so two installs sharing a server do not block each other.

Both try without blocking, then again every ``POLL_SECONDS`` until ``timeout`` seconds have passed, and
raise ``LockError`` naming the holder ("pid N since …") when they never got it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from .config import data_dir
from .errors import LockError, StorageError

#: Seconds between two tries while waiting: short enough that a waiting cron run starts promptly after
#: the holder finishes, long enough that waiting costs nothing measurable.
POLL_SECONDS = 0.25
#: PostgreSQL's limit on application_name (longer values are truncated by the server).
APPLICATION_NAME_MAX = 63
_HOLDER_PREFIX = "monitor lock "


def holder_label(now: datetime) -> str:
    """What the holder writes about itself: ``pid 1234 since 2026-11-21 12:00:00 UTC``."""
    return f"pid {os.getpid()} since {now.replace(microsecond=0).isoformat(sep=' ')} UTC"


def busy_message(holder: str | None) -> str:
    who = f" ({holder})" if holder else ""
    return f"another monitor run holds the lock{who}; try again later"


def _wait(try_once: Callable[[], bool], timeout: float) -> bool:
    """Call ``try_once`` until it returns True or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + max(timeout, 0.0)
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.0)))


# -- SQLite: a lock file ---------------------------------------------------------------------------------


def lock_file_path(engine: Engine) -> Path:
    """``<database file>.lock``; an in-memory database locks a file in the data directory."""
    database = engine.url.database
    if not database or database == ":memory:":
        return data_dir() / "monitor.lock"
    return Path(database).expanduser().resolve().with_name(Path(database).name + ".lock")


#: Descriptors of the lock files this process holds. A process forked while one is held (fetch's
#: extraction workers) closes its inherited copy at once: an flock belongs to the open file, so a
#: worker outliving a parent killed with -9 would otherwise keep every later run locked out.
_HELD: set[int] = set()


def _forget_inherited_locks() -> None:
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_forget_inherited_locks)


@contextmanager
def file_lock(path: Path, *, timeout: float, now: datetime) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError(f"cannot open the lock file {path}: {exc}") from None
    try:
        def try_once() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        if not _wait(try_once, timeout):
            raise LockError(busy_message(_read_holder(path)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, (holder_label(now) + "\n").encode(), 0)
        _HELD.add(fd)
        try:
            yield
        finally:
            _HELD.discard(fd)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


# -- PostgreSQL: an advisory lock ------------------------------------------------------------------------


def advisory_key(database: str, schema: str) -> int:
    """A stable positive 63-bit key for this database and schema."""
    digest = hashlib.blake2b(f"monitor:{database}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _pg_holder(conn: Connection, key: int) -> str | None:
    """The application_name the holder set on its connection, if this user may see it."""
    try:
        name = conn.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = :hi "
            "AND l.objid::bigint = :lo AND l.objsubid = 1 LIMIT 1"),
            {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).scalar()
    except SQLAlchemyError:
        return None
    if not name or not name.startswith(_HOLDER_PREFIX):
        return None
    return name[len(_HOLDER_PREFIX):]


@contextmanager
def advisory_lock(engine: Engine, *, timeout: float, now: datetime) -> Iterator[None]:
    try:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StorageError(f"cannot reach the database to take the run lock: {reason}") from None
    try:
        database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
        key = advisory_key(database, schema or "public")
        label = (_HOLDER_PREFIX + holder_label(now))[:APPLICATION_NAME_MAX]
        conn.execute(text("SELECT set_config('application_name', :label, false)"), {"label": label})

        def try_once() -> bool:
            return bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())

        if not _wait(try_once, timeout):
            raise LockError(busy_message(_pg_holder(conn, key)))
        try:
            yield
        finally:
            with contextlib.suppress(SQLAlchemyError):  # closing the connection releases it anyway
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        conn.close()


@contextmanager
def run_lock(engine: Engine, *, timeout: float, now: datetime) -> Iterator[None]:
    """Hold the run lock for the database behind ``engine`` (see the module docstring)."""
    if engine.dialect.name == "postgresql":
        with advisory_lock(engine, timeout=timeout, now=now):
            yield
    else:
        with file_lock(lock_file_path(engine), timeout=timeout, now=now):
            yield
