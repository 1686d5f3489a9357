"""The digest stage's orchestrator: build (data → render → archive) and send (each subscriber once).

    build  Monitor.digest_data(window) → view model per language → HTML (CSS inlined) + text
           → ``digests`` row (one per window) + files + index.html + atom.xml
    send   active subscribers without a final delivery → per subscriber: render in their language,
           build the message, record "sending", hand it to SMTP, record "sent"/"failed"/"rejected"

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
from ..errors import DeliveryError
from ..store import Database
from ..store.models import Feed, Run, Subscriber
from ..store.subscribers import find, normalise_address
from ..text import one_line
from . import archive, deliveries
from .mail import Parts, build_message, sender_address, subject
from .model import DigestView, FailingFeed, build_view, count, is_empty
from .render import Unsubscribe, render_html, render_text
from .smtp import Sleep, SmtpSender
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
    #: A run died while handing these over: maybe delivered, not sent again (use --resend --to).
    uncertain: list[str] = field(default_factory=list)
    skipped_empty: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.rejected


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
        raise DeliveryError(f"--to: {exc}") from None


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
        parts = self.parts(digest, lang, self.unsubscribe_for(token))
        return build_message(parts, from_=self.from_, to_email=email, to_name=name, token=token,
                             unsubscribe_url=self.config.digest.unsubscribe_url, now=self.clock(), lang=lang)

    def send(self, digest: StoredDigest, *, to: str | None = None, resend: bool = False) -> SendReport:
        report = SendReport(digest.id)
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
