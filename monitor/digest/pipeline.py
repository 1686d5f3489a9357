"""The digest stage's orchestrator: build (data → render → archive) and send (each subscriber once).

    build  Monitor.digest_data(window) → view model per language → HTML (CSS inlined) + text
           → ``digests`` row (one per window) + files + index.html + atom.xml
    send   active subscribers without a final delivery → render once per language → per subscriber:
           fill in the token, build the message, claim the delivery atomically ("sending", committed
           together with the previous outcome), hand it to SMTP, record "sent"/"failed"/"rejected"
           (or leave it "sending" when the answer was lost: uncertain)

All decisions are in the pure modules (window, model, mail, deliveries); this one does the I/O.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from ..config import PACKAGE_DIR, Config
from ..errors import DeliveryError, InputError
from ..store import Database
from ..store.models import Feed, Run, Subscriber
from ..store.subscribers import find, normalise_address
from ..text import one_line
from . import archive, deliveries
from .mail import TEMPLATE_TO, MessageTemplate, Parts, build_message, list_id, sender_address, subject
from .model import DigestView, FailingFeed, build_view, count, is_empty
from .render import Unsubscribe, render_html, render_text
from .smtp import REJECTED, SENT, SKIPPED, UNCERTAIN, Handover, Sleep, SmtpSender
from .window import Window

log = logging.getLogger(__name__)

#: The watch's name when neither digest.title nor the topic file gives one.
FALLBACK_TITLE = "News"
DEFAULT_TOPIC = PACKAGE_DIR / "data" / "russia_north_korea.toml"
#: Length of a failing feed's error shown in the footer.
FEED_ERROR_LIMIT = 120
#: Sender shown in previews (`--format eml`) when [smtp] from is not configured.
PREVIEW_FROM = "Monitor <monitor@localhost>"
#: Token in the unsubscribe headers of a `--to` test message sent to an address that is not subscribed.
TEST_TOKEN = "test"
#: Recipient and token of `--format eml` without `--to`: never a real subscriber's address or token.
PREVIEW_TO = "subscriber@example.invalid"
PREVIEW_TOKEN = "preview"
#: Stands for the subscriber's token in the once-per-language rendering. Tokens are URL-safe base64
#: (``secrets.token_urlsafe``), which neither HTML escaping nor URL quoting changes, so a plain string
#: replacement gives exactly what rendering with the real token would.
TOKEN_SLOT = "TOKENSLOT0000000000000000000000000"
#: Why a delivery found "sending" is uncertain when the row says nothing more.
EARLIER_RUN_STOPPED = "an earlier run stopped while sending"


@dataclass(frozen=True)
class StoredDigest:
    id: int
    window: Window
    subject: str
    data: dict[str, Any]
    html: str
    text: str
    empty: bool
    counts: dict[str, int]
    files: dict[str, Path]
    failing: tuple[FailingFeed, ...] = ()

    @property
    def json(self) -> str:
        return dumps(self.data)


@dataclass
class SendReport:
    digest_id: int
    sent: list[str] = field(default_factory=list)
    #: (address, reason): temporary failures that ran out of attempts; a re-run tries them again.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: (address, reason): permanent (5xx) refusals, not retried without --resend.
    rejected: list[tuple[str, str]] = field(default_factory=list)
    #: Already mailed by an earlier run.
    already_sent: list[str] = field(default_factory=list)
    #: A run died while handing these over, or the server's answer to the message was lost: maybe
    #: delivered, not sent again (use --resend --to).
    uncertain: list[str] = field(default_factory=list)
    #: address → why its delivery is uncertain.
    notes: dict[str, str] = field(default_factory=dict)
    #: Claimed by another run sending at the same moment (that run mails them).
    elsewhere: list[str] = field(default_factory=list)
    skipped_empty: bool = False
    #: Set when the session or the sender was refused and the run stopped (deliveries stay pending).
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.rejected and not self.error


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def watch_title(config: Config) -> str:
    """``digest.title``, else the topic file's ``[watch] name`` (spaces around its dash dropped)."""
    if config.digest.title:
        return one_line(config.digest.title, 100)
    path = Path(config.watch.topic_file) if config.watch.topic_file else DEFAULT_TOPIC
    try:
        name = str(tomllib.loads(path.read_text(encoding="utf-8")).get("watch", {}).get("name", ""))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        name = ""
    return one_line(re.sub(r"\s*–\s*", "–", name), 100) or FALLBACK_TITLE


def _address(text: str) -> str:
    try:
        return normalise_address(text)
    except ValueError as exc:
        raise InputError(f"--to: {exc}") from None


def failing_feeds(db: Database) -> tuple[FailingFeed, ...]:
    with db.session(read_only=True) as session:
        rows = session.scalars(select(Feed).where(Feed.enabled.is_(True), Feed.consecutive_failures > 0)
                               .order_by(Feed.name, Feed.url))
        return tuple(FailingFeed(one_line(f.name or f.url, 80),
                                 one_line(f.last_error or "", FEED_ERROR_LIMIT)) for f in rows)


class DigestPipeline:
    """Builds and sends digests for one Monitor's configuration, store and clock."""

    def __init__(self, config: Config, db: Database, clock: Callable[[], datetime], *,
                 sleep: Sleep | None = None) -> None:
        self.config, self.db, self.clock = config, db, clock
        self.sleep = sleep
        self.title = watch_title(config)

    # -- build ---------------------------------------------------------------------------------------

    def view(self, digest: StoredDigest, lang: str) -> DigestView:
        return build_view(digest.data, lang=lang, title=self.title, label=digest.window.label,
                          tz=self.config.digest.timezone, failing=digest.failing)

    def parts(self, digest: StoredDigest, lang: str, unsubscribe: Unsubscribe | None) -> Parts:
        view = self.view(digest, lang)
        subj = subject(self.title, digest.window, view.counts, view.lang, self.config.digest.timezone)
        archive_url = self.config.digest.archive_url
        return Parts(subj, render_text(view, subject=subj, unsubscribe=unsubscribe, archive_url=archive_url),
                     render_html(view, subject=subj, unsubscribe=unsubscribe, archive_url=archive_url))

    def build(self, window: Window, data: dict[str, Any]) -> StoredDigest:
        cfg, now = self.config.digest, self.clock()
        failing = failing_feeds(self.db)
        draft = StoredDigest(0, window, "", data, "", "", is_empty(data), count(data), {}, failing)
        parts = self.parts(draft, cfg.locale, None)
        counts = draft.counts
        with self.db.session() as session:
            stories = counts["new"] + counts["developing"] + counts["known"]
            digest_id = archive.store(session, window, subject=parts.subject, data=dumps(data),
                                      html=parts.html, text=parts.text, story_count=stories,
                                      article_count=counts["articles"], now=now)
            session.add(Run(kind="digest", started_at=now, finished_at=now, ok=True,
                            stats=json.dumps({"window": window.label, **counts})))
        with self.db.session(read_only=True) as session:
            items = archive.entries(session)
        folder = cfg.output_path()
        files = archive.write_digest(folder, archive.stem(window), html=parts.html, text=parts.text,
                                     data=dumps(data))
        files["index"], files["atom"] = archive.write_index(folder, items, title=self.title,
                                                            archive_url=cfg.archive_url, now=now)
        return StoredDigest(digest_id, window, parts.subject, data, parts.html, parts.text, draft.empty,
                            counts, files, failing)

    # -- send ----------------------------------------------------------------------------------------

    @property
    def from_(self) -> str:
        """The configured sender; a placeholder for previews when none is configured."""
        return self.config.smtp.from_ or PREVIEW_FROM

    def unsubscribe_for(self, token: str) -> Unsubscribe:
        url = self.config.digest.unsubscribe_url
        return Unsubscribe(token, sender_address(self.from_), url.replace("{token}", quote(token, safe="")))

    def message(self, digest: StoredDigest, *, email: str, name: str, lang: str, token: str) -> EmailMessage:
        return self._message(self.parts(digest, lang, self.unsubscribe_for(token)), email=email, name=name,
                             lang=lang, token=token)

    def _message(self, parts: Parts, *, email: str, name: str, lang: str, token: str) -> EmailMessage:
        return build_message(parts, from_=self.from_, to_email=email, to_name=name, token=token,
                             unsubscribe_url=self.config.digest.unsubscribe_url, now=self.clock(), lang=lang,
                             list_id=list_id(self.title, self.from_))

    def send(self, digest: StoredDigest, *, to: str | None = None, resend: bool = False) -> SendReport:
        report = SendReport(digest.id)
        if not self.config.smtp.host or not self.config.smtp.from_:
            raise DeliveryError("no SMTP configured: set [smtp] host and from")
        if to is None and digest.empty and self.config.digest.skip_empty:
            report.skipped_empty = True
            return report
        kwargs = {"sleep": self.sleep} if self.sleep else {}
        started = self.clock()
        try:
            with SmtpSender(self.config.smtp, **kwargs) as sender:
                if to is not None and not (resend and self._is_subscriber(to)):
                    self._send_test(digest, to, sender, report)
                elif to is not None:  # --resend --to SUBSCRIBER: their copy, recorded as their delivery
                    self._send_all(digest, sender, report, resend=True, only=_address(to))
                else:
                    self._send_all(digest, sender, report, resend=resend)
        except DeliveryError as exc:
            report.error = str(exc)
            self._record_run(digest, report, started)
            raise
        self._record_run(digest, report, started)
        return report

    def _record_run(self, digest: StoredDigest, report: SendReport, started: datetime) -> None:
        with self.db.session() as session:
            session.add(Run(kind="send", started_at=started, finished_at=self.clock(), ok=report.ok,
                            stats=json.dumps({
                                "digest": digest.id, "week": digest.window.label, "sent": len(report.sent),
                                "failed": len(report.failed), "rejected": len(report.rejected),
                                "uncertain": len(report.uncertain), "error": report.error})))

    def preview_message(self, digest: StoredDigest, to: str | None = None) -> EmailMessage:
        """The message ``to`` would receive (with their own token when subscribed); without ``to``, the
        message addressed to a placeholder recipient, so no real address or token is written to disk."""
        if to is None:
            return self.message(digest, email=PREVIEW_TO, name="", lang=self.config.digest.locale,
                                token=PREVIEW_TOKEN)
        address = _address(to)
        with self.db.session(read_only=True) as session:
            row = find(session, address)
            name, lang, token = (row.name, row.lang, row.token) if row else ("", self.config.digest.locale,
                                                                             TEST_TOKEN)
        return self.message(digest, email=row.email if row else address, name=name, lang=lang, token=token)

    def _send_test(self, digest: StoredDigest, to: str, sender: SmtpSender, report: SendReport) -> None:
        """A test message to one address: no delivery row, the subscriber's token when there is one."""
        address = _address(to)
        handover = sender.send(self.preview_message(digest, to), address, self._envelope_from)
        _note(report, address, handover)

    @property
    def _envelope_from(self) -> str:
        return sender_address(self.config.smtp.from_)

    def _is_subscriber(self, address: str) -> bool:
        with self.db.session(read_only=True) as session:
            row = find(session, _address(address))
            return row is not None and row.active

    def _send_all(self, digest: StoredDigest, sender: SmtpSender, report: SendReport, *,
                  resend: bool, only: str | None = None) -> None:
        with self.db.session(read_only=True) as session:
            active = deliveries.active_subscribers(session)
            seen = deliveries.seen(session, digest.id)
        todo, uncertain = deliveries.plan(active, seen, resend=resend)
        if only is not None:
            todo = [s for s in todo if s.email.lower() == only.lower()]
        todo_ids = {s.id for s in todo}
        report.already_sent = [s.email for s in active if s.id not in todo_ids
                               and s.id in seen and seen[s.id].status == deliveries.SENT]
        templates = _Templates(self, digest)
        envelope_from = self._envelope_from
        pending: list[deliveries.Outcome] = []  # recorded in the same transaction as the next claim
        with deliveries.Ledger(self.db.engine, digest.id) as ledger:  # one commit per delivery
            try:
                for subscriber in todo:
                    message, message_id = templates.message(subscriber)
                    claimed = False

                    def claim(subscriber: Subscriber = subscriber, message_id: str = message_id) -> bool:
                        """The last outcome and this claim in one commit, while the server answers
                        MAIL FROM (always before the message goes out)."""
                        nonlocal pending, claimed
                        won = ledger.step(pending, (subscriber.id, message_id, seen.get(subscriber.id)),
                                          now=self.clock())
                        pending, claimed = [], won
                        return won

                    try:
                        handover = sender.send(message, subscriber.email, envelope_from, claim=claim)
                    except DeliveryError as exc:  # the session or the sender: the delivery stays pending
                        if claimed:
                            pending.append(deliveries.Outcome(subscriber.id, message_id, deliveries.FAILED,
                                                              str(exc)))
                        raise
                    if handover.status == SKIPPED:  # another run claimed it meanwhile: theirs to send
                        report.elsewhere.append(subscriber.email)
                        continue
                    if not claimed and not claim():  # every attempt failed before MAIL FROM's answer
                        report.elsewhere.append(subscriber.email)
                        continue
                    _note(report, subscriber.email, handover)
                    status = deliveries.SENDING if handover.status == UNCERTAIN else handover.status
                    pending.append(deliveries.Outcome(subscriber.id, message_id, status, handover.reason))
            finally:
                ledger.step(pending, None, now=self.clock())
        self._note_uncertain(digest, report, uncertain, seen)

    def _note_uncertain(self, digest: StoredDigest, report: SendReport, uncertain: list[Subscriber],
                        seen: dict[int, deliveries.Seen]) -> None:
        """Rows found "sending" at the start are uncertain only if still so now, unchanged: a row that
        moved on belonged to a run still at work, not one that stopped."""
        with self.db.session(read_only=True) as session:
            still = deliveries.still_sending(session, digest.id, [s.id for s in uncertain])
            errors = dict(deliveries.uncertain_rows(session, digest.id))
        for subscriber in uncertain:
            row = still.get(subscriber.id)
            if row is not None and row.message_id == seen[subscriber.id].message_id:
                report.uncertain.append(subscriber.email)
                report.notes[subscriber.email] = errors.get(subscriber.email) or EARLIER_RUN_STOPPED


class _Templates:
    """Renders and serialises the digest once per language with stand-ins for the recipient, the
    Message-ID and the token, then splices in each subscriber's (``MessageTemplate``): the per-subscriber
    cost is a few byte replacements, not a render and a MIME serialisation. A message that cannot be
    spliced is built in full."""

    def __init__(self, pipeline: DigestPipeline, digest: StoredDigest) -> None:
        self.pipeline, self.digest = pipeline, digest
        self._templates: dict[str, MessageTemplate] = {}

    def _template(self, lang: str) -> MessageTemplate:
        if lang not in self._templates:
            parts = self.pipeline.parts(self.digest, lang, self.pipeline.unsubscribe_for(TOKEN_SLOT))
            message = self.pipeline._message(parts, email=TEMPLATE_TO, name="", lang=lang, token=TOKEN_SLOT)
            self._templates[lang] = MessageTemplate(message, TOKEN_SLOT)
        return self._templates[lang]

    def message(self, subscriber: Subscriber) -> tuple[EmailMessage | bytes, str]:
        """(the message, as wire bytes when spliced, and its Message-ID)."""
        template = self._template(subscriber.lang)
        message_id = template.message_id()
        wire = template.splice(email=subscriber.email, name=subscriber.name, token=subscriber.token,
                               message_id=message_id)
        if wire is not None:
            return wire, message_id
        full = self.pipeline.message(self.digest, email=subscriber.email, name=subscriber.name,
                                     lang=subscriber.lang, token=subscriber.token)
        return full, str(full["Message-ID"])


def _note(report: SendReport, address: str, handover: Handover) -> None:
    if handover.status == SENT:
        report.sent.append(address)
    elif handover.status == UNCERTAIN:
        report.uncertain.append(address)
        report.notes[address] = handover.reason or ""
    else:
        (report.rejected if handover.status == REJECTED else report.failed).append(
            (address, handover.reason or ""))
