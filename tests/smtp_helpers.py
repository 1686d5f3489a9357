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
        #: Seconds each DATA answer waits (so two concurrent senders provably overlap).
        self.delay = 0.0

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
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
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


class ScriptedSmtp:
    """A small SMTP server on 127.0.0.1 whose every answer a test can script, keeping the raw bytes of
    each message it accepts (what really went over the wire).

    ``answers`` maps a stage ("greeting", "EHLO", "MAIL", "RCPT", "DATA", "DOT") to the reply line;
    ``rcpt`` maps an address to its RCPT reply; ``dot`` maps an address to the reply after the message,
    or ``"drop"`` to close the connection without answering (a lost reply), once per listed address.
    """

    def __init__(self) -> None:
        import socketserver
        import threading

        self.answers: dict[str, str] = {}
        #: stage → replies given once each, in order, before ``answers`` (e.g. two 451s then normal).
        self.queue: dict[str, list[str]] = {}
        self.rcpt: dict[str, str] = {}
        self.dot: dict[str, str] = {}
        #: (envelope recipients, raw message bytes as received, dots unstuffed) of accepted messages.
        self.messages: list[tuple[list[str], bytes]] = []
        #: Every message whose final dot arrived, accepted or not (a dropped reply included).
        self.handed_over: list[str] = []
        self.commands: list[str] = []
        self.connections = 0
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                outer.connections += 1
                outer._session(self.rfile, self.wfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def received_by(self, address: str) -> list[bytes]:
        return [raw for rcpts, raw in self.messages if address in rcpts]

    def _answer(self, stage: str, default: str) -> str:
        queued = self.queue.get(stage)
        return queued.pop(0) if queued else self.answers.get(stage, default)

    def _say(self, wfile: Any, line: str) -> None:
        wfile.write(line.encode() + b"\r\n")
        wfile.flush()

    def _session(self, rfile: Any, wfile: Any) -> None:
        greeting = self._answer("greeting", "220 scripted ESMTP")
        self._say(wfile, greeting)
        if not greeting.startswith("2"):
            return
        rcpts: list[str] = []
        while True:
            raw = rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            self.commands.append(line)
            if verb in ("EHLO", "HELO"):
                self._say(wfile, self.answers.get("EHLO", "250 scripted"))
            elif verb == "MAIL":
                rcpts = []
                self._say(wfile, self._answer("MAIL", "250 OK"))
            elif verb == "RCPT":
                address = line.split(":", 1)[1].strip().strip("<>").split(">")[0]
                reply = self.rcpt.get(address, self.answers.get("RCPT", "250 OK"))
                if reply.startswith("2"):
                    rcpts.append(address)
                self._say(wfile, reply)
            elif verb == "DATA":
                reply = self.answers.get("DATA", "354 go ahead")
                self._say(wfile, reply)
                if not reply.startswith("3"):
                    continue
                body = b""
                while True:
                    chunk = rfile.readline()
                    if not chunk:
                        return
                    if chunk in (b".\r\n", b".\n"):
                        break
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                self.handed_over.extend(rcpts)
                scripted = [self.dot.pop(a) for a in rcpts if a in self.dot]
                reply = scripted[0] if scripted else self._answer("DOT", "250 OK")
                if reply == "drop":
                    return  # the connection closes with no answer: the client cannot know
                if reply.startswith("2"):
                    self.messages.append((list(rcpts), body))
                self._say(wfile, reply)
            elif verb == "RSET":
                rcpts = []
                self._say(wfile, "250 OK")
            elif verb == "QUIT":
                self._say(wfile, "221 bye")
                return
            else:
                self._say(wfile, "502 not implemented")
