"""Handing messages to an SMTP server: one envelope per recipient, retries for temporary failures.

``SmtpSender`` keeps one connection for a run (STARTTLS, implicit TLS or plain for a local relay, then
AUTH when a username is configured). ``send`` retries a temporary failure (4xx, a dropped connection)
with exponential backoff, reconnecting when needed, and raises ``DeliveryError`` with
``permanent=True`` for a 5xx refusal so the caller records it and moves on to the next recipient.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from types import TracebackType

from ..config import SmtpConfig
from ..errors import DeliveryError
from ..text import one_line

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]


def _code_of(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return max(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                         for code, msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return f"{exc.smtp_code} {error.decode(errors='replace') if isinstance(error, bytes) else error}"
    return f"{type(exc).__name__}: {exc}"


def is_permanent(exc: Exception) -> bool:
    """5xx answers are permanent; 4xx, dropped connections and timeouts are worth another try."""
    code = _code_of(exc)
    return code is not None and 500 <= code < 600


class SmtpSender:
    """A connection to the configured SMTP server; use as a context manager."""

    def __init__(self, config: SmtpConfig, *, sleep: Sleep = time.sleep) -> None:
        if not config.host or not config.from_:
            raise DeliveryError("no SMTP configured: set [smtp] host and from")
        self.config = config
        self.sleep = sleep
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context()
        try:
            if cfg.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds,
                                                      context=context)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.username:
                password = cfg.password()
                if password is None:
                    smtp.close()
                    raise DeliveryError(f"smtp.username is set but the environment variable "
                                        f"{cfg.password_env} holding the password is not", permanent=True)
                smtp.login(cfg.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP {cfg.host}:{cfg.port} refused the login: {_reason(exc)}",
                                permanent=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot connect to SMTP {cfg.host}:{cfg.port}: {_reason(exc)}") from None
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, message: EmailMessage, recipient: str, envelope_from: str) -> int:
        """Deliver ``message`` to one recipient; returns the attempts used, raises DeliveryError."""
        attempts = max(1, self.config.max_attempts)
        for attempt in range(1, attempts + 1):
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.send_message(message, from_addr=envelope_from, to_addrs=[recipient])
                return attempt
            except DeliveryError as exc:  # could not connect or log in: not this recipient's fault
                if exc.permanent:
                    raise
                error: Exception = exc
            except (OSError, smtplib.SMTPException) as exc:
                error = exc
                if is_permanent(exc):
                    self._reset()
                    raise DeliveryError(f"{recipient}: refused: {one_line(_reason(exc))}",
                                        recipient=recipient, permanent=True) from None
            self._reset(drop=not isinstance(error, smtplib.SMTPResponseException))
            if attempt < attempts:
                delay = self.config.retry_base_seconds * 2 ** (attempt - 1)
                log.info("temporary failure for %s (%s); retrying in %.1fs", recipient, _reason(error), delay)
                self.sleep(delay)
        if isinstance(error, DeliveryError):  # the server stayed unreachable: stop the run
            raise error
        raise DeliveryError(f"{recipient}: temporary failure after {attempts} attempts: "
                            f"{one_line(_reason(error))}", recipient=recipient)

    def _reset(self, drop: bool = False) -> None:
        """After a refusal the session is reset (RSET); after a broken connection it is dropped."""
        if self._smtp is None:
            return
        if not drop:
            try:
                self._smtp.rset()
                return
            except (OSError, smtplib.SMTPException):
                pass
        self._smtp.close()
        self._smtp = None
