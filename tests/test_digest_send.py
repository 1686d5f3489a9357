"""Sending the digest to a real SMTP server (aiosmtpd on 127.0.0.1): once per subscriber, retries,
refusals, STARTTLS with AUTH, and a crash in the middle of a run."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import NOW
from smtp_helpers import Inbox, free_port
from sqlalchemy import select
from test_digest_model import sample_data

from monitor.config import Config, load_config
from monitor.core import Monitor
from monitor.digest.pipeline import DigestPipeline, StoredDigest
from monitor.errors import DeliveryError, InputError
from monitor.store.models import Delivery

SUBSCRIBERS = ("ann@example.org", "bob@example.org", "cat@example.org")
UNSUBSCRIBE_URL = "https://watch.example.org/unsubscribe/{token}"
EXIT_UNCERTAIN = 3




def smtp_table(port: int, **extra: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "security": "none", "from": "Watch <watch@example.org>",
            "retry_base_seconds": 0.01, "max_attempts": 3, "timeout_seconds": 10, **extra}


def _monitor(config: Config) -> Monitor:
    monitor = Monitor(config, clock=lambda: NOW)
    monitor.ensure_schema()
    for address in SUBSCRIBERS:
        monitor.add_subscriber(address, name=address.split("@")[0].title(), lang="en")
    return monitor


def _build(monitor: Monitor, data: dict[str, Any] | None = None) -> StoredDigest:
    """A digest built from hand-written digest JSON (the real digest_data is used by the CLI tests)."""
    window = monitor.window_for_week("2026-W46")
    return DigestPipeline(monitor.config, monitor.db, monitor.clock).build(window, data or sample_data())


def _statuses(monitor: Monitor) -> list[str]:
    with monitor.db.session(read_only=True) as session:
        return sorted(session.scalars(select(Delivery.status)))


def test_each_subscriber_gets_one_multipart_message_with_unsubscribe_headers(
        make_config: Callable[..., Config], inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    monitor = _monitor(make_config(smtp=smtp_table(port), digest={"unsubscribe_url": UNSUBSCRIBE_URL}))
    digest = _build(monitor)
    report = monitor.send_digest(digest)
    assert sorted(report.sent) == sorted(SUBSCRIBERS) and report.ok
    assert len(handler.messages) == 3 and all(len(rcpts) == 1 for rcpts, _ in handler.messages)
    tokens = {s.email: s.token for s in monitor.list_subscribers()}
    for address in SUBSCRIBERS:
        [message] = handler.received_by(address)
        assert message["Subject"] == "Russia–North Korea watch, week 46 of 2026: 2 new developments"
        assert message["To"].addresses[0].addr_spec == address
        assert message["Date"] and message["Message-ID"]
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        token = tokens[address]
        assert message["List-Unsubscribe"] == (
            f"<mailto:watch@example.org?subject=unsubscribe%20{token}>, "
            f"<https://watch.example.org/unsubscribe/{token}>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = message.get_body(("plain",)).get_content()
        assert "NEW DEVELOPMENTS" in text and f"unsubscribe {token}" in text
        assert "Kim and Putin sign" in message.get_body(("html",)).get_content()
    assert monitor.digest_sent(digest.window)
    again = monitor.send_digest(digest)
    assert again.sent == [] and sorted(again.already_sent) == sorted(SUBSCRIBERS)
    assert len(handler.messages) == 3
    forced = monitor.send_digest(digest, resend=True)
    assert len(forced.sent) == 3 and len(handler.messages) == 6
    monitor.close()


def test_a_temporary_failure_is_retried_and_a_refusal_does_not_stop_the_others(
        make_config: Callable[..., Config], inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    handler.defer["bob@example.org"] = 2
    handler.reject.add("cat@example.org")
    monitor = _monitor(make_config(smtp=smtp_table(port)))
    digest = _build(monitor)
    report = monitor.send_digest(digest)
    assert sorted(report.sent) == ["ann@example.org", "bob@example.org"]
    assert handler.rcpt_attempts["bob@example.org"] == 3
    assert len(handler.received_by("bob@example.org")) == 1
    assert [address for address, _ in report.rejected] == ["cat@example.org"]
    assert "550" in report.rejected[0][1] and not report.ok
    assert _statuses(monitor) == ["rejected", "sent", "sent"]
    # A permanent refusal is final: a second run mails nobody and asks nobody again.
    again = monitor.send_digest(digest)
    assert again.sent == [] and handler.rcpt_attempts["cat@example.org"] == 1
    assert monitor.digest_sent(digest.window)
    monitor.close()


def test_temporary_failures_that_outlast_the_attempts_are_retried_by_the_next_run(
        make_config: Callable[..., Config], inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    handler.defer["ann@example.org"] = 3  # max_attempts = 3: this run gives up, the next one succeeds
    monitor = _monitor(make_config(smtp=smtp_table(port)))
    digest = _build(monitor)
    first = monitor.send_digest(digest)
    assert [address for address, _ in first.failed] == ["ann@example.org"] and len(first.sent) == 2
    assert not monitor.digest_sent(digest.window)
    second = monitor.send_digest(digest)
    assert second.sent == ["ann@example.org"]
    assert all(len(handler.received_by(a)) == 1 for a in SUBSCRIBERS)
    monitor.close()


@pytest.fixture
def tls_inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, int, list[str]]]:
    """An SMTP server that requires STARTTLS and AUTH, with a throw-away CA the client is told to trust."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    logins: list[str] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"watch", b"s3cret")
        if ok:
            logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=server_context,
                            require_starttls=True, auth_required=True, auth_require_tls=True,
                            authenticator=authenticator)
    controller.start()
    yield handler, controller.port, logins
    controller.stop()


def test_starttls_and_auth(make_config: Callable[..., Config], tls_inbox: tuple[Inbox, int, list[str]],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    handler, port, logins = tls_inbox
    monkeypatch.setenv("WATCH_SMTP_PASSWORD", "s3cret")
    smtp = smtp_table(port, security="starttls", username="watch", password_env="WATCH_SMTP_PASSWORD")
    monitor = _monitor(make_config(smtp=smtp))
    report = monitor.send_digest(_build(monitor))
    assert sorted(report.sent) == sorted(SUBSCRIBERS) and logins == ["watch"]
    assert all(len(handler.received_by(a)) == 1 for a in SUBSCRIBERS)
    monitor.close()


def test_implicit_tls(make_config: Callable[..., Config], tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ssl_context=server_context)
    controller.start()
    try:
        monitor = _monitor(make_config(smtp=smtp_table(controller.port, security="tls")))
        report = monitor.send_digest(_build(monitor))
        monitor.close()
    finally:
        controller.stop()
    assert sorted(report.sent) == sorted(SUBSCRIBERS) and len(handler.messages) == 3


def test_to_sends_one_test_message_and_records_no_delivery(make_config: Callable[..., Config],
                                                          inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    monitor = _monitor(make_config(smtp=smtp_table(port)))
    digest = _build(monitor)
    report = monitor.send_digest(digest, to="editor@example.net")
    assert report.sent == ["editor@example.net"] and len(handler.messages) == 1
    assert "unsubscribe%20test" in handler.messages[0][1]["List-Unsubscribe"]
    assert _statuses(monitor) == [] and not monitor.digest_sent(digest.window)
    with pytest.raises(InputError, match="--to: 'nobody' is not an email address"):
        monitor.send_digest(digest, to="nobody")
    monitor.close()


def test_a_wrong_password_is_one_clear_error(make_config: Callable[..., Config],
                                            tls_inbox: tuple[Inbox, int, list[str]],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    handler, port, _ = tls_inbox
    monkeypatch.setenv("WATCH_SMTP_PASSWORD", "wrong")
    smtp = smtp_table(port, security="starttls", username="watch", password_env="WATCH_SMTP_PASSWORD")
    monitor = _monitor(make_config(smtp=smtp))
    with pytest.raises(DeliveryError, match="refused the login"):
        monitor.send_digest(_build(monitor))
    assert handler.messages == []
    monitor.close()


def test_untrusted_titles_reach_neither_headers_nor_unescaped_html(
        make_config: Callable[..., Config], inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    monitor = _monitor(make_config(smtp=smtp_table(port)))
    with pytest.raises(InputError, match="control character"):
        monitor.add_subscriber("eve@example.org", name="Eve\r\nBcc: victim@example.net")
    monitor.add_subscriber("eve@example.org", name="Eve Bcc: victim@example.net")
    evil = "<script>alert('x')</script> Pact\r\nBcc: victim@example.net\nSubject: spoofed"
    monitor.send_digest(_build(monitor, sample_data(title=evil)))
    assert "victim@example.net" not in [a for rcpts, _ in handler.messages for a in rcpts]
    [to_eve] = handler.received_by("eve@example.org")
    assert to_eve["To"].addresses[0].display_name == "Eve Bcc: victim@example.net"  # one quoted name
    for _, message in handler.messages:
        header_block = message.as_string().split("\n\n", 1)[0]
        header_lines = [line for line in header_block.splitlines() if not line.startswith((" ", "\t"))]
        assert not [line for line in header_lines if line.lower().startswith(("bcc:", "subject: spoofed"))]
        assert "script" not in header_block and "spoofed" not in header_block
        assert message["Bcc"] is None and len(message.get_all("Subject")) == 1
        html = message.get_body(("html",)).get_content()
        assert "<script>" not in html
        assert "&lt;script&gt;alert('x')&lt;/script&gt; Pact Bcc: victim@example.net" in html
        assert "Pact Bcc: victim@example.net Subject: spoofed" in message.get_body(("plain",)).get_content()
    monitor.close()


def test_send_without_smtp_says_what_to_configure(monitor: Monitor) -> None:
    with pytest.raises(DeliveryError, match=r"no SMTP configured: set \[smtp\] host and from"):
        monitor.send_digest(_build(monitor))


def test_skip_empty_sends_nothing(make_config: Callable[..., Config], inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    monitor = _monitor(make_config(smtp=smtp_table(port), digest={"skip_empty": True}))
    data = sample_data()
    data["stories"] = []
    digest = _build(monitor, data)
    report = monitor.send_digest(digest)
    assert report.skipped_empty and handler.messages == []
    assert monitor.digest_sent(digest.window)  # nothing will ever be due for this week
    monitor.close()


def test_a_crash_after_the_first_recipient_then_a_rerun_mails_everyone_exactly_once(
        write_config: Callable[..., Path], inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    """The real CLI in a subprocess, killed (SIGKILL) while the server accepts its first message."""
    handler, port = inbox
    config_path = write_config({"smtp": smtp_table(port)})
    with Monitor(load_config(config_path), clock=lambda: NOW) as setup:
        setup.ensure_schema()
        for address in SUBSCRIBERS:
            setup.add_subscriber(address)
    command = [sys.executable, "-m", "monitor", "--config", str(config_path), "digest", "--week", "2026-W46",
               "--send"]
    env = {**os.environ, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    handler.on_data = lambda: os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=120)
    assert first.returncode == -signal.SIGKILL
    assert len(handler.messages) == 1

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == EXIT_UNCERTAIN, rerun.stderr  # one delivery is unresolved
    assert "2 sent" in rerun.stdout and "1 uncertain" in rerun.stdout
    assert "may have been delivered" in rerun.stderr  # the one whose answer the crash swallowed
    for address in SUBSCRIBERS:
        assert len(handler.received_by(address)) == 1, address

    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert "0 sent, 2 already sent earlier" in third.stdout and third.returncode == EXIT_UNCERTAIN
    assert len(handler.messages) == 3

    # The operator checks with the subscriber, then forces that one copy; it now counts as delivered.
    uncertain = next(a for a in SUBSCRIBERS if f"uncertain delivery to {a}: an earlier run stopped"
                     in rerun.stderr)
    forced = subprocess.run([*command, "--resend", "--to", uncertain], env=env, capture_output=True,
                            text=True, timeout=120)
    assert "1 sent" in forced.stdout and len(handler.received_by(uncertain)) == 2
    assert forced.returncode == 0, forced.stderr
    with Monitor(load_config(config_path), clock=lambda: NOW) as check:
        assert check.digest_sent(check.window_for_week("2026-W46"))
        with check.db.session(read_only=True) as session:
            assert sorted(session.scalars(select(Delivery.status))) == ["sent", "sent", "sent"]
