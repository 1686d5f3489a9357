"""Opening the database: engine, SQLite pragmas, migrations, sessions.

SQLite runs in WAL mode with a busy timeout, so a reader never blocks the writer and two writers wait
for each other instead of failing. PostgreSQL URLs (``postgresql+psycopg://…``) use the same code.

A database the operator must repair (disk full, a corrupt file, a read-only file) is a ``StorageError``
with one line naming the database and the reason, whichever statement hit it; the transaction it
interrupted is rolled back, so nothing half-written stays.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
#: Driver messages (lower case) that mean the database itself needs the operator, not a bug in monitor:
#: SQLite's SQLITE_FULL, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN and
#: PostgreSQL's disk-full and read-only answers.
OPERATOR_PROBLEMS = ("database or disk is full", "disk image is malformed", "file is not a database",
                     "disk i/o error", "readonly database", "unable to open database file",
                     "no space left on device", "could not extend file", "read-only transaction")


def upsert_insert(dialect: str) -> Any:
    """The ``insert`` of ``dialect`` ("postgresql", else SQLite's), which has ``on_conflict_do_nothing``.
    Only that dialect's module is imported, when first needed: PostgreSQL's is 20 ms of a command's
    start-up that a SQLite deployment never needs."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def operator_problem(exc: BaseException) -> str | None:
    """The first line of a database error the operator must fix, else None (a bug stays a bug)."""
    if not isinstance(exc, DBAPIError):
        return None
    reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else ""
    return reason if any(p in reason.lower() for p in OPERATOR_PROBLEMS) else None


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is turned off so that BEGIN is ours (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return on_connect


def create_db_engine(url: str, *, busy_timeout_seconds: float = 30.0) -> Engine:
    """An Engine for ``url``; SQLite files get their folder created and WAL mode turned on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"invalid database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the folder for {parsed.database}: {exc}") from None
        engine = create_engine(url, connect_args={"timeout": busy_timeout_seconds})
        event.listen(engine, "connect", _sqlite_pragmas(int(busy_timeout_seconds * 1000)))

        @event.listens_for(engine, "begin")
        def on_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue (busy timeout) instead of one
            # failing when it upgrades a read lock; read-only sessions begin deferred and never block.
            deferred = conn.get_execution_options().get("read_only", False)
            conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"cannot use database URL {parsed.render_as_string()}: {exc}") from None


def _alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.execution_options(read_only=True).connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


def file_heads() -> set[str] | None:
    """The head revisions read straight from the migration files (no Alembic import: every command
    checks the schema at start-up); None when a file is not in the expected form."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        revisions.add(str(revision))
        parents.update(down if isinstance(down, tuple | list) else [down] if down else [])
    return (revisions - parents) or None


def _stamped(engine: Engine) -> set[str] | None:
    """The revisions recorded in the database, or None when it has none yet."""
    try:
        with engine.execution_options(read_only=True).connect() as conn:
            return {str(v) for v in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()}
    except SQLAlchemyError:
        return None


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the latest migration (idempotent)."""
    heads = file_heads()
    if heads is not None and _stamped(engine) == heads:
        return  # already current: no need to load Alembic
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), "heads")
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise StorageError(f"cannot migrate {describe(engine)}: {reason}") from None


def check_connection(engine: Engine) -> None:
    """Raise StorageError with a one-line reason when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StorageError(f"cannot reach database {describe(engine)}: {reason}") from None


def describe(engine: Engine) -> str:
    """The URL with any password hidden."""
    return engine.url.render_as_string(hide_password=True)


class Database:
    """An engine plus a session factory; ``with db.session() as s:`` is one transaction."""

    def __init__(self, url: str, *, busy_timeout_seconds: float = 30.0) -> None:
        self.engine = create_db_engine(url, busy_timeout_seconds=busy_timeout_seconds)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(read_only=True),
                                           expire_on_commit=False)

    @property
    def url(self) -> str:
        return describe(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite a writing session holds the write lock from its start; pass ``read_only=True`` for
        sessions that only read, so they never wait for (or block) a writer.
        """
        factory = self._read_sessions if read_only else self._sessions
        try:
            with factory() as session, session.begin():
                yield session
        except DBAPIError as exc:
            reason = operator_problem(exc)
            if reason is None:
                raise
            raise StorageError(f"database {self.url}: {reason}") from None

    def upgrade(self) -> None:
        check_connection(self.engine)
        upgrade(self.engine)

    def is_current(self) -> bool:
        try:
            return current_revisions(self.engine) == head_revisions()
        except DBAPIError as exc:
            reason = operator_problem(exc)
            if reason is None:
                raise
            raise StorageError(f"database {self.url}: {reason}") from None

    def dispose(self) -> None:
        self.engine.dispose()
