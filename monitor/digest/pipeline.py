"""The digest stage's orchestrator: build (data → render → archive) and send (each subscriber once).

    build  Monitor.digest_data(window) → view model per language → HTML (CSS inlined) + text
           → ``digests`` row (one per window) + files + index.html + atom.xml; a digest built while
           most sources failed is held instead (not archived, not sendable; a failed "digest" run
           records why), and ``archive=False`` (``--output FILE``) renders without touching the archive
    send   active subscribers without a final delivery → per subscriber: render in their language,
           build the message, record "sending", hand it to SMTP, record "sent"/"failed"/"rejected"

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
from ..errors import DeliveryError
from ..store import Database
from ..store.models import Feed, Run, Subscriber
from ..store.subscribers import find, normalise_address
from ..text import one_line
from . import archive, deliveries, names
from .mail import Parts, build_message, sender_address, subject
from .model import DigestView, FailingFeed, SourceHealth, build_view, count, is_empty
from .render import Unsubscribe, render_html, render_text
from .smtp import Sleep, SmtpSender
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
    #: A run died while handing these over: maybe delivered, not sent again (use --resend --to).
    uncertain: list[str] = field(default_factory=list)
    skipped_empty: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.rejected


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
        raise DeliveryError(f"--to: {exc}") from None


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
        parts = self.parts(digest, lang, self.unsubscribe_for(token))
        return build_message(parts, from_=self.from_, to_email=email, to_name=name, token=token,
                             unsubscribe_url=unsubscribe_template(self.config), now=self.clock(), lang=lang)

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
        with SmtpSender(self.config.smtp, **kwargs) as sender:
            if to is not None and not (resend and self._is_subscriber(to)):
                self._send_test(digest, to, sender, report)
            elif to is not None:  # --resend --to SUBSCRIBER: their copy, recorded as their delivery
                self._send_all(digest, sender, report, resend=True, only=_address(to))
            else:
                self._send_all(digest, sender, report, resend=resend)
        now = self.clock()
        with self.db.session() as session:
            session.add(Run(kind="send", started_at=now, finished_at=now, ok=report.ok, stats=json.dumps({
                "digest": digest.id, "sent": len(report.sent), "failed": len(report.failed),
                "rejected": len(report.rejected), "uncertain": len(report.uncertain)})))
        return report

    def preview_message(self, digest: StoredDigest, to: str | None = None) -> EmailMessage:
        """The message ``to`` (else the first active subscriber, else the sender) would receive."""
        address = _address(to) if to else None
        with self.db.session(read_only=True) as session:
            row = find(session, address) if address else session.scalar(
                select(Subscriber).where(Subscriber.active.is_(True)).order_by(Subscriber.id).limit(1))
            email = row.email if row else (address or sender_address(self.from_))
            name, lang, token = (row.name, row.lang, row.token) if row else ("", self.config.digest.locale,
                                                                             TEST_TOKEN)
        return self.message(digest, email=email, name=name, lang=lang, token=token)

    def _send_test(self, digest: StoredDigest, to: str, sender: SmtpSender, report: SendReport) -> None:
        """A test message to one address: no delivery row, the subscriber's token when there is one."""
        self._deliver(sender, self.preview_message(digest, to), _address(to), report)

    def _is_subscriber(self, address: str) -> bool:
        with self.db.session(read_only=True) as session:
            row = find(session, _address(address))
            return row is not None and row.active

    def _send_all(self, digest: StoredDigest, sender: SmtpSender, report: SendReport, *,
                  resend: bool, only: str | None = None) -> None:
        with self.db.session(read_only=True) as session:
            todo, uncertain = deliveries.to_send(session, digest.id, resend=resend)
            if only is not None:
                todo = [s for s in todo if s.email == only]
            done = deliveries.statuses(session, digest.id)
            active = session.scalars(select(Subscriber).where(Subscriber.active.is_(True))
                                     .order_by(Subscriber.id)).all()
        report.uncertain = [s.email for s in uncertain]
        todo_ids = {s.id for s in todo}
        report.already_sent = [s.email for s in active
                               if done.get(s.id) == deliveries.SENT and s.id not in todo_ids]
        for subscriber in todo:
            message = self.message(digest, email=subscriber.email, name=subscriber.name, lang=subscriber.lang,
                                   token=subscriber.token)
            with self.db.session() as session:
                deliveries.mark_sending(session, digest.id, subscriber.id, str(message["Message-ID"]),
                                        self.clock())
            try:
                status, error = self._deliver(sender, message, subscriber.email, report)
            except DeliveryError as exc:  # the server, not this recipient: record it and stop the run
                self._record(digest.id, subscriber.id, deliveries.FAILED, str(exc))
                raise
            self._record(digest.id, subscriber.id, status, error)

    def _record(self, digest_id: int, subscriber_id: int, status: str, error: str | None) -> None:
        with self.db.session() as session:
            deliveries.mark_done(session, digest_id, subscriber_id, status, now=self.clock(), error=error)

    def _deliver(self, sender: SmtpSender, message: EmailMessage, address: str,
                 report: SendReport) -> tuple[str, str | None]:
        """Hand one message over: (status, error), also noted in ``report``.

        Raises DeliveryError when the server itself is unusable (unreachable, login refused).
        """
        try:
            sender.send(message, address, sender_address(self.config.smtp.from_))
        except DeliveryError as exc:
            if exc.recipient is None:
                report.failed.append((address, str(exc)))
                raise
            (report.rejected if exc.permanent else report.failed).append((address, str(exc)))
            return (deliveries.REJECTED if exc.permanent else deliveries.FAILED), str(exc)
        report.sent.append(address)
        return deliveries.SENT, None
