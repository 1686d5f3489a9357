"""Subscribers: add, remove, list, import from CSV, unsubscribe by token.

Addresses are checked for the shape ``local@domain.tld`` (no display names, no spaces, no line breaks)
and stored lower-cased in the domain part; each subscriber gets a random unsubscribe token.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ConfigError
from .models import Subscriber

#: RFC 5321 caps an address at 254 characters in practice (320 is the column size).
MAX_ADDRESS_LENGTH = 254
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
LANGS = ("en", "fr")


@dataclass(frozen=True)
class SubscriberInfo:
    email: str
    name: str
    lang: str
    token: str
    active: bool
    created_at: datetime


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: "subscribers.csv:3: 'bob@' is not an email address"
    problems: list[str] = field(default_factory=list)


def normalise_address(email: str) -> str:
    """The address with its domain lower-cased; ValueError naming it when it is not one."""
    text = email.strip()
    if len(text) > MAX_ADDRESS_LENGTH or not _ADDRESS.match(text) or ".." in text:
        raise ValueError(f"{email!r} is not an email address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def info(row: Subscriber) -> SubscriberInfo:
    return SubscriberInfo(row.email, row.name, row.lang, row.token, row.active, row.created_at)


def find(session: Session, email: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.email == email))


def add(session: Session, email: str, *, name: str = "", lang: str = "en",
        now: datetime) -> tuple[SubscriberInfo, bool]:
    """Add or re-activate a subscriber; returns (subscriber, created). Raises ValueError on bad input."""
    address, lang = normalise_address(email), check_lang(lang)
    name = " ".join(name.split())[:300]
    row = find(session, address)
    if row is None:
        row = Subscriber(email=address, name=name, lang=lang, token=secrets.token_urlsafe(24),
                         active=True, created_at=now)
        session.add(row)
        session.flush()
        return info(row), True
    changed = not row.active or (name and row.name != name) or row.lang != lang
    row.active, row.unsubscribed_at, row.lang = True, None, lang
    row.name = name or row.name
    return info(row), bool(changed)


def remove(session: Session, email: str) -> bool:
    """Delete a subscriber (and their delivery history); False when unknown."""
    row = find(session, normalise_address(email))
    if row is None:
        return False
    session.delete(row)
    return True


def unsubscribe(session: Session, token: str, *, now: datetime) -> SubscriberInfo | None:
    """Mark the token's subscriber inactive (kept, so the history stays); None when the token is unknown."""
    row = session.scalar(select(Subscriber).where(Subscriber.token == token.strip()))
    if row is None:
        return None
    if row.active:
        row.active, row.unsubscribed_at = False, now
    return info(row)


def list_all(session: Session, *, active_only: bool = False) -> list[SubscriberInfo]:
    query = select(Subscriber).order_by(Subscriber.email)
    if active_only:
        query = query.where(Subscriber.active.is_(True))
    return [info(row) for row in session.scalars(query)]


def import_csv(session: Session, path: Path, *, now: datetime, default_lang: str = "en") -> ImportResult:
    """Add every row of a CSV (columns email[, name[, lang]], optional header); bad rows are named by line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    result = ImportResult()
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#") or (line_no == 1 and cells[0].lower() == "email"):
            continue
        email, name, lang = (cells + ["", ""])[:3]
        try:
            subscriber, created = add(session, email, name=name, lang=lang or default_lang, now=now)
        except ValueError as exc:
            result.problems.append(f"{path}:{line_no}: {exc}")
            continue
        (result.added if created else result.unchanged).append(subscriber.email)
    return result
