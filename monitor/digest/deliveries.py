"""The ``deliveries`` table: one row per (digest, subscriber), written before and after each send.

Statuses: "sending" is written (and committed) just before a message is handed to the SMTP server,
"sent" or "failed"/"rejected" just after. A run only mails subscribers whose row is missing or
"failed" (temporary failures that ran out of attempts); "sent" and "rejected" (permanent 5xx) are final
until ``resend``. A row still "sending" means a run died between handing the message over and
recording the answer: the message may well have been delivered, so it is NOT sent again automatically
(at most once); it is reported as uncertain and ``--resend --to ADDRESS`` forces it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import Delivery, Subscriber

SENDING, SENT, FAILED, REJECTED = "sending", "sent", "failed", "rejected"
#: Statuses after which a run has nothing left to do for that subscriber.
FINAL = (SENT, REJECTED, SENDING)


def statuses(session: Session, digest_id: int) -> dict[int, str]:
    rows = session.execute(select(Delivery.subscriber_id, Delivery.status)
                           .where(Delivery.digest_id == digest_id))
    return {subscriber_id: status for subscriber_id, status in rows}


def to_send(session: Session, digest_id: int, *, resend: bool) -> tuple[list[Subscriber], list[Subscriber]]:
    """(active subscribers to mail now, those left alone because their delivery is uncertain)."""
    done = statuses(session, digest_id)
    active = list(session.scalars(select(Subscriber).where(Subscriber.active.is_(True))
                                  .order_by(Subscriber.id)))
    if resend:
        return active, []
    todo = [s for s in active if done.get(s.id) not in FINAL]
    uncertain = [s for s in active if done.get(s.id) == SENDING]
    return todo, uncertain


def mark_sending(session: Session, digest_id: int, subscriber_id: int, message_id: str,
                 now: datetime) -> None:
    row = session.scalar(select(Delivery).where(Delivery.digest_id == digest_id,
                                                Delivery.subscriber_id == subscriber_id))
    if row is None:
        row = Delivery(digest_id=digest_id, subscriber_id=subscriber_id, attempts=0)
        session.add(row)
    row.status, row.message_id, row.started_at, row.last_error = SENDING, message_id, now, None
    row.attempts = (row.attempts or 0) + 1


def mark_done(session: Session, digest_id: int, subscriber_id: int, status: str, *, now: datetime,
              error: str | None = None) -> None:
    row = session.scalar(select(Delivery).where(Delivery.digest_id == digest_id,
                                                Delivery.subscriber_id == subscriber_id))
    if row is None:  # the row was deleted meanwhile (subscriber removed): nothing to record
        return
    row.status, row.last_error = status, error
    if status == SENT:
        row.sent_at = now


def nothing_left(session: Session, digest_id: int) -> bool:
    """Every active subscriber's delivery is final (sent, rejected or uncertain)."""
    todo, _ = to_send(session, digest_id, resend=False)
    return not todo
