"""Building one message per subscriber: multipart/alternative (text, then HTML) with the headers mail
clients and RFC 8058 expect. Pure: takes the rendered parts and returns an ``EmailMessage``.

Nothing taken from articles goes into a header: the subject is made of the watch's title (from the
configuration), the week and counts, and every header value still passes through ``one_line``.
"""

from __future__ import annotations

import email.policy
import itertools
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote

from ..errors import DeliveryError
from ..text import has_control, one_line
from . import i18n
from .model import local_date
from .window import Window

#: Header lines may run to RFC 5322's 998 characters, so a long List-Unsubscribe URI stays one readable
#: token instead of being RFC 2047-encoded by the default 78-character folding (which breaks it).
POLICY = email.policy.default.clone(max_line_length=998)
#: Longest subject: mail clients show about 60–80 characters; RFC 5322 lines stay well under 998.
SUBJECT_LIMIT = 150


@dataclass(frozen=True)
class Parts:
    subject: str
    text: str
    html: str


def subject(title: str, window: Window, counts: dict[str, int], lang: str, tz: str) -> str:
    """``Russia–North Korea watch, week 47 of 2026: 3 new developments`` (or its French wording)."""
    t = i18n.messages(lang)
    headline = i18n.plural(lang, "new", counts["new"]) if counts["new"] else t["nothing_new"]
    if not counts["new"] and counts["developing"]:
        headline = i18n.plural(lang, "developing", counts["developing"])
    if window.week_number is not None:
        text = t["subject_week"].format(title=title, week=window.week_number, year=window.label[:4],
                                        headline=headline)
    else:
        last_day = window.until - timedelta(seconds=1)
        span = f"{local_date(window.since, tz, lang)} – {local_date(last_day, tz, lang)}"
        text = t["subject_range"].format(title=title, range=span, headline=headline)
    return one_line(text, SUBJECT_LIMIT)


def sender_address(from_: str) -> str:
    """The bare address of the configured sender (for the unsubscribe mailto and the envelope)."""
    address = parseaddr(from_)[1]
    if "@" not in address:
        raise DeliveryError(f"smtp.from {from_!r}: expected an address such as "
                            "\"Monitor <monitor@example.org>\"")
    return address


def list_unsubscribe(from_: str, token: str, url_template: str) -> str:
    """``<mailto:…?subject=unsubscribe%20TOKEN>, <https://…/TOKEN>`` (RFC 2369 / RFC 8058)."""
    values = [f"<mailto:{sender_address(from_)}?subject={quote('unsubscribe ' + token)}>"]
    if url_template:
        values.append(f"<{url_template.replace('{token}', quote(token, safe=''))}>")
    return one_line(", ".join(values), 900)


def list_id(title: str, from_: str) -> str:
    """RFC 2919 ``List-Id``: the watch's title and a label made of the sender's address
    (``"Russia–North Korea watch" <watch.example.org>``), stable across weeks so filters keep working."""
    local, domain = sender_address(from_).rsplit("@", 1)
    label = re.sub(r"[^A-Za-z0-9-]+", "-", local).strip("-") or "digest"
    phrase = re.sub(r'["\\<>]', "", one_line(title, 100))
    return f'"{phrase}" <{label}.{domain.lower()}>' if phrase else f"<{label}.{domain.lower()}>"


def _recipient(email: str, name: str) -> Address | str:
    if has_control(name):  # stored before names were checked: the bare address, never a broken header
        return email
    try:
        return Address(display_name=one_line(name, 100), addr_spec=email) if name else email
    except (ValueError, IndexError):
        return email


def check_headers(message: EmailMessage) -> None:
    """Refuse a message whose header values hold a control character once encoded words are decoded
    (CPython re-folds a decoded CR LF onto the wire: CVE-2024-6923). Subscribers and the sender are
    checked when stored or configured; this is the last guard before the wire."""
    for name, value in message.items():
        if has_control(str(value)):
            raise DeliveryError(f"{name} header holds a control character: {str(value)!r}")


def build_message(parts: Parts, *, from_: str, to_email: str, to_name: str = "", token: str,
                  unsubscribe_url: str = "", now: datetime, lang: str = "en",
                  list_id: str = "") -> EmailMessage:
    """One subscriber's message: text and HTML alternatives, Date, Message-ID, List-Unsubscribe."""
    message = EmailMessage(policy=POLICY)
    message["Subject"] = one_line(parts.subject, SUBJECT_LIMIT)
    message["From"] = one_line(from_, 300)
    message["To"] = _recipient(to_email, to_name)
    message["Date"] = format_datetime(now.replace(tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain=sender_address(from_).rsplit("@", 1)[1])
    message["List-Unsubscribe"] = list_unsubscribe(from_, token, unsubscribe_url)
    if unsubscribe_url:  # one-click (RFC 8058) needs an https URL to POST to
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if list_id:
        message["List-Id"] = list_id
    message["Auto-Submitted"] = "auto-generated"
    check_headers(message)
    message.set_content(parts.text, subtype="plain", charset="utf-8")
    message.add_alternative(parts.html, subtype="html", charset="utf-8")
    message["Content-Language"] = i18n.check_lang(lang)  # after set_content, which drops Content-* headers
    return message


class Wire(bytes):
    """A message as SMTP DATA carries it: CRLF line ends, leading dots doubled, the final dot."""


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def to_wire(message: EmailMessage | bytes) -> Wire:
    """``message`` (or its CRLF bytes) made ready for SMTP DATA (RFC 5321 §4.5.2)."""
    if isinstance(message, Wire):
        return message
    data = message if isinstance(message, bytes) else message.as_bytes(
        policy=message.policy.clone(linesep="\r\n"))
    data = _LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return Wire(data + b".\r\n")


#: Stand-ins in a message template, replaced per subscriber (none can occur in a digest by chance).
TEMPLATE_TO = "to-slot@template.invalid"
TEMPLATE_MSGID = "<msgid-slot@template.invalid>"
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_WIRE_POLICY = POLICY.clone(linesep="\r\n")
#: A display name the email package would write as it is (letters, digits, spaces: an RFC 5322 phrase
#: of atoms), so the To line can be written directly; anything else goes through the package.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
#: Longest To line written directly (the package folds longer header lines).
_PLAIN_TO_LIMIT = 78


def _to_line(email: str, name: str) -> bytes:
    """The ``To:`` header line, exactly as the email package would serialise it."""
    name = one_line(name, 100) if name else ""
    if not name or _PLAIN_NAME.fullmatch(name):
        line = f"To: {name} <{email}>" if name else f"To: {email}"
        if len(line) <= _PLAIN_TO_LIMIT:
            return line.encode("ascii") + b"\r\n"
    return _WIRE_POLICY.fold_binary(*_WIRE_POLICY.header_store_parse("To", _recipient(email, name)))


class MessageTemplate:
    """One language's message serialised once, with stand-ins for what differs per subscriber (the To
    header, the Message-ID, the unsubscribe token); ``wire`` fills them in with byte replacements.

    Splicing is exact only when each stand-in survives serialisation verbatim (8bit bodies, short lines):
    the constructor checks that, and ``wire`` returns None when it cannot splice (a token outside the
    URL-safe alphabet, a template whose bodies were encoded), so the caller builds that message in full.
    """

    def __init__(self, message: EmailMessage, token_slot: str) -> None:
        """``message``: the full message built for ``TEMPLATE_TO`` with ``token_slot`` as the token."""
        self.slot = token_slot
        self.domain = sender_address(str(message["From"])).rsplit("@", 1)[1]
        del message["Message-ID"]
        message["Message-ID"] = TEMPLATE_MSGID
        self.wire = message.as_bytes(policy=_WIRE_POLICY)
        expected = sum(str(v).count(token_slot) for _, v in message.items()) + sum(
            part.get_content().count(token_slot) for part in message.iter_parts())
        self.wire = to_wire(self.wire)  # stuffed once: what is spliced in never starts a line with a dot
        self._ids = itertools.count(1)
        self._id_prefix = f"{int(time.time() * 100)}.{os.getpid()}.{secrets.token_hex(6)}"
        self.usable = (self.wire.count(token_slot.encode()) == expected
                       and self.wire.count(b"\r\nTo: " + TEMPLATE_TO.encode() + b"\r\n") == 1
                       and self.wire.count(TEMPLATE_MSGID.encode()) == 1)

    def message_id(self) -> str:
        """Unique per message (time, process, a random run prefix and a counter), as make_msgid's are."""
        return f"<{self._id_prefix}.{next(self._ids)}@{self.domain}>"

    def splice(self, *, email: str, name: str, token: str, message_id: str) -> Wire | None:
        """This subscriber's message ready for DATA, or None when it must be built in full."""
        if not self.usable or not _TOKEN_CHARS.fullmatch(token):
            return None
        to_line = _to_line(email, name)
        return Wire(self.wire.replace(b"To: " + TEMPLATE_TO.encode() + b"\r\n", to_line, 1)
                    .replace(TEMPLATE_MSGID.encode(), message_id.encode(), 1)
                    .replace(self.slot.encode(), token.encode()))
