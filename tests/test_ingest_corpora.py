"""Ingest over the shared corpora (skipped unless MONITOR_CORPORA is set): every feed document served over
HTTP goes through `monitor fetch` without an exception, and every page goes through extraction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPORA, NOW
from sqlalchemy import select

from monitor.core import Monitor
from monitor.ingest.extract import extract_page
from monitor.store.models import Feed
from monitor.testing import LocalSite

pytestmark = [pytest.mark.corpora, pytest.mark.skipif(not CORPORA, reason="MONITOR_CORPORA not set")]
NOT_FEEDS = ("README", ".config", ".expected", "index.json")


def feed_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(NOT_FEEDS)
                  and not p.name.startswith("README"))


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


def test_every_corpus_feed_is_ingested_or_recorded_as_an_error(make_config, site: LocalSite) -> None:
    root = Path(CORPORA) / "feeds"
    files = feed_files(root)
    index = {row["path"]: row for row in json.loads((root / "index.json").read_text("utf-8"))["files"]}
    feeds = []
    for i, path in enumerate(files):
        rel = path.relative_to(root).as_posix()
        site.add(f"/f{i}", path.read_bytes(), content_type="application/xml")
        feeds.append({"url": site.url(f"/f{i}"), "name": rel})
    m = Monitor(make_config(feeds=feeds, fetch={"fetch_pages": False, "max_entries_per_feed": 500,
                                                    "per_host_concurrency": 8}),
                clock=lambda: NOW)
    m.ensure_schema()

    summary = m.fetch()

    assert summary.feeds_polled == len(files) >= 300
    with m.db.session(read_only=True) as session:
        rows = {f.name: f for f in session.scalars(select(Feed))}
    failed = {name for name, f in rows.items() if f.consecutive_failures}
    assert len(failed) == summary.feeds_failed
    assert all(rows[name].last_error for name in failed)
    # documents the baseline parsed cleanly as feeds with entries are not refused
    clean = {p for p, row in index.items() if not row["bozo"] and row["version"] and row["entries"]}
    assert not (clean & failed), sorted(clean & failed)
    assert summary.new_articles > 100
    m.close()


def test_extraction_runs_over_every_corpus_page() -> None:
    from bench.extraction_quality import read_page

    root = Path(CORPORA) / "html"
    pages = sorted(p for p in root.rglob("*") if p.name.endswith((".html", ".html.gz"))
                   and p.name != "expected.html")
    assert len(pages) >= 200
    empty = [p.name for p in pages if extract_page(read_page(p), "") is None]
    assert len(empty) <= len(pages) // 20, empty


def test_the_plain_element_lookup_extracts_the_same_text_as_lxml_html_s_own() -> None:
    """`extract_page` parses with lxml's C-level element lookup (no form classes): on every corpus page the
    text is the one trafilatura extracts from a tree parsed with lxml.html's own lookup."""
    import lxml.html
    import trafilatura
    from trafilatura.utils import decode_file

    from bench.extraction_quality import read_page

    root = Path(CORPORA) / "html"
    pages = sorted(p for p in root.rglob("*") if p.name.endswith((".html", ".html.gz"))
                   and p.name != "expected.html")
    differ, compared = [], 0
    for page in pages:
        raw = read_page(page)
        ours = extract_page(raw, "")
        try:
            tree = lxml.html.document_fromstring(decode_file(raw), parser=lxml.html.HTMLParser(
                collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True))
        except (ValueError, lxml.etree.ParserError):
            continue
        doc = trafilatura.bare_extraction(tree, fast=True, include_comments=False, include_tables=True)
        theirs = str(doc.text) if doc is not None and (doc.text or "").strip() else None
        if theirs is not None and ours is not None:
            compared += 1
            if ours.text != theirs[: len(ours.text)]:
                differ.append(page.name)
    assert compared >= len(pages) * 3 // 4
    assert not differ, differ
