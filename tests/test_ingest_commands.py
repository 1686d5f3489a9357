"""`monitor ingest`, `reprocess`, the feeds commands and `monitor fetch` from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import NOW
from ingest_helpers import article_html, rss
from sqlalchemy import select, update

from monitor.cli import main
from monitor.core import Monitor
from monitor.store.models import Article
from monitor.testing import LocalSite


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


def run(capsys: pytest.CaptureFixture, args: list[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ingest_urls_and_files_then_reprocess_without_the_network(monitor: Monitor, site: LocalSite,
                                                                   tmp_path: Path) -> None:
    url = site.add("/story.html", article_html("Shells by rail"))
    note = tmp_path / "note.md"
    note.write_text("# Analyst note\n\n" + "North Korean workers arrived in Vladivostok. " * 10)
    page = tmp_path / "saved.html"
    page.write_text(article_html("Saved page"))

    result = monitor.ingest([url + "?utm_source=x", str(note), str(page), str(tmp_path / "nope.txt"),
                             site.url("/absent.html")])

    assert len(result.added) == 3 and len(result.problems) == 2
    assert {p.where for p in result.problems} == {str(tmp_path / "nope.txt"), site.url("/absent.html")}
    again = monitor.ingest([url, str(note)])
    assert not again.added and len(again.unchanged) == 2
    with monitor.db.session() as session:
        stored = session.scalars(select(Article).where(Article.url == url)).one()
        assert stored.title == "Shells by rail" and stored.raw_html
        session.execute(update(Article).where(Article.url == url).values(text="damaged", title="x"))
    requests = len(site.requests)
    assert monitor.reprocess() == 1
    assert len(site.requests) == requests  # no network
    with monitor.db.session(read_only=True) as session:
        fixed = session.scalars(select(Article).where(Article.url == url)).one()
    assert fixed.title == "Shells by rail" and "military cooperation" in fixed.text


def test_feed_commands_and_fetch(write_config, site: LocalSite, capsys: pytest.CaptureFixture) -> None:
    page = site.add("/a.html", article_html("Summit in Vladivostok"))
    site.add("/feed.xml", rss("Watch", [("Summit in Vladivostok", page, "summary")]))
    config = write_config({"feeds": [{"url": site.url("/feed.xml"), "name": "Configured", "lang": "en"}]})
    base = ["--config", str(config)]

    add = ["feeds", "add", site.url("/extra.xml"), "--name", "Extra", "--lang", "fr"]
    assert run(capsys, base + add)[0] == 0
    code, out, _ = run(capsys, base + ["feeds", "list"])
    assert code == 0 and "Configured" in out and "Extra" in out and "cli" in out
    code, out, err = run(capsys, base + ["feeds", "check"])
    assert code == 0 and "1 entries" in out and "FAILED" in out and "404" in out

    code, out, err = run(capsys, base + ["fetch"])
    assert code == 0  # one feed failed, the run still succeeded
    assert "2 feeds polled, 0 unchanged, 1 failed; 1 new articles" in out
    assert "extra.xml: HTTP 404" in err and "\r" not in err  # no progress bar when not a terminal

    assert run(capsys, base + ["feeds", "remove", site.url("/extra.xml")])[0] == 0
    code, _, err = run(capsys, base + ["feeds", "remove", site.url("/feed.xml")])
    assert code != 0 and "configuration file" in err
    code, out, _ = run(capsys, base + ["status"])
    assert "last fetch:" in out and "never" not in out.split("last fetch:")[1].splitlines()[0]


def test_many_pages_are_extracted_in_worker_processes(make_config, site: LocalSite) -> None:
    links = [site.add(f"/p{i}.html", article_html(f"Story number {i}")) for i in range(12)]
    site.add("/feed.xml", rss("Many", [(f"Story number {i}", u, "s") for i, u in enumerate(links)]))
    m = Monitor(make_config(feeds=[{"url": site.url("/feed.xml")}], fetch={"extract_workers": 2}),
                clock=lambda: NOW)
    m.ensure_schema()
    summary = m.fetch()
    assert summary.new_articles == 12 and summary.fallbacks == 0
    with m.db.session(read_only=True) as session:
        titles = set(session.scalars(select(Article.title)))
    assert titles == {f"Story number {i}" for i in range(12)}
    m.close()
