"""The digest stage's orchestrator: build (data → render → archive) and send (each subscriber once).

    build  Monitor.digest_data(window) → view model per language → HTML (CSS inlined) + text
           → ``digests`` row (one per window) + files + index.html + atom.xml; a digest built while
           most sources failed is held instead (not archived, not sendable; a failed "digest" run
           records why), and ``archive=False`` (``--output FILE``) renders without touching the archive
    send   active subscribers without a final delivery → render once per language → per subscriber:
           fill in the token, build the message, claim the delivery atomically ("sending", committed
           together with the previous outcome), hand it to SMTP, record "sent"/"failed"/"rejected"
           (or leave it "sending" when the answer was lost: uncertain)

All decisions are in the pure modules (window, model, mail, deliveries); this one does the I/O.
"""

from __future__ import annotations

import json
import logging
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
from . import archive, deliveries, names
from .mail import TEMPLATE_TO, MessageTemplate, Parts, build_message, list_id, sender_address, subject
from .model import DigestView, FailingFeed, SourceHealth, build_view, count, is_empty
from .render import Unsubscribe, render_html, render_text
from .smtp import REJECTED, SENT, SKIPPED, UNCERTAIN, Handover, Sleep, SmtpSender
from .window import Window

log = logging.getLogger(__name__)

DEFAULT_TOPIC = PACKAGE_DIR / "data" / "russia_north_korea.toml"
#: Length of a failing feed's error shown in the footer.
FEED_ERROR_LIMIT = 120
#: Sender shown in previews (`--format eml`) when [smtp] from is not configured.
PREVIEW_FROM = "Monitor <monitor@localhost>"
#: Token in the unsubscribe headers of a `--to` test message sent to an address that is not subscribed.
TEST_TOKEN = "test"
#: A digest is held when more than this share of the enabled sources failed their last poll: its
#: "nothing new" would then say more about the network than about the news. Half, because a week with
#: half the sources still tells most stories (each is usually reported by several outlets).
HOLD_FAILED_SHARE = 0.5
#: Path of the one-click unsubscribe endpoint of `monitor serve`, under digest.public_url.
UNSUBSCRIBE_PATH = "unsubscribe/{token}"
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
    health: SourceHealth = SourceHealth()
    #: Why the digest is held (most sources failed), or "": a held digest is never archived or sent.
    held: str = ""

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


def watch_names(config: Config) -> names.WatchNames:
    """The watch's name per language and short tag labels (``digest.title`` overrides the name)."""
    path = Path(config.watch.topic_file) if config.watch.topic_file else DEFAULT_TOPIC
    return names.load(path, config.digest.title)


def watch_title(config: Config) -> str:
    """``digest.title``, else the topic file's ``[watch] name`` (spaces around its dash dropped)."""
    return watch_names(config).title("en")


def unsubscribe_template(config: Config) -> str:
    """``digest.unsubscribe_url``, else the one-click endpoint of `monitor serve` under ``public_url``."""
    cfg = config.digest
    if cfg.unsubscribe_url or not cfg.public_url:
        return cfg.unsubscribe_url
    return cfg.public_url.rstrip("/") + "/" + UNSUBSCRIBE_PATH


def archive_base(config: Config) -> str:
    return config.digest.archive_url or config.digest.public_url


def hold_reason(health: SourceHealth) -> str:
    """Why a digest built with this source health must not reach subscribers, or ""."""
    if not health.total or health.failed <= HOLD_FAILED_SHARE * health.total:
        return ""
    shown = "; ".join(f"{f.name} ({f.error})" if f.error else f.name for f in health.failing[:5])
    more = f"; and {len(health.failing) - 5} more" if len(health.failing) > 5 else ""
    return (f"held: {health.failed} of {health.total} enabled feeds failed their last poll ({shown}{more}); "
            "fix them or wait for the next fetch, then build the digest again")


def _address(text: str) -> str:
    try:
        return normalise_address(text)
    except ValueError as exc:
        raise InputError(f"--to: {exc}") from None


def source_health(db: Database) -> SourceHealth:
    """Enabled feeds and those whose last poll failed (names and errors for the operator only)."""
    with db.session(read_only=True) as session:
        rows = session.scalars(select(Feed).where(Feed.enabled.is_(True)).order_by(Feed.name, Feed.url)).all()
        failing = tuple(FailingFeed(one_line(f.name or f.url, 80),
                                    one_line(f.last_error or "", FEED_ERROR_LIMIT))
                        for f in rows if f.consecutive_failures > 0)
        return SourceHealth(len(failing), len(rows), failing)


class DigestPipeline:
    """Builds and sends digests for one Monitor's configuration, store and clock."""

    def __init__(self, config: Config, db: Database, clock: Callable[[], datetime], *,
                 sleep: Sleep | None = None) -> None:
        self.config, self.db, self.clock = config, db, clock
        self.sleep = sleep
        self.names = watch_names(config)
        self.title = self.names.title("en")

    # -- build ---------------------------------------------------------------------------------------

    def view(self, digest: StoredDigest, lang: str) -> DigestView:
        return build_view(digest.data, lang=lang, title=self.names, label=digest.window.label,
                          tz=self.config.digest.timezone, health=digest.health)

    def parts(self, digest: StoredDigest, lang: str, unsubscribe: Unsubscribe | None) -> Parts:
        view = self.view(digest, lang)
        subj = subject(view.title, digest.window, view.counts, view.lang, self.config.digest.timezone)
        archive_url = archive_base(self.config)
        return Parts(subj, render_text(view, subject=subj, unsubscribe=unsubscribe, archive_url=archive_url),
                     render_html(view, subject=subj, unsubscribe=unsubscribe, archive_url=archive_url))

    def build(self, window: Window, data: dict[str, Any], *, archive_it: bool = True,
              hold: bool = True) -> StoredDigest:
        """Render the window; archive it (row, files, index, Atom) unless held or ``archive_it`` is False.

        ``hold=False`` (a digest that goes to files only, no subscriber) never holds: the operator
        reading it is told on the log why it would have been held, and the digest says how many
        sources could not be reached.
        """
        cfg, now = self.config.digest, self.clock()
        health = source_health(self.db)
        reason = hold_reason(health)
        if reason and not hold:
            log.warning("digest %s written to files, not mailed: it would be %s", window.label, reason)
            reason = ""
        draft = StoredDigest(0, window, "", data, "", "", is_empty(data), count(data), {}, health, reason)
        parts = self.parts(draft, cfg.locale, None)
        rendered = StoredDigest(0, window, parts.subject, data, parts.html, parts.text, draft.empty,
                                draft.counts, {}, health, draft.held)
        if draft.held:
            with self.db.session() as session:
                session.add(Run(kind="digest", started_at=now, finished_at=now, ok=False, stats=json.dumps(
                    {"window": window.label, "held": draft.held, **draft.counts}, ensure_ascii=False)))
            return rendered
        if not archive_it:
            return rendered
        digest_id, files = self._archive(rendered, now)
        return StoredDigest(digest_id, window, parts.subject, data, parts.html, parts.text, draft.empty,
                            draft.counts, files, health)

    def _archive(self, digest: StoredDigest, now: datetime) -> tuple[int, dict[str, Path]]:
        cfg, counts, window = self.config.digest, digest.counts, digest.window
        with self.db.session() as session:
            stories = counts["new"] + counts["developing"] + counts["known"]
            digest_id = archive.store(session, window, subject=digest.subject, data=digest.json,
                                      html=digest.html, text=digest.text, story_count=stories,
                                      article_count=counts["articles"], now=now)
            session.add(Run(kind="digest", started_at=now, finished_at=now, ok=True,
                            stats=json.dumps({"window": window.label, **counts})))
        with self.db.session(read_only=True) as session:
            items = archive.entries(session, now=now)
        folder = cfg.output_path()
        files = archive.write_digest(folder, archive.stem(window), html=digest.html, text=digest.text,
                                     data=digest.json)
        files["index"], files["atom"] = archive.write_index(
            folder, items, names=self.names, archive_url=archive_base(self.config), now=now, lang=cfg.locale,
            tz=cfg.timezone)
        return digest_id, files

    # -- send ----------------------------------------------------------------------------------------

    @property
    def from_(self) -> str:
        """The configured sender; a placeholder for previews when none is configured."""
        return self.config.smtp.from_ or PREVIEW_FROM

    def unsubscribe_for(self, token: str) -> Unsubscribe:
        url = unsubscribe_template(self.config)
        return Unsubscribe(token, sender_address(self.from_), url.replace("{token}", quote(token, safe="")))

    def message(self, digest: StoredDigest, *, email: str, name: str, lang: str, token: str) -> EmailMessage:
        return self._message(self.parts(digest, lang, self.unsubscribe_for(token)), email=email, name=name,
                             lang=lang, token=token)

    def _message(self, parts: Parts, *, email: str, name: str, lang: str, token: str) -> EmailMessage:
        return build_message(parts, from_=self.from_, to_email=email, to_name=name, token=token,
                             unsubscribe_url=unsubscribe_template(self.config), now=self.clock(), lang=lang,
                             list_id=list_id(self.title, self.from_))

    def send(self, digest: StoredDigest, *, to: str | None = None, resend: bool = False) -> SendReport:
        report = SendReport(digest.id)
        if digest.held:
            raise DeliveryError(f"not sent: {digest.held}")
        if not digest.id:
            raise DeliveryError("not sent: this digest was not archived (built with --output)")
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
