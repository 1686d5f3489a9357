"""The sending faults of issue 11, kept as tests: what each SMTP refusal means, a lost answer after the
message, two senders at once (real processes, with and without the run lock), on SQLite and PostgreSQL.

Every case checks what a subscriber would notice: how many copies each one received, and that a
refusal of the session never turns into a final "rejected" for everyone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW
from smtp_helpers import Inbox, ScriptedSmtp, free_port
from sqlalchemy import select
from test_digest_model import sample_data

from monitor.cli import main
from monitor.config import Config, load_config
from monitor.core import Monitor
from monitor.digest.pipeline import DigestPipeline, StoredDigest
from monitor.errors import DeliveryError
from monitor.store.models import Delivery, Subscriber

SUBSCRIBERS = ("ann@example.org", "bob@example.org", "cat@example.org")
#: Generous bound for a helper process (never asserted as a duration).
PATIENCE_SECONDS = 240
EXIT_UNCERTAIN = 3


def smtp_table(port: int, **extra: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "security": "none", "from": "Watch <watch@example.org>",
            "retry_base_seconds": 0.01, "max_attempts": 3, "timeout_seconds": 10, **extra}


@pytest.fixture
def scripted() -> Iterator[ScriptedSmtp]:
    server = ScriptedSmtp()
    yield server
    server.close()


def _monitor(config: Config, addresses: tuple[str, ...] = SUBSCRIBERS) -> Monitor:
    monitor = Monitor(config, clock=lambda: NOW)
    monitor.ensure_schema()
    for address in addresses:
        monitor.add_subscriber(address, lang="en")
    return monitor


def _build(monitor: Monitor) -> StoredDigest:
    return DigestPipeline(monitor.config, monitor.db, monitor.clock).build(
        monitor.window_for_week("2026-W46"), sample_data())


def _statuses(monitor: Monitor) -> dict[str, str]:
    with monitor.db.session(read_only=True) as session:
        rows = session.execute(select(Subscriber.email, Delivery.status)
                               .join(Delivery, Delivery.subscriber_id == Subscriber.id))
        return {email: status for email, status in rows}


# -- what a refusal means depends on where it comes -------------------------------------------------------


@pytest.mark.parametrize(("stage", "answer"), [
    ("MAIL", "530 5.7.0 Authentication required"),
    ("MAIL", "553 5.7.1 sender address rejected"),
    ("greeting", "554 5.3.2 no service for you"),
    ("EHLO", "550 5.7.1 go away"),
])
def test_a_refusal_of_the_session_or_sender_fails_the_run_and_loses_no_week(
        make_config: Callable[..., Config], scripted: ScriptedSmtp, stage: str, answer: str) -> None:
    scripted.answers[stage] = answer
    monitor = _monitor(make_config(smtp=smtp_table(scripted.port)))
    digest = _build(monitor)
    with pytest.raises(DeliveryError) as caught:
        monitor.send_digest(digest)
    assert answer in str(caught.value)  # the server's answer quoted
    assert "rejected" not in _statuses(monitor).values()  # nobody refused for good
    assert not monitor.digest_sent(digest.window) and scripted.messages == []
    # The operator fixes the password (here: the server stops refusing); the next run mails everyone once.
    del scripted.answers[stage]
    report = monitor.send_digest(digest)
    assert sorted(report.sent) == sorted(SUBSCRIBERS) and report.ok
    assert all(len(scripted.received_by(a)) == 1 for a in SUBSCRIBERS)
    assert monitor.digest_sent(digest.window)
    monitor.close()


@pytest.mark.parametrize(("stage", "answers"), [
    ("MAIL", ["451 4.3.0 try again", "421 4.7.0 busy"]),
    ("DOT", ["452 4.3.1 out of memory", "451 4.3.0 later"]),
    ("greeting", ["421 4.3.2 not now"]),
])
def test_temporary_refusals_are_retried_and_deliver_exactly_once(
        make_config: Callable[..., Config], scripted: ScriptedSmtp, stage: str, answers: list[str]) -> None:
    scripted.queue[stage] = list(answers)
    monitor = _monitor(make_config(smtp=smtp_table(scripted.port)))
    report = monitor.send_digest(_build(monitor))
    assert sorted(report.sent) == sorted(SUBSCRIBERS) and report.ok
    assert all(len(scripted.received_by(a)) == 1 for a in SUBSCRIBERS)
    assert scripted.queue[stage] == []  # every temporary answer was met, and outlived
    monitor.close()


def test_a_refusal_of_one_recipient_after_the_message_rejects_only_them(
        make_config: Callable[..., Config], scripted: ScriptedSmtp) -> None:
    scripted.dot["bob@example.org"] = "554 5.6.0 message content refused"
    scripted.rcpt["cat@example.org"] = "550 5.1.1 no such mailbox"
    monitor = _monitor(make_config(smtp=smtp_table(scripted.port)))
    report = monitor.send_digest(_build(monitor))
    assert report.sent == ["ann@example.org"]
    assert sorted(a for a, _ in report.rejected) == ["bob@example.org", "cat@example.org"]
    assert "554 5.6.0 message content refused" in dict(report.rejected)["bob@example.org"]
    assert _statuses(monitor) == {"ann@example.org": "sent", "bob@example.org": "rejected",
                                  "cat@example.org": "rejected"}
    monitor.close()


def test_a_lost_answer_after_the_message_is_uncertain_and_never_retried(
        make_config: Callable[..., Config], scripted: ScriptedSmtp) -> None:
    scripted.dot["bob@example.org"] = "drop"  # the server has the whole message, then the line goes dead
    monitor = _monitor(make_config(smtp=smtp_table(scripted.port)))
    digest = _build(monitor)
    report = monitor.send_digest(digest)
    assert sorted(report.sent) == ["ann@example.org", "cat@example.org"]
    assert report.uncertain == ["bob@example.org"] and report.failed == []
    assert "no answer after the message was handed over" in report.notes["bob@example.org"]
    assert scripted.handed_over.count("bob@example.org") == 1  # not retried in this run …
    again = monitor.send_digest(digest)
    assert again.sent == [] and again.uncertain == ["bob@example.org"]
    assert scripted.handed_over.count("bob@example.org") == 1  # … nor in the next
    assert monitor.uncertain_deliveries(digest.window)[0][0] == "bob@example.org"
    deliveries = monitor.status()["last_digest"]["deliveries"]
    assert (deliveries["sent"], deliveries["uncertain"]) == (2, 1)
    assert deliveries["uncertain_addresses"][0]["email"] == "bob@example.org"
    monitor.close()


def test_a_refused_port_fails_at_once_with_one_line(make_config: Callable[..., Config],
                                                    write_config: Callable[..., Path],
                                                    capsys: pytest.CaptureFixture) -> None:
    port = free_port()  # nothing listens there
    monitor = _monitor(make_config(smtp=smtp_table(port, max_attempts=5)))
    pauses: list[float] = []
    pipeline = DigestPipeline(monitor.config, monitor.db, monitor.clock, sleep=pauses.append)
    with pytest.raises(DeliveryError, match=f"cannot connect to SMTP 127.0.0.1:{port}: .*refused"):
        pipeline.send(_build(monitor))
    assert pauses == []  # no silent retries against a port nobody listens on
    assert "rejected" not in _statuses(monitor).values()
    monitor.close()
    config = write_config({"smtp": smtp_table(port)})
    assert main(["--config", str(config), "digest", "--week", "2026-W46", "--send"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"monitor: error: cannot connect to SMTP 127.0.0.1:{port}") and err.count("\n") == 1


# -- two senders at once ------------------------------------------------------------------------------------


def _cli_config(write_config: Callable[..., Path], port: int, count: int, **schedule: Any) -> Path:
    config = write_config({"smtp": smtp_table(port), "feeds": [],
                           "schedule": {"lock_timeout_seconds": PATIENCE_SECONDS, **schedule},
                           "digest": {"time": "00:00"},
                           "watch": {"seeds_dir": str(Path.cwd() / "no-seeds")}})
    with Monitor(load_config(config), clock=lambda: NOW) as setup:
        setup.ensure_schema()
        for i in range(count):
            setup.add_subscriber(f"reader{i:02d}@example.org")
    return config


def _run_all(commands: list[list[str]], tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    results = []
    for proc, command in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=PATIENCE_SECONDS)
        results.append(subprocess.CompletedProcess(command, proc.returncode, out, err))
    return results


def _monitor_cli(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "--config", str(config), *args]


def _each_once(handler: Inbox, count: int) -> None:
    got = sorted(handler.recipients)
    assert got == sorted(f"reader{i:02d}@example.org" for i in range(count)), got


def test_two_digest_send_at_once_mail_everyone_exactly_once(
        write_config: Callable[..., Path], inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    handler, port = inbox
    handler.delay = 0.02  # each message takes a moment, so the two runs overlap
    config = _cli_config(write_config, port, 20)
    command = _monitor_cli(config, "digest", "--send")
    results = _run_all([command, command], tmp_path)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert not any("Traceback" in r.stderr or "earlier run stopped" in r.stderr for r in results)
    _each_once(handler, 20)
    assert sorted(r.stdout.splitlines()[-1].split(",")[0] for r in results) == ["0 sent", "20 sent"]


def test_once_and_a_manual_digest_send_at_once_mail_everyone_exactly_once(
        write_config: Callable[..., Path], inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    handler, port = inbox
    handler.delay = 0.02
    config = _cli_config(write_config, port, 20)
    results = _run_all([_monitor_cli(config, "once"), _monitor_cli(config, "digest", "--send")], tmp_path)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert not any("Traceback" in r.stderr for r in results)
    _each_once(handler, 20)


_UNLOCKED_SENDER = """
import json, sys
from monitor.config import load_config
from monitor.core import Monitor
from monitor.digest.pipeline import DigestPipeline
m = Monitor(load_config(sys.argv[1]))
pipeline = DigestPipeline(m.config, m.db, m.clock)
digest = pipeline.build(m.window_for_week("2026-W46"), json.loads(sys.argv[2]))
print("ready", flush=True)
sys.stdin.readline()  # both processes start sending together
report = pipeline.send(digest)  # straight to the pipeline: no run lock at all
print(json.dumps({"sent": report.sent, "uncertain": report.uncertain, "elsewhere": report.elsewhere}))
"""


def test_two_senders_without_the_lock_never_both_send_one(
        write_config: Callable[..., Path], inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    import json

    handler, port = inbox
    handler.delay = 0.02  # 40 × 20 ms: a window wide enough that both processes are sending in it
    config = _cli_config(write_config, port, 40)
    data = json.dumps(sample_data(), default=str)
    with Monitor(load_config(config), clock=lambda: NOW) as setup:  # the digest exists before both start
        _build(setup)
    env = {**os.environ, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    procs = [subprocess.Popen([sys.executable, "-c", _UNLOCKED_SENDER, str(config), data], env=env,
                              text=True, **pipes) for _ in range(2)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.stderr
    for proc in procs:  # release both before waiting for either
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=PATIENCE_SECONDS) for proc in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    reports = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    _each_once(handler, 40)
    assert sum(len(r["sent"]) for r in reports) == 40
    assert all(r["uncertain"] == [] for r in reports)  # no false "an earlier run stopped while sending"
    assert all(r["sent"] for r in reports)  # both really sent side by side, each its own share


# -- uncertain deliveries are named by once, the daemon and status --------------------------------------


def test_once_names_an_uncertain_delivery_and_exits_3_until_it_is_resolved(
        write_config: Callable[..., Path], scripted: ScriptedSmtp, capsys: pytest.CaptureFixture) -> None:
    from monitor.schedule.jobs import digest_job

    config = write_config({"smtp": smtp_table(scripted.port), "feeds": [], "digest": {"time": "00:00"},
                           "watch": {"seeds_dir": str(Path.cwd() / "no-seeds")}})
    with Monitor(load_config(config)) as setup:
        setup.init()
        for address in ("ann@example.org", "bob@example.org"):
            setup.add_subscriber(address)
        week = setup.default_window().label
    scripted.dot["ann@example.org"] = "drop"
    assert main(["--config", str(config), "once"]) == EXIT_UNCERTAIN
    out, err = capsys.readouterr()
    assert f"digest {week}: sent to 1 subscribers; 1 uncertain: ann@example.org" in out
    assert ("monitor: warning: uncertain delivery to ann@example.org: no answer after the message was "
            "handed over") in err
    assert main(["--config", str(config), "once"]) == EXIT_UNCERTAIN  # still unresolved: still said
    out, err = capsys.readouterr()
    assert "already sent; 1 uncertain: ann@example.org" in out and "uncertain delivery to ann" in err
    import logging

    journal: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: journal.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("monitor.schedule").addHandler(handler)
    try:
        digest_job(str(config))  # the daemon's weekly job says it in the journal
    finally:
        logging.getLogger("monitor.schedule").removeHandler(handler)
    assert any("uncertain delivery to ann@example.org" in line for line in journal), journal

    assert main(["--config", str(config), "status"]) == 0
    out, err = capsys.readouterr()
    assert f"last digest: {week}: 1 sent, 0 failed, 0 refused, 1 uncertain" in out
    assert f"smtp:        127.0.0.1:{scripted.port} from Watch <watch@example.org>" in out
    assert "next digest: " in out and "uncertain delivery to ann@example.org" in err
    assert scripted.handed_over.count("ann@example.org") == 1  # never sent again on its own

    # The operator checks with Ann, then forces her copy: resolved, and `once` is content again.
    assert main(["--config", str(config), "digest", "--week", week, "--resend", "--to",
                 "ann@example.org"]) == 0
    assert main(["--config", str(config), "once"]) == 0
    assert scripted.handed_over.count("ann@example.org") == 2
    assert len(scripted.received_by("bob@example.org")) == 1


def test_once_killed_while_sending_then_run_again_mails_everyone_at_most_once(
        write_config: Callable[..., Path], inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    import signal

    handler, port = inbox
    config = _cli_config(write_config, port, 5)
    env = {**os.environ, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    first = subprocess.Popen(_monitor_cli(config, "once"), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    handler.on_data = lambda: os.kill(first.pid, signal.SIGKILL)  # while the server holds message one
    first.communicate(timeout=PATIENCE_SECONDS)
    assert first.returncode == -signal.SIGKILL and len(handler.messages) == 1
    again = subprocess.run(_monitor_cli(config, "once"), env=env, capture_output=True, text=True,
                           timeout=PATIENCE_SECONDS)
    assert again.returncode == EXIT_UNCERTAIN, again.stderr
    [first_reader] = handler.recipients[:1]
    assert f"uncertain delivery to {first_reader}: an earlier run stopped while sending" in again.stderr
    _each_once(handler, 5)  # the four others once, the interrupted one not twice
    assert "Traceback" not in again.stderr


def test_once_after_a_refused_login_fails_with_the_answer_and_sends_once_the_password_is_fixed(
        write_config: Callable[..., Path], scripted: ScriptedSmtp, capsys: pytest.CaptureFixture) -> None:
    """The week that was lost: 530 at MAIL FROM marked everyone "rejected" and `once` said "already sent"."""
    (Path.cwd() / "no-seeds").mkdir()
    config = write_config({"smtp": smtp_table(scripted.port), "feeds": [], "digest": {"time": "00:00"},
                           "watch": {"seeds_dir": str(Path.cwd() / "no-seeds")}})
    with Monitor(load_config(config)) as setup:
        setup.init()
        for address in SUBSCRIBERS:
            setup.add_subscriber(address)
    scripted.answers["MAIL"] = "530 5.7.0 Authentication required"
    assert main(["--config", str(config), "once"]) == 1
    err = capsys.readouterr().err
    assert err == (f"monitor: error: SMTP 127.0.0.1:{scripted.port} refused the sender watch@example.org: "
                   "530 5.7.0 Authentication required\n")
    assert main(["--config", str(config), "digest", "--send"]) == 1  # still refused: still one clear line
    capsys.readouterr()
    del scripted.answers["MAIL"]  # the operator fixes the password
    assert main(["--config", str(config), "once"]) == 0
    assert "sent to 3 subscribers" in capsys.readouterr().out
    assert all(len(scripted.received_by(a)) == 1 for a in SUBSCRIBERS)
    assert main(["--config", str(config), "once"]) == 0
    assert "already sent" in capsys.readouterr().out
