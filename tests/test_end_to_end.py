"""The whole pipeline as an operator runs it: `monitor once` on a fresh database, feeds on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from monitor.cli import main
from monitor.testing import LocalSite

EVAL_SET = Path(__file__).resolve().parent.parent / "bench" / "eval" / "articles.jsonl"
ARTICLES = [line for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def _rss(items: list[tuple[str, str, str, str]]) -> str:
    """RSS 2.0 with (title, link, summary, ISO date) items."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><description>{escape(d)}</description>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(p).replace(tzinfo=UTC))}</pubDate></item>"
        for t, link, d, p in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
            f"<link>http://example.org/</link><description>d</description>{body}</channel></rss>")


def _page(title: str, text: str, lang: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.splitlines())
    return (f"<!doctype html><html lang='{lang}'><head><title>{title}</title></head><body>"
            f"<nav>Home | World</nav><article><h1>{title}</h1>{paragraphs}</article>"
            f"<footer>Copyright</footer></body></html>")


def test_once_on_a_fresh_database_writes_a_digest_of_what_is_new(
        write_config, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = [json.loads(line) for line in ARTICLES]
    # The week of 14–20 October 2024 in the evaluation set: the first reports of North Korean troops
    # sent to Russia (FR and EN, one syndicated copy), a re-telling of seed 004, an off-topic article.
    week = [r for r in rows if "2024-10-14" <= r["published"][:10] < "2024-10-21"]
    assert week, "the evaluation set has articles in that week"
    with LocalSite() as site:
        items = []
        for row in week:
            url = site.add(f"/a/{row['id']}", _page(row["title"], row["text"], row["lang"]))
            items.append((row["title"], url, row["text"].splitlines()[0], row["published"]))
        feed = site.add("/feed.xml", _rss(items), content_type="application/rss+xml")
        config = write_config({"feeds": [{"url": feed, "name": "Wire"}],
                               "fetch": {"respect_robots_txt": False}})
        assert main(["--config", str(config), "once", "--no-send"]) == 0
        out = capsys.readouterr().out
        assert f"{len(week)} new articles" in out
        assert main(["--config", str(config), "digest", "--since", "2024-10-14", "--until", "2024-10-20",
                     "--format", "json", "--output", str(tmp_path / "w.json")]) == 0
    digest = json.loads((tmp_path / "w.json").read_text(encoding="utf-8"))
    placed = [a["id"] for s in digest["stories"] for a in s["articles"]]
    placed += [e["id"] for e in digest["excluded"]]
    assert len(placed) == len(set(placed)) == len(week)
    assert not any(i.startswith("seed-") for i in placed)
    relevant = [r for r in week if r["relevant"]]
    in_stories = {a["url"].rsplit("/", 1)[-1] for s in digest["stories"] for a in s["articles"]}
    assert in_stories == {r["id"] for r in relevant}
    status = {a["url"].rsplit("/", 1)[-1]: s["status"] for s in digest["stories"] for a in s["articles"]}
    assert status["en-nis-troops"] == status["fr-nis-troops"] == "new"
    assert status["en-summit-retell"] == "known"
    copies = {a["url"].rsplit("/", 1)[-1]: a["duplicate_of"]
              for s in digest["stories"] for a in s["articles"]}
    assert copies["en-nis-troops-copy"] is not None
    # The seeds were loaded by `once` itself: they are the baseline of stories that re-tell them.
    capsys.readouterr()
    assert main(["--config", str(config), "seeds", "list"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 5
