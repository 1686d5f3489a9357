"""The ``deliveries`` table: one row per (digest, subscriber), claimed before and finished after each send.

Statuses: "sending" is written (and committed) just before a message is handed to the SMTP server,
"sent" or "failed"/"rejected" just after. A run only mails subscribers whose row is missing or
"failed" (temporary failures that ran out of attempts, or a run stopped by a refusal of the session);
"sent" and "rejected" (a 5xx for that recipient) are final until ``resend``. A row still "sending" means
a run died between handing the message over and recording the answer, or the server's answer after the
message was lost: the message may well have been delivered, so it is NOT sent again automatically (at
most once); it is reported as uncertain and ``--resend --to ADDRESS`` forces it.

**Claiming is atomic.** A run wins a delivery with one conditional statement that only one process can
win, whatever locks are held: ``INSERT … ON CONFLICT DO NOTHING`` for a subscriber with no row, or
``UPDATE … WHERE status = <what the run saw> AND message_id IS <what the run saw>`` for a row it saw
(the Message-ID changes at every claim, so it doubles as a version number). The loser skips that
subscriber; the winner alone finishes the row (``finish`` matches on its own Message-ID).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import DateTime, Dialect, Engine, Table, bindparam, select
from sqlalchemy.orm import Session

from ..store.db import upsert_insert
from ..store.models import Delivery, Subscriber

PENDING, SENDING, SENT, FAILED, REJECTED = "pending", "sending", "sent", "failed", "rejected"
#: Statuses after which a run has nothing left to do for that subscriber.
FINAL = (SENT, REJECTED, SENDING)


@dataclass(frozen=True)
class Seen:
    """A delivery row as a run saw it when planning (what its claim must still find)."""

    status: str
    message_id: str | None


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed delivery, recorded by ``finish``."""

    subscriber_id: int
    message_id: str
    status: str
    error: str | None = None


def seen(session: Session, digest_id: int) -> dict[int, Seen]:
    rows = session.execute(select(Delivery.subscriber_id, Delivery.status, Delivery.message_id)
                           .where(Delivery.digest_id == digest_id))
    return {subscriber_id: Seen(status, message_id) for subscriber_id, status, message_id in rows}


def statuses(session: Session, digest_id: int) -> dict[int, str]:
    return {subscriber_id: row.status for subscriber_id, row in seen(session, digest_id).items()}


def active_subscribers(session: Session) -> list[Subscriber]:
    query = select(Subscriber).where(Subscriber.active.is_(True)).order_by(Subscriber.id)
    return list(session.scalars(query))


def plan(active: Iterable[Subscriber], done: dict[int, Seen], *,
         resend: bool) -> tuple[list[Subscriber], list[Subscriber]]:
    """(subscribers to mail now, those left alone because their delivery is uncertain). Pure."""
    active = list(active)
    if resend:
        return active, []
    todo = [s for s in active if s.id not in done or done[s.id].status not in FINAL]
    uncertain = [s for s in active if s.id in done and done[s.id].status == SENDING]
    return todo, uncertain


def to_send(session: Session, digest_id: int, *, resend: bool) -> tuple[list[Subscriber], list[Subscriber]]:
    """(active subscribers to mail now, those left alone because their delivery is uncertain)."""
    return plan(active_subscribers(session), seen(session, digest_id), resend=resend)


_TABLE = cast(Table, Delivery.__table__)
#: The claim and finish statements, built once per dialect (a send run executes them for every
#: subscriber, so they skip the ORM and reuse their compiled form).
_STATEMENTS: dict[str, dict[str, Any]] = {}


def _statements(engine_dialect: Dialect) -> dict[str, Any]:
    dialect = engine_dialect.name
    if dialect not in _STATEMENTS:
        # The dialect's insert (ON CONFLICT) is imported when first needed (``upsert_insert``).
        t = _TABLE.c
        insert = upsert_insert(dialect)(_TABLE)
        _STATEMENTS[dialect] = {
            "insert": insert.values(
                digest_id=bindparam("d"), subscriber_id=bindparam("s"), status=SENDING, attempts=1,
                message_id=bindparam("m"), started_at=bindparam("now", type_=DateTime()), last_error=None,
            ).on_conflict_do_nothing(index_elements=["digest_id", "subscriber_id"]).returning(t.id),
            "update": (_TABLE.update()
                       .where(t.digest_id == bindparam("d"), t.subscriber_id == bindparam("s"),
                              t.status == bindparam("seen_status"),
                              t.message_id.is_not_distinct_from(bindparam("seen_m")))
                       .values(status=SENDING, message_id=bindparam("m"),
                               started_at=bindparam("now", type_=DateTime()), last_error=None,
                               attempts=t.attempts + 1)
                       .returning(t.id)),
            "finish": (_TABLE.update()
                       .where(t.digest_id == bindparam("d"), t.subscriber_id == bindparam("s"),
                              t.message_id == bindparam("m"))
                       .values(status=bindparam("st"), last_error=bindparam("err"),
                               sent_at=bindparam("sent_at", type_=DateTime()))),
        }
    return _STATEMENTS[dialect]


class Ledger:
    """The bookkeeping of one send run on one driver connection: each ``step`` records the outcomes of
    the deliveries just made and claims the next one, in one transaction (one commit per delivery).

    The statements are compiled once and run on the driver's cursor: SQLAlchemy's execution machinery
    would cost more than the statements themselves (see ``bench/sending.py``).
    """

    def __init__(self, engine: Engine, digest_id: int) -> None:
        self.dialect, self.digest_id = engine.dialect, digest_id
        self.raw = engine.raw_connection()
        self._prepared: dict[str, tuple[str, dict[str, Any], Any, dict[str, Any]]] = {}

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prepare(self, name: str) -> tuple[str, dict[str, Any], Any, dict[str, Any]]:
        if name not in self._prepared:
            compiled = _statements(self.dialect)[name].compile(dialect=self.dialect)
            order = compiled.positiontup if compiled.positional else None
            processors = {}  # e.g. how SQLite stores a datetime
            for key, bind in compiled.binds.items():
                process = bind.type.dialect_impl(self.dialect).bind_processor(self.dialect)
                if process is not None:
                    processors[key] = process
            self._prepared[name] = (str(compiled), dict(compiled.params), order, processors)
        return self._prepared[name]

    def _bind(self, name: str, params: dict[str, Any]) -> tuple[str, Any]:
        sql, defaults, order, processors = self._prepare(name)
        merged = {**defaults, **params}
        for key, process in processors.items():
            if key in merged:
                merged[key] = process(merged[key])
        return sql, (tuple(merged[k] for k in order) if order is not None else merged)

    def step(self, outcomes: Iterable[Outcome], claim: tuple[int, str, Seen | None] | None, *,
             now: datetime) -> bool:
        """Record ``outcomes``, then claim (subscriber id, new Message-ID, what the run saw): True when
        this run won the delivery. One transaction; rolled back (nothing recorded) if it fails.

        The claim is one conditional statement only one process can win: an INSERT … ON CONFLICT DO
        NOTHING when the run saw no row, else an UPDATE … WHERE the status and Message-ID are still
        what it saw; both RETURNING, since psycopg reports rowcount -1 for an INSERT … ON CONFLICT."""
        cursor = self.raw.cursor()
        try:
            if self.dialect.name == "sqlite":  # the driver runs in autocommit mode (see store.db)
                cursor.execute("BEGIN IMMEDIATE")
            rows = [{"d": self.digest_id, "s": o.subscriber_id, "m": o.message_id, "st": o.status,
                     "err": o.error, "sent_at": now if o.status == SENT else None} for o in outcomes]
            if rows:
                sql = self._bind("finish", rows[0])[0]
                cursor.executemany(sql, [self._bind("finish", r)[1] for r in rows])
            won = False
            if claim is not None:
                subscriber_id, message_id, expected = claim
                params: dict[str, Any] = {"d": self.digest_id, "s": subscriber_id, "m": message_id,
                                          "now": now}
                if expected is not None:
                    params |= {"seen_status": expected.status, "seen_m": expected.message_id}
                cursor.execute(*self._bind("insert" if expected is None else "update", params))
                won = cursor.fetchone() is not None
            self.raw.commit()
            return won
        except BaseException:
            self.raw.rollback()
            raise
        finally:
            cursor.close()


def still_sending(session: Session, digest_id: int, subscriber_ids: Iterable[int]) -> dict[int, Seen]:
    """The rows among ``subscriber_ids`` still "sending" (to tell a dead run from one still at work)."""
    ids = list(subscriber_ids)
    if not ids:
        return {}
    rows = session.execute(select(Delivery.subscriber_id, Delivery.status, Delivery.message_id)
                           .where(Delivery.digest_id == digest_id, Delivery.subscriber_id.in_(ids),
                                  Delivery.status == SENDING))
    return {subscriber_id: Seen(status, message_id) for subscriber_id, status, message_id in rows}


def uncertain_rows(session: Session, digest_id: int) -> list[tuple[str, str | None]]:
    """(address, reason) of every active subscriber whose delivery of this digest is uncertain."""
    rows = session.execute(select(Subscriber.email, Delivery.last_error)
                           .join(Delivery, Delivery.subscriber_id == Subscriber.id)
                           .where(Delivery.digest_id == digest_id, Delivery.status == SENDING,
                                  Subscriber.active.is_(True))
                           .order_by(Subscriber.email))
    return [(email, error) for email, error in rows]


def nothing_left(session: Session, digest_id: int) -> bool:
    """Every active subscriber's delivery is final (sent, rejected or uncertain)."""
    todo, _ = to_send(session, digest_id, resend=False)
    return not todo


def describe_uncertain(address: str, why: str | None, week: str | None) -> str:
    """How every command and the daemon name an uncertain delivery, and how to settle it."""
    why = (why or "").removeprefix(f"{address}: ") or "an earlier run stopped while sending"
    which = f"--week {week}" if week else "--since … --until …"
    return (f"uncertain delivery to {address}: {why}; it may have been delivered (not sent again; "
            f"check with them, then `monitor digest {which} --resend --to {address}` sends it once more)")
