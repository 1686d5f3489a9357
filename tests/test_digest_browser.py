"""What a reader sees in a real browser (Debian's chromium, headless): a busy English and French week at
desktop (1200 px) and phone (390 px) widths. Skipped when chromium is not installed
(deploy/install-browser.sh installs it)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import available, layout, screenshot
from digest_weeks import busy_week, originals
from test_digest_render import UNSUB, WATCH, chrome_text, english_words

from monitor.digest.archive import ArchiveEntry, write_index
from monitor.digest.model import SourceHealth, build_view
from monitor.digest.render import render_html, render_page

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not available(), reason="chromium is not installed")]


def _html(lang: str) -> tuple[str, dict[str, Any]]:
    data = busy_week(lang)
    view = build_view(data, lang=lang, title=WATCH, label="2026-W46", tz="UTC", health=SourceHealth(1, 9))
    return render_html(view, subject="S", unsubscribe=UNSUB, archive_url="https://watch.example.org/"), data


@pytest.mark.parametrize("width", [1200, 390])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_busy_week_reads_right_in_a_browser(lang: str, width: int, tmp_path: Path) -> None:
    html, data = _html(lang)
    seen = layout(html, width, tmp_path)
    assert seen.viewport_width == width
    assert seen.scroll_width <= width, f"horizontal scroll: {seen.scroll_width}px wide at {width}px"
    links: dict[str, set[str]] = {}
    for href, text in seen.links:
        links.setdefault(href, set()).add(" ".join(text.split()))
    for article in originals(data):  # every report's headline is a link a reader can click
        assert article["title"] in links.get(article["url"], set()), article["url"]
    assert seen.height > 3000  # the whole week, not a clipped or blank page
    if lang == "fr":
        assert "Nouveaux développements" in seen.text and "Précédemment" in seen.text
        assert not english_words(chrome_text(seen.text, data)), "English words in the French chrome"


def test_the_archive_index_and_the_unsubscribe_page_fit_a_phone(tmp_path: Path) -> None:
    data = busy_week("fr")
    entry = ArchiveEntry("2026-W46", "Veille Russie–Corée du Nord, semaine 46 de 2026 : 8 nouveaux "
                         "développements", datetime(2026, 11, 9), datetime(2026, 11, 16), "2026-W46", 15, 36,
                         datetime(2026, 11, 16, 8), "", json.dumps(data))
    index, _ = write_index(tmp_path / "archive", [entry], names=WATCH, archive_url="",
                           now=datetime(2026, 11, 20), lang="fr")
    page = render_page("unsubscribe.html.j2", lang="fr", title="Désabonnement", button="Me désabonner",
                       message="Ne plus recevoir la lettre Russie–Corée du Nord à l’adresse "
                               "une.adresse.particulierement.longue@exemple-de-domaine.example.org ?")
    for html in (index.read_text(encoding="utf-8"), page):
        seen = layout(html, 390, tmp_path)
        assert seen.scroll_width <= 390, seen.scroll_width
        assert not english_words(seen.text.replace("JSON", "")), seen.text


def test_the_check_for_horizontal_scroll_finds_it(tmp_path: Path) -> None:
    html, _ = _html("en")
    wide = html.replace("</body>", '<table width="900"><tr><td>x</td></tr></table></body>')
    assert layout(wide, 390, tmp_path).scroll_width > 390


def test_screenshots_of_a_busy_week(tmp_path: Path) -> None:
    html, _ = _html("fr")
    png = screenshot(html, 390, tmp_path / "fr-390.png", tmp_path)
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(header[16:20], "big") == 500
    assert int.from_bytes(header[20:24], "big") > 3000
