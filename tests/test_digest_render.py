"""Rendering and archiving the digest: escaping, inlined CSS, bars, French, the archive, a real browser."""

from __future__ import annotations

import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from test_digest_model import sample_data

from monitor.config import Config
from monitor.core import Monitor
from monitor.digest.model import FailingFeed, build_view
from monitor.digest.pipeline import DigestPipeline, StoredDigest
from monitor.digest.render import Unsubscribe, render_html, render_text
from monitor.store.models import Digest

CHROMIUM = Path("/usr/bin/chromium")
UNSUB = Unsubscribe("tok123", "watch@example.org", "https://watch.example.org/u/tok123")


def _rich_data(title: str = "Kim and Putin sign a new defence pact in Pyongyang") -> dict[str, Any]:
    data = sample_data(title)
    data["first_seen_entities"] = [{"name": "Oleg Ivanov"}, {"name": "Tumen River bridge"}]
    data["tag_volume"] = {"military": {"window": 5, "baseline_weekly_avg": 1.5},
                          "diplomacy": {"window": 4, "baseline_weekly_avg": 3.0},
                          "economy": {"window": 1, "baseline_weekly_avg": 2.25}}
    return data


def _view(data: dict[str, Any], lang: str = "en") -> Any:
    return build_view(data, lang=lang, title="Russia–North Korea", label="2026-W46", tz="UTC",
                      failing=(FailingFeed("KCNA Watch", "HTTP 503"),))


def test_html_is_escaped_inlined_and_in_order() -> None:
    html = render_html(_view(_rich_data("<script>alert(1)</script> & <b>bold</b>")), subject="S",
                       unsubscribe=UNSUB)
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<style" not in html and 'style="' in html  # CSS inlined for mail clients
    order = [html.index(h) for h in ("2 new developments", "New developments", "Developing stories",
                                     "This week per tag", "Names seen for the first time",
                                     "Known re-tellings", "Feeds failing: KCNA Watch (HTTP 503)",
                                     "unsubscribe tok123")]
    assert order == sorted(order)
    assert 'href="https://news1.example/1"' in html and 'href="https://watch.example.org/u/tok123"' in html
    assert 'width="100%"' in html and 'width="38%"' not in html  # bars are sized table cells
    assert 'width="80%"' in html  # diplomacy: 4 of the largest 5


def test_plain_text_is_not_html_escaped_and_has_text_bars() -> None:
    text = render_text(_view(_rich_data("Kim's pact & Putin's <plan>")), subject="S", unsubscribe=UNSUB)
    assert "Kim's pact & Putin's <plan>" in text and "&amp;" not in text and "&#39;" not in text
    military = next(line for line in text.splitlines() if line.startswith("military"))
    assert military.count("█") == 30 and military.endswith("5  (baseline avg 1.5)")
    assert "Feeds failing: KCNA Watch (HTTP 503)" in text
    assert "\n-- \n" in text


def test_french_digest() -> None:
    view = _view(_rich_data(), lang="fr")
    html = render_html(view, subject="S", unsubscribe=UNSUB)
    text = render_text(view, subject="S", unsubscribe=UNSUB)
    assert "Nouveaux développements" in html and "Sujets en cours" in html
    assert "2 nouveaux développements, 1 sujet en cours — 7 articles de 6 sources." in text
    assert "« unsubscribe tok123 »" in text and "moy. référence 1.5" in text


def test_an_empty_week_is_one_short_message() -> None:
    data = sample_data()
    data["stories"] = []
    text = render_text(_view(data), subject="S", unsubscribe=UNSUB)
    assert "Nothing new this week: no relevant article between 9 November 2026 and 15 November 2026." in text
    assert "NEW DEVELOPMENTS" not in text and len(text.splitlines()) < 15


def _build(monitor: Monitor, data: dict[str, Any], week: str = "2026-W46") -> StoredDigest:
    pipeline = DigestPipeline(monitor.config, monitor.db, monitor.clock)
    return pipeline.build(monitor.window_for_week(week), data)


def test_the_archive_keeps_one_row_per_window_with_files_index_and_atom(
        make_config: Callable[..., Config]) -> None:
    config = make_config(digest={"archive_url": "https://watch.example.org/archive/"})
    monitor = Monitor(config)
    monitor.ensure_schema()
    first = _build(monitor, _rich_data())
    again = _build(monitor, _rich_data("A corrected headline"))
    _build(monitor, sample_data(), week="2026-W45")
    assert again.id == first.id
    with monitor.db.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 2
    folder = config.digest.output_path()
    assert {p.name for p in folder.iterdir()} >= {"2026-W46.html", "2026-W46.txt", "2026-W46.json",
                                                  "2026-W45.html", "index.html", "atom.xml"}
    assert "A corrected headline" in (folder / "2026-W46.html").read_text()
    index = (folder / "index.html").read_text()
    assert index.index("2026-W46.html") < index.index("2026-W45.html")
    atom = ET.parse(folder / "atom.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = atom.findall("a:entry", ns)
    assert [e.find("a:link", ns).get("href") for e in entries] == [  # type: ignore[union-attr]
        "https://watch.example.org/archive/2026-W46.html", "https://watch.example.org/archive/2026-W45.html"]
    title = entries[0].findtext("a:title", namespaces=ns)
    assert title == "Russia–North Korea watch, week 46: 2 new developments"
    monitor.close()


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None, reason="no /usr/bin/chromium")
@pytest.mark.parametrize("width", [420, 1024])
def test_the_html_digest_renders_in_a_real_browser(tmp_path: Path, width: int) -> None:
    page = tmp_path / "digest.html"
    page.write_text(render_html(_view(_rich_data()), subject="S", unsubscribe=UNSUB), encoding="utf-8")
    png = tmp_path / f"digest-{width}.png"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
                    f"--window-size={width},2000", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert _png_size(png) == (width, 2000)
    assert png.stat().st_size > 20_000  # a page with text and bars, not a blank screenshot


def test_a_huge_week_stays_under_gmails_clipping_size() -> None:
    data = _rich_data()
    template = data["stories"][0]
    data["stories"] = [{**template, "id": f"s{i}", "title": f"Story {i} " + "x" * 150} for i in range(60)]
    view = _view(data)
    html = render_html(view, subject="S", unsubscribe=UNSUB)
    text = render_text(view, subject="S", unsubscribe=UNSUB)
    assert len(view.new) == 25 and "…and 35 more in the archive." in text
    assert "60 new developments" in text
    assert len(html.encode("utf-8")) < 102_000
