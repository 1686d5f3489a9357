"""What goes into a header is checked where it enters (subscribers add/import, the configuration), and
what a subscriber asked for stays: header injection through encoded words (CVE-2024-6923), address
shape and case, durable unsubscribes, broken CSV rows; plus the command line's error frame."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW
from smtp_helpers import ScriptedSmtp
from test_digest_model import sample_data

from monitor.cli import main
from monitor.config import load_config
from monitor.core import Monitor
from monitor.digest.pipeline import DigestPipeline
from monitor.store.models import Subscriber

INJECTION = "=?utf-8?q?Inj=0D=0ABcc:_x@evil.test?="


@pytest.fixture
def scripted() -> Iterator[ScriptedSmtp]:
    server = ScriptedSmtp()
    yield server
    server.close()


def smtp_table(port: int) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "security": "none", "from": "Watch <watch@example.org>",
            "retry_base_seconds": 0.01, "max_attempts": 2, "timeout_seconds": 10}


def _cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_an_encoded_line_break_in_a_name_never_reaches_the_wire(
        write_config: Callable[..., Path], scripted: ScriptedSmtp, tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    config = write_config({"smtp": smtp_table(scripted.port)})
    assert _cli(config, "subscribers", "add", "eve@example.org", "--name", INJECTION) == 2
    err = capsys.readouterr().err
    assert err.startswith("monitor: error: name ") and "control character" in err
    people = tmp_path / "people.csv"
    people.write_text(f"email,name\nann@example.org,Ann\nmal@example.org,{INJECTION}\n", encoding="utf-8")
    assert _cli(config, "subscribers", "import", str(people)) == 1
    err = capsys.readouterr().err
    assert f"{people}:3: name " in err and "control character" in err
    assert _cli(config, "subscribers", "add", "rene@example.org", "--name", "=?utf-8?q?Ren=C3=A9?=") == 0
    # A row stored before names were checked (an old database) still cannot break the header.
    with Monitor(load_config(config), clock=lambda: NOW) as monitor:
        with monitor.db.session() as session:
            session.add(Subscriber(email="old@example.org", name=INJECTION, lang="en", token="tok-old",
                                   active=True, created_at=NOW))
        pipeline = DigestPipeline(monitor.config, monitor.db, monitor.clock)
        digest = pipeline.build(monitor.window_for_week("2026-W46"), sample_data())
        report = pipeline.send(digest)
    assert sorted(report.sent) == ["ann@example.org", "old@example.org", "rene@example.org"]
    rcpt_lines = [c for c in scripted.commands if c.upper().startswith("RCPT")]
    assert not [c for c in rcpt_lines if "evil.test" in c]
    for _, raw in scripted.messages:  # the bytes as they went over the wire
        headers = raw.split(b"\r\n\r\n", 1)[0]
        assert not [line for line in headers.split(b"\r\n") if line.lower().startswith(b"bcc:")]
        assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw
    [old] = scripted.received_by("old@example.org")
    assert b"To: old@example.org\r\n" in old
    [rene] = scripted.received_by("rene@example.org")
    assert b"To: =?utf-8?q?Ren=C3=A9?= <rene@example.org>" in rene


def test_a_bad_sender_is_caught_when_the_configuration_loads(write_config: Callable[..., Path],
                                                             capsys: pytest.CaptureFixture) -> None:
    for sender in (f"{INJECTION} <watch@example.org>", "nobody", "a@example.org, b@example.org"):
        config = write_config({"smtp": {"host": "127.0.0.1", "from": sender}})
        assert _cli(config, "status") == 2
        err = capsys.readouterr().err
        assert err.startswith(f"monitor: error: {config}: smtp.from: expected an address"), err
        assert err.count("\n") == 1


def test_address_shape_and_case(write_config: Callable[..., Path], capsys: pytest.CaptureFixture) -> None:
    config = write_config()
    for bad in (".a@b.com", "a.@b.com", "a..b@c.com", "=?utf-8?q?a=0A?=@b.com"):
        assert _cli(config, "subscribers", "add", bad) == 2, bad
        assert "is not an email address" in capsys.readouterr().err
    assert _cli(config, "subscribers", "add", "Bob@Example.ORG", "--name", "Bob") == 0
    assert _cli(config, "subscribers", "add", "bob@example.org", "--lang", "fr") == 0
    capsys.readouterr()
    assert _cli(config, "subscribers", "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["email"], r["name"], r["lang"]) for r in rows] == [("Bob@example.org", "Bob", "fr")]
    assert _cli(config, "subscribers", "remove", "BOB@example.org") == 0


def test_unsubscribes_are_durable_and_omitted_options_keep_stored_values(
        write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = write_config()
    assert _cli(config, "subscribers", "add", "zoe@example.org", "--name", "Zoé", "--lang", "fr") == 0
    assert _cli(config, "subscribers", "add", "zoe@example.org") == 0  # no --lang, no --name: both kept
    capsys.readouterr()
    with Monitor(load_config(config), clock=lambda: NOW) as monitor:
        [zoe] = monitor.list_subscribers()
        assert (zoe.lang, zoe.name) == ("fr", "Zoé")
        monitor.unsubscribe(zoe.token)
    people = tmp_path / "people.csv"
    people.write_text("zoe@example.org,Zoé,fr\nnew@example.org\n", encoding="utf-8")
    assert _cli(config, "subscribers", "import", str(people)) == 0
    assert "1 unsubscribed earlier, kept so" in capsys.readouterr().out
    assert _cli(config, "subscribers", "add", "Zoe@example.org") == 2
    assert "--resubscribe" in capsys.readouterr().err
    with Monitor(load_config(config)) as monitor:
        assert {s.email: s.active for s in monitor.list_subscribers()} == {
            "new@example.org": True, "zoe@example.org": False}
    assert _cli(config, "subscribers", "import", "--resubscribe", str(people)) == 0
    with Monitor(load_config(config)) as monitor:
        zoe = next(s for s in monitor.list_subscribers() if s.email == "zoe@example.org")
        assert zoe.active and zoe.lang == "fr"


def test_a_csv_field_over_the_limit_is_one_line_naming_the_row(
        write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = write_config()
    people = tmp_path / "people.csv"
    people.write_text("ann@example.org,Ann\nbob@example.org," + "B" * 200_000 + "\ncat@example.org,Cat\n",
                      encoding="utf-8")
    assert _cli(config, "subscribers", "import", str(people)) == 1
    captured = capsys.readouterr()
    assert "2 added" in captured.out
    [line] = captured.err.splitlines()
    assert line.startswith(f"monitor: error: {people}:2: field larger than field limit")
    assert "Traceback" not in captured.err


def test_the_same_bad_address_is_the_same_error_in_every_command(
        write_config: Callable[..., Path], capsys: pytest.CaptureFixture) -> None:
    config = write_config({"smtp": smtp_table(1025)})
    for args in (("subscribers", "add", "nobody"), ("subscribers", "remove", "nobody"),
                 ("digest", "--week", "2026-W46", "--to", "nobody")):
        assert _cli(config, *args) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("monitor: error: ") and "'nobody' is not an email address" in err, err
        assert "configuration error" not in err and err.count("\n") == 1
    assert _cli(config, "digest", "--week", "2026-W99") == 2
    assert capsys.readouterr().err.startswith("monitor: error: ")
    assert _cli(config, "unsubscribe", "no-such-token") == 1
    assert capsys.readouterr().err == "monitor: error: unknown unsubscribe token\n"


def test_verbose_does_not_show_migration_steps(write_config: Callable[..., Path],
                                               capsys: pytest.CaptureFixture) -> None:
    config = write_config({"watch": {"seeds_dir": str(Path.cwd() / "no-seeds")}})
    assert _cli(config, "-v", "status") == 0
    err = capsys.readouterr().err
    assert "alembic" not in err.lower() and "Running upgrade" not in err


def test_status_counts_as_analyze_counts_and_says_what_comes_next(
        write_config: Callable[..., Path], capsys: pytest.CaptureFixture) -> None:
    from datetime import datetime

    from test_digest_cli import EVAL_SET

    from monitor.store.articles import save_article
    from monitor.text import url_article_id
    from monitor.types import NewArticle

    config = write_config({"digest": {"time": "08:00", "weekday": "monday"}})
    with Monitor(load_config(config), clock=lambda: NOW) as monitor:
        monitor.ensure_schema()
        for line in EVAL_SET.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            url = f"https://news.example/{row['id']}"
            with monitor.db.session() as session:
                save_article(session, NewArticle(id=url_article_id(url), url=url, title=row["title"],
                                                 text=row["text"], source=row["source"], lang=row["lang"],
                                                 published_at=datetime.fromisoformat(row["published"])),
                             now=NOW)
        summary = monitor.analyze()
        counts = monitor.status()["counts"]
        assert summary.duplicates > 0  # the set holds copies: they must not count as relevant twice
        assert (counts["relevant"], counts["copies"]) == (summary.relevant, summary.duplicates)
        info = monitor.status()
        # NOW is Saturday 21 November 2026: the week of 9 November was due on Monday 16 at 08:00 UTC and
        # is not written yet; once it is, the next is the week of 16 November, due on Monday 23.
        assert info["next_digest"] == {"week": "2026-W46", "due": "2026-11-16T08:00:00", "overdue": True}
        assert info["smtp"]["configured"] is False
        assert monitor.weekly_digest().action == "written"
        assert monitor.status()["next_digest"] == {"week": "2026-W47", "due": "2026-11-23T08:00:00",
                                                   "overdue": False}
    assert _cli(config, "status") == 0
    out = capsys.readouterr().out
    assert "smtp:        not configured" in out and "next digest: " in out


@pytest.mark.parametrize("name", ["", "Ann", "Zoé Lefèvre", 'Dr. O\'Brien, "Bob"', "=?utf-8?q?Ren=C3=A9?="])
def test_a_spliced_message_is_the_message_built_in_full(monitor: Monitor, name: str) -> None:
    """Sending renders once per language and splices each subscriber in: what they get must be exactly
    what building their message from scratch gives (headers, both parts, their own token)."""
    from email import message_from_bytes, policy

    from monitor.digest.pipeline import _Templates

    pipeline = DigestPipeline(monitor.config, monitor.db, monitor.clock)
    digest = pipeline.build(monitor.window_for_week("2026-W46"), sample_data())
    monitor.add_subscriber("ann@example.org", name=name, lang="fr")
    with monitor.db.session(read_only=True) as session:
        subscriber = session.query(Subscriber).one()
        session.expunge(subscriber)
    wire, message_id = _Templates(pipeline, digest).message(subscriber)
    assert isinstance(wire, bytes)  # spliced, not built in full
    assert wire.endswith(b"\r\n.\r\n")  # ready for DATA: read it back as the server stores it
    spliced = message_from_bytes(wire[:-3].replace(b"\r\n..", b"\r\n."), policy=policy.default)
    built = pipeline.message(digest, email=subscriber.email, name=subscriber.name, lang="fr",
                             token=subscriber.token)
    wire_policy = built.policy.clone(linesep="\r\n")
    full = message_from_bytes(built.as_bytes(policy=wire_policy), policy=policy.default)
    assert spliced["Message-ID"] == message_id != full["Message-ID"]
    keys = [k for k in full if k not in ("Message-ID", "Content-Type")]
    assert [(k, str(spliced[k])) for k in keys] == [(k, str(full[k])) for k in keys]
    for kind in ("plain", "html"):  # both as they go over the wire
        assert spliced.get_body((kind,)).get_content() == full.get_body((kind,)).get_content()
    assert subscriber.token in spliced.get_body(("plain",)).get_content()
    assert "TOKENSLOT" not in wire.decode("utf-8") and "template.invalid" not in wire.decode("utf-8")
