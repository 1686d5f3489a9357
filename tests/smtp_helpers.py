"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 keeping what it receives."""

from __future__ import annotations

import socket
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


class Inbox:
    """An aiosmtpd handler that keeps every accepted message and can refuse or defer recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        #: address → how many more RCPT TO get "451" before it is accepted.
        self.defer: dict[str, int] = {}
        self.reject: set[str] = set()
        self.rcpt_attempts: dict[str, int] = {}
        #: Called after a message is stored, before the server answers (e.g. to kill the client).
        self.on_data: Callable[[], None] | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
        if address in self.reject:
            return "550 5.1.1 no such mailbox"
        if self.defer.get(address, 0) > 0:
            self.defer[address] -= 1
            return "451 4.3.0 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        if self.on_data is not None:
            callback, self.on_data = self.on_data, None
            callback()
        return "250 OK queued"

    def received_by(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]

    @property
    def recipients(self) -> list[str]:
        """Every address a message was delivered to, once per copy."""
        return [address for rcpts, _ in self.messages for address in rcpts]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
