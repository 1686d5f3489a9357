"""The digest and subscriber commands end to end, on the real digest data of the labelled article set."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from conftest import NOW

from monitor.cli import main
from monitor.config import PROJECT_DIR, load_config
from monitor.core import Monitor
from monitor.store.articles import save_article
from monitor.store.models import Feed
from monitor.text import url_article_id
from monitor.types import NewArticle

EVAL_SET = PROJECT_DIR / "bench" / "eval" / "articles.jsonl"


def _load_articles(config_path: Path) -> None:
    """The bundled seeds plus the dated French and English reports of the evaluation set."""
    with Monitor(load_config(config_path), clock=lambda: NOW) as monitor:
        monitor.ensure_schema()
        monitor.load_seeds(PROJECT_DIR / "seeds")
        for line in EVAL_SET.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            published = datetime.fromisoformat(row["published"])
            url = f"https://news.example/{row['id']}"
            with monitor.db.session() as session:
                save_article(session, NewArticle(id=url_article_id(url), url=url, title=row["title"],
                                                 text=row["text"], source=row["source"], lang=row["lang"],
                                                 published_at=published), now=published)


@pytest.fixture
def config_path(write_config: Callable[..., Path]) -> Path:
    path = write_config({"digest": {"unsubscribe_url": "https://watch.example.org/u/{token}"}})
    _load_articles(path)
    return path


def test_digest_json_is_exactly_the_digest_data(config_path: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "w43.json"
    assert main(["--config", str(config_path), "digest", "--week", "2024-W43", "--format", "json",
                 "--output", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    with Monitor(load_config(config_path)) as monitor:
        window = monitor.window_for_week("2024-W43")
        expected = monitor.digest_data(window.since, window.until)
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(expected, default=str))


def test_digest_html_of_a_real_week_is_archived(config_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--config", str(config_path), "digest", "--week", "2024-W43"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Russia–North Korea watch, week 43 of 2024: 1 developing story")
    path = Path(out.strip().splitlines()[-1].removeprefix("wrote "))
    assert path.name == "2024-W43.html" and path.exists()
    html = path.read_text(encoding="utf-8")
    assert "Developing stories" in html and "What's new" in html
    assert (path.parent / "index.html").exists() and (path.parent / "atom.xml").exists()


def test_digest_eml_is_the_message_a_subscriber_gets_with_a_placeholder_recipient(
        config_path: Path, tmp_path: Path) -> None:
    assert main(["--config", str(config_path), "subscribers", "add", "Zoe@Example.ORG", "--lang", "fr",
                 "--name", "Zoé"]) == 0
    out = tmp_path / "w.eml"
    assert main(["--config", str(config_path), "digest", "--since", "2024-10-14", "--until", "2024-10-27",
                 "--format", "eml", "--output", str(out)]) == 0
    raw = out.read_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    with Monitor.from_config_file(config_path) as monitor:
        [zoe] = monitor.list_subscribers()
        window = monitor.custom_window("2024-10-14", "2024-10-27")
        hers = monitor.digest_message(monitor.build_digest(window), to="zoe@example.org")
    # Written to disk: no real subscriber's address or unsubscribe token, only a placeholder.
    assert message["To"].addresses[0].addr_spec == "subscriber@example.invalid"
    assert b"Zoe@" not in raw and zoe.token.encode() not in raw
    assert message["Subject"].startswith("Russia–North Korea watch, 14 October 2024 – 27 October 2024: ")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == '"Russia–North Korea" <monitor.localhost>'
    # The library gives the message a subscriber would get, in their language, with their token.
    assert hers["To"].addresses[0].addr_spec == "Zoe@example.org"
    assert hers["Subject"].startswith("Veille Russie–Corée du Nord, 14 octobre 2024 – 27 octobre 2024 : ")
    assert zoe.token in hers["List-Unsubscribe"]
    assert "Nouveaux développements" in hers.get_body(("html",)).get_content()


def test_output_writes_only_that_file_not_the_archive(config_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "preview" / "w43.txt"
    assert main(["--config", str(config_path), "digest", "--week", "2024-W43", "--format", "text",
                 "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("Russia–North Korea watch\n")
    archive = load_config(config_path).digest.output_path()
    assert not archive.exists()
    with Monitor(load_config(config_path)) as monitor:
        assert monitor.status()["counts"]["digests"] == 0


def test_an_unfinished_or_future_week_is_refused(config_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--config", str(config_path), "digest", "--week", "2031-W10", "--send"]) == 2
    assert "--week 2031-W10 has not started yet" in capsys.readouterr().err
    this_week = datetime.now().strftime("%G-W%V")
    assert main(["--config", str(config_path), "digest", "--week", this_week]) == 2
    assert f"--week {this_week} is not over yet" in capsys.readouterr().err
    today = datetime.now().date().isoformat()
    assert main(["--config", str(config_path), "digest", "--since", "2024-10-14", "--until", today]) == 2
    assert not load_config(config_path).digest.output_path().exists()


def test_a_held_digest_is_not_sent_and_says_why(config_path: Path, capsys: pytest.CaptureFixture) -> None:
    with Monitor(load_config(config_path)) as monitor, monitor.db.session() as session:
        for i in range(3):
            session.add(Feed(url=f"https://down{i}.example/rss", name=f"Down {i}", consecutive_failures=2,
                             last_error="cannot resolve host"))
    assert main(["--config", str(config_path), "digest", "--week", "2024-W43", "--send"]) == 1
    err = capsys.readouterr().err
    assert "digest 2024-W43 held: 3 of 3 enabled feeds failed their last poll" in err
    assert not load_config(config_path).digest.output_path().exists()
    assert main(["--config", str(config_path), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["digest_held"]["week"] == "2024-W43"


def test_a_digest_for_files_only_is_written_even_when_sources_failed(
        config_path: Path, capsys: pytest.CaptureFixture) -> None:
    """No subscriber reads it: the operator gets the file, the warning, and the neutral line in it."""
    with Monitor(load_config(config_path)) as monitor, monitor.db.session() as session:
        for i in range(3):
            session.add(Feed(url=f"https://down{i}.example/rss", name=f"Down {i}", consecutive_failures=2,
                             last_error="cannot resolve host"))
    assert main(["--config", str(config_path), "digest", "--week", "2024-W43", "--format", "text"]) == 0
    captured = capsys.readouterr()
    assert "would be held: 3 of 3 enabled feeds failed" in captured.err
    written = load_config(config_path).digest.output_path() / "2024-W43.txt"
    text = written.read_text(encoding="utf-8")
    assert "3 of 3 sources could not be reached" in text and "cannot resolve host" not in text


def test_send_without_smtp_is_an_error_saying_what_to_configure(config_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    assert main(["--config", str(config_path), "digest", "--week", "2024-W43", "--send"]) == 1
    assert "no SMTP configured: set [smtp] host and from" in capsys.readouterr().err


def test_a_bad_week_is_named(config_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--config", str(config_path), "digest", "--week", "2024-W60"]) == 2
    assert "2024 has no week 60" in capsys.readouterr().err


def test_subscribers_commands(write_config: Callable[..., Path], tmp_path: Path,
                              capsys: pytest.CaptureFixture) -> None:
    config = str(write_config())
    assert main(["--config", config, "subscribers", "add", "ann@example.org", "--name", "Ann"]) == 0
    assert main(["--config", config, "subscribers", "add", "not-an-address"]) == 2
    assert "'not-an-address' is not an email address" in capsys.readouterr().err
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("email,name,lang\nbob@example.org,Bob,fr\nbad@,Bad,en\ncat@example.org,,de\n"
                        "ann@example.org,Ann,en\n", encoding="utf-8")
    assert main(["--config", config, "subscribers", "import", str(csv_file)]) == 1
    captured = capsys.readouterr()
    assert "1 added, 1 already subscribed, 2 problems" in captured.out
    assert f"{csv_file}:3: 'bad@' is not an email address" in captured.err
    assert f"{csv_file}:4: language 'de'" in captured.err
    assert main(["--config", config, "subscribers", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["email"], r["lang"]) for r in rows] == [("ann@example.org", "en"), ("bob@example.org", "fr")]
    token = rows[1]["token"]
    assert main(["--config", config, "unsubscribe", token]) == 0
    assert "unsubscribed bob@example.org" in capsys.readouterr().out
    assert main(["--config", config, "unsubscribe", "nope"]) == 1
    assert main(["--config", config, "subscribers", "list"]) == 0
    assert "bob@example.org\tfr\tunsubscribed" in capsys.readouterr().out
    assert main(["--config", config, "subscribers", "remove", "ann@example.org"]) == 0
    assert main(["--config", config, "subscribers", "remove", "ann@example.org"]) == 1
