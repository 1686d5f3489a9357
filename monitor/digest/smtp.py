"""Handing messages to an SMTP server: one envelope per recipient, each answer classified by its stage.

``SmtpSender`` keeps one connection for a run (STARTTLS, implicit TLS or plain for a local relay, then
AUTH when a username is configured) and walks each message through the SMTP stages itself, because
what a refusal means depends on where it comes:

    stage                         5xx                              4xx, dropped connection, timeout
    connect, EHLO, STARTTLS, AUTH the session is refused:          retried with backoff; still failing
    MAIL FROM                     the run fails (DeliveryError,    after max_attempts: the run fails
                                  the server's answer quoted),
                                  deliveries stay pending
    RCPT TO, DATA, after the dot  this recipient is "rejected"     retried; then "failed" (next run)
    the answer after the dot      —                                lost: "uncertain" (the server may
                                                                   have accepted it; never retried)

A refused connection or an unknown host fails at once (no silent retries); ``send`` returns a
``Handover`` for everything that concerns one recipient and raises only for the session.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

from ..config import SmtpConfig
from ..errors import DeliveryError
from ..text import one_line
from .mail import to_wire

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]

SENT, FAILED, REJECTED, UNCERTAIN = "sent", "failed", "rejected", "uncertain"
#: The caller's ``claim`` said another run has this delivery: nothing was handed over.
SKIPPED = "skipped"
#: Longest server answer quoted in a message (answers can be long multi-line texts).
REPLY_LIMIT = 300


@dataclass(frozen=True)
class Handover:
    """What became of one message for one recipient."""

    #: "sent", "failed" (temporary, retried by the next run), "rejected" (5xx for this recipient),
    #: "uncertain" (the answer after the message was lost) or "skipped" (``claim`` said no).
    status: str
    reason: str | None = None
    attempts: int = 1


class _Temporary(Exception):
    """A 4xx answer or a broken connection: worth another attempt."""

    def __init__(self, reason: str, *, drop: bool, session: bool = False) -> None:
        super().__init__(reason)
        #: ``session``: the connection could not be opened (nothing to do with the recipient).
        self.reason, self.drop, self.session = reason, drop, session


def _text(reply: bytes | str) -> str:
    return one_line(reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply), REPLY_LIMIT)


def answer(code: int, reply: bytes | str) -> str:
    return f"{code} {_text(reply)}".strip()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return answer(exc.smtp_code, exc.smtp_error)
    return one_line(f"{type(exc).__name__}: {exc}", REPLY_LIMIT)


def is_permanent(code: int | None) -> bool:
    """5xx answers are permanent; 4xx, dropped connections and timeouts are worth another try."""
    return code is not None and 500 <= code < 600


class SmtpSender:
    """A connection to the configured SMTP server; use as a context manager."""

    def __init__(self, config: SmtpConfig, *, sleep: Sleep = time.sleep) -> None:
        if not config.host or not config.from_:
            raise DeliveryError("no SMTP configured: set [smtp] host and from")
        self.config = config
        self.sleep = sleep
        self._smtp: smtplib.SMTP | None = None
        self._context: ssl.SSLContext | None = None

    @property
    def where(self) -> str:
        return f"SMTP {self.config.host}:{self.config.port}"

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the session -----------------------------------------------------------------------------------

    def _ssl(self) -> ssl.SSLContext:
        if self._context is None:  # one context per run, built only when TLS is used
            self._context = ssl.create_default_context()
        return self._context

    def _refused(self, what: str, exc: smtplib.SMTPResponseException) -> DeliveryError | _Temporary:
        if is_permanent(exc.smtp_code):
            return DeliveryError(f"{self.where} refused {what}: {_reason(exc)}", permanent=True)
        return _Temporary(f"{what}: {_reason(exc)}", drop=True, session=True)

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            if cfg.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds,
                                                      context=self._ssl())
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        except (ConnectionRefusedError, socket.gaierror) as exc:  # nobody there: retrying will not help
            raise DeliveryError(f"cannot connect to {self.where}: {_reason(exc)}") from None
        except smtplib.SMTPConnectError as exc:  # the greeting was a refusal
            raise self._refused("the connection", exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Temporary(f"cannot connect: {_reason(exc)}", drop=True, session=True) from None
        try:
            self._open(smtp)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _open(self, smtp: smtplib.SMTP) -> None:
        """EHLO, STARTTLS and AUTH on a fresh connection."""
        cfg = self.config
        stage = "EHLO"
        try:
            smtp.ehlo_or_helo_if_needed()
            if cfg.security == "starttls":
                stage = "STARTTLS"
                smtp.starttls(context=self._ssl())
                smtp.ehlo()
            if cfg.username:
                stage = "the login"
                password = cfg.password()
                if password is None:
                    raise DeliveryError(f"smtp.username is set but the environment variable "
                                        f"{cfg.password_env} holding the password is not", permanent=True)
                smtp.login(cfg.username, password)
        except smtplib.SMTPResponseException as exc:
            raise self._refused(stage, exc) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{self.where}: {stage} not supported: {exc}", permanent=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Temporary(f"{stage}: {_reason(exc)}", drop=True, session=True) from None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _rset(self) -> None:
        """After a refusal the session is reset (RSET) so the next envelope starts clean."""
        if self._smtp is None:
            return
        try:
            code, _ = self._smtp.docmd("RSET")
        except (OSError, smtplib.SMTPException):
            code = 0
        if code != 250:
            self._drop()

    # -- one message -----------------------------------------------------------------------------------

    def send(self, message: EmailMessage | bytes, recipient: str, envelope_from: str,
             claim: Callable[[], bool] | None = None) -> Handover:
        """Hand ``message`` over for one recipient; raises DeliveryError only when the session or the
        sender is refused (or the server stays unreachable), which stops the run.

        ``claim``, when given, is called once, after MAIL FROM is written and before its answer is read
        (so the caller's bookkeeping overlaps the server's round trip), and always before the message
        goes out; when it returns False nothing is handed over ("skipped").
        """
        data = to_wire(message)
        attempts = max(1, self.config.max_attempts)
        reason, session = "", False
        pending_claim = [claim] if claim is not None else []
        for attempt in range(1, attempts + 1):
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                status, reason = self._transaction(self._smtp, data, recipient, envelope_from, pending_claim)
                return Handover(status, None if status in (SENT, SKIPPED) else f"{recipient}: {reason}",
                                attempt)
            except _Temporary as exc:
                reason, session = exc.reason, exc.session
                if exc.drop:
                    self._drop()
                else:
                    self._rset()
            if attempt < attempts:
                delay = self.config.retry_base_seconds * 2 ** (attempt - 1)
                log.info("temporary failure for %s (%s); retrying in %.1fs", recipient, reason, delay)
                self.sleep(delay)
        if session:  # never got a usable session: the server, not this recipient
            raise DeliveryError(f"{self.where}: {reason} (after {attempts} attempts)")
        return Handover(FAILED, f"{recipient}: temporary failure after {attempts} attempts: {reason}",
                        attempts)

    def _transaction(self, smtp: smtplib.SMTP, data: bytes, recipient: str, envelope_from: str,
                     pending_claim: list[Callable[[], bool]]) -> tuple[str, str]:
        """MAIL FROM, RCPT TO, DATA, the message: (status, the server's answer). Both addresses were
        checked when stored or configured (plain ``local@domain``), so they go out as they are."""
        code, reply = self._mail(smtp, envelope_from, pending_claim)
        if code == 0:  # the claim was lost: another run sends this one
            self._rset()
            return SKIPPED, "claimed by another run"
        if code != 250:
            if is_permanent(code):
                self._rset()
                raise DeliveryError(f"{self.where} refused the sender {envelope_from}: {answer(code, reply)}",
                                    permanent=True)
            raise _Temporary(f"MAIL FROM: {answer(code, reply)}", drop=False)
        code, reply = self._command(smtp.docmd, f"RCPT TO:<{recipient}>")
        if code not in (250, 251):
            return self._refusal("RCPT TO", code, reply)
        code, reply = self._command(smtp.docmd, "DATA")
        if code != 354:
            return self._refusal("DATA", code, reply)
        try:
            smtp.send(data)
        except (OSError, smtplib.SMTPException) as exc:  # the final dot never went out: not delivered
            raise _Temporary(f"sending the message: {_reason(exc)}", drop=True) from None
        try:
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return UNCERTAIN, f"no answer after the message was handed over ({_reason(exc)})"
        if code == 250:
            return SENT, answer(code, reply)
        if is_permanent(code):
            return REJECTED, f"refused: {answer(code, reply)}"
        raise _Temporary(f"after the message: {answer(code, reply)}", drop=False)

    def _mail(self, smtp: smtplib.SMTP, envelope_from: str,
              pending_claim: list[Callable[[], bool]]) -> tuple[int, bytes]:
        """MAIL FROM, running the caller's claim (once) while the server answers; code 0: claim lost."""
        try:
            smtp.putcmd("MAIL", f"FROM:<{envelope_from}>")
        except (OSError, smtplib.SMTPException) as exc:
            raise _Temporary(_reason(exc), drop=True) from None
        won = True
        if pending_claim:
            try:
                won = pending_claim.pop()()
            except BaseException:
                self._drop()  # MAIL FROM's answer is still unread: this session cannot go on
                raise
        try:
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            raise _Temporary(_reason(exc), drop=True) from None
        return (code, reply) if won else (0, reply)

    def _refusal(self, stage: str, code: int, reply: bytes) -> tuple[str, str]:
        """A refusal of this one recipient (RCPT TO, or DATA of its one-recipient envelope)."""
        if is_permanent(code):
            self._rset()
            return REJECTED, f"refused: {answer(code, reply)}"
        raise _Temporary(f"{stage}: {answer(code, reply)}", drop=False)

    @staticmethod
    def _command(call: Callable[[str], tuple[int, bytes]], arg: str) -> tuple[int, bytes]:
        try:
            return call(arg)
        except (OSError, smtplib.SMTPException) as exc:  # the connection broke before the message
            raise _Temporary(_reason(exc), drop=True) from None
