"""Subscribers: add, remove, list, import from CSV, unsubscribe by token.

Addresses are checked for the shape ``local@domain.tld`` (no display names, no spaces, no line breaks,
no dot at either end of the local part) and stored lower-cased in the domain part, the local part as
given; two spellings that differ only in case are one subscriber. Names and addresses holding a control
character once RFC 2047 encoded words are decoded are refused (they could put a line on the wire). Each
subscriber gets a random unsubscribe token.

An unsubscribe is durable: neither ``add`` nor ``import`` re-activates an unsubscribed address unless
asked to (``resubscribe``), and options left out keep the stored values.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import LANGUAGES
from ..errors import InputError
from ..text import decode_words, has_control
from .models import Subscriber

#: RFC 5321 caps an address at 254 characters in practice (320 is the column size).
MAX_ADDRESS_LENGTH = 254
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
LANGS = LANGUAGES
#: Longest name kept (the To: header shows far less; 300 is the column size).
MAX_NAME_LENGTH = 300
#: Largest CSV field read (Python's csv default, 128 KiB): a longer one is a broken file, reported by row.
MAX_CSV_FIELD = 131072


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
    #: Unsubscribed earlier and left so (``resubscribe`` brings them back).
    kept_unsubscribed: list[str] = field(default_factory=list)
    #: "subscribers.csv:3: 'bob@' is not an email address"
    problems: list[str] = field(default_factory=list)


def normalise_address(email: str) -> str:
    """The address with its domain lower-cased; ValueError naming it when it is not one."""
    text = email.strip()
    if (len(text) > MAX_ADDRESS_LENGTH or not _ADDRESS.match(text) or ".." in text
            or has_control(text) or decode_words(text) != text):
        raise ValueError(f"{email!r} is not an email address")
    local, domain = text.rsplit("@", 1)
    if local.startswith(".") or local.endswith("."):
        raise ValueError(f"{email!r} is not an email address (a dot cannot start or end the part before @)")
    return f"{local}@{domain.lower()}"


def check_name(name: str) -> str:
    """The name with its spacing collapsed; ValueError when it holds a control character (also one
    hidden in an encoded word such as ``=?utf-8?q?a=0D=0ABcc:…?=``)."""
    if has_control(name):
        raise ValueError(f"name {name!r} holds a control character (line break, tab …)")
    return " ".join(name.split())[:MAX_NAME_LENGTH]


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def info(row: Subscriber) -> SubscriberInfo:
    return SubscriberInfo(row.email, row.name, row.lang, row.token, row.active, row.created_at)


def find(session: Session, email: str) -> Subscriber | None:
    """The subscriber with this address, whatever the case of its letters."""
    return session.scalars(select(Subscriber).where(func.lower(Subscriber.email) == email.lower())
                           .order_by(Subscriber.id).limit(1)).first()


class Unsubscribed(ValueError):
    """The address unsubscribed earlier; it comes back only when asked to (``resubscribe``)."""


def add(session: Session, email: str, *, name: str | None = None, lang: str | None = None,
        default_lang: str = "en", resubscribe: bool = False, now: datetime) -> tuple[SubscriberInfo, bool]:
    """Add a subscriber, or update the given fields of an existing one; returns (subscriber, changed).

    ``name``/``lang`` None keep the stored values (``default_lang`` for a new subscriber). Raises
    ``Unsubscribed`` for an unsubscribed address unless ``resubscribe``, ValueError on bad input.
    """
    address = normalise_address(email)
    name = None if name is None else check_name(name)
    lang = None if lang is None or lang == "" else check_lang(lang)
    row = find(session, address)
    if row is None:
        row = Subscriber(email=address, name=name or "", lang=lang or check_lang(default_lang),
                         token=secrets.token_urlsafe(24), active=True, created_at=now)
        session.add(row)
        session.flush()
        return info(row), True
    if not row.active and not resubscribe:
        when = f" on {row.unsubscribed_at:%Y-%m-%d}" if row.unsubscribed_at else ""
        raise Unsubscribed(f"{row.email} unsubscribed{when}; add --resubscribe to subscribe them again")
    changed = (not row.active or (name is not None and row.name != name)
               or (lang is not None and row.lang != lang))
    row.active, row.unsubscribed_at = True, None
    row.name = row.name if name is None else name
    row.lang = row.lang if lang is None else lang
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


def _rows(path: Path, text: str, result: ImportResult) -> list[tuple[int, list[str]]]:
    """The CSV's rows with their line numbers; a broken row (a field over ``MAX_CSV_FIELD``, a stray
    quote) is one problem naming its line, and reading goes on with the next line."""
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text))
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            result.problems.append(f"{path}:{start}: {exc}")
            continue
        rows.append((start, row))


def import_csv(session: Session, path: Path, *, now: datetime, default_lang: str = "en",
               resubscribe: bool = False) -> ImportResult:
    """Add every row of a CSV (columns email[, name[, lang]], optional header); bad rows are named by
    line. Empty name or language cells keep what is stored; unsubscribed addresses stay unsubscribed
    unless ``resubscribe``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    result = ImportResult()
    limit = csv.field_size_limit(MAX_CSV_FIELD)
    try:
        rows = _rows(path, text, result)
    finally:
        csv.field_size_limit(limit)
    for line_no, row in rows:
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#") or (line_no == 1 and cells[0].lower() == "email"):
            continue
        email, name, lang = (cells + ["", ""])[:3]
        try:
            subscriber, created = add(session, email, name=name or None, lang=lang or None,
                                      default_lang=default_lang, resubscribe=resubscribe, now=now)
        except Unsubscribed:
            result.kept_unsubscribed.append(email)
            continue
        except ValueError as exc:
            result.problems.append(f"{path}:{line_no}: {exc}")
            continue
        (result.added if created else result.unchanged).append(subscriber.email)
    return result
