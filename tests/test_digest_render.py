"""Rendering and archiving the digest: escaping, inlined CSS, reports, French, text wrapping, operator
problems kept from subscribers (held digests, one neutral line), the archive's files, index and Atom."""

from __future__ import annotations

import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import NOW
from digest_weeks import busy_week, originals
from sqlalchemy import func, select
from test_digest_model import sample_data

from monitor.config import Config
from monitor.core import Monitor
from monitor.digest import i18n, names
from monitor.digest.model import SourceHealth, build_view
from monitor.digest.pipeline import DEFAULT_TOPIC, DigestPipeline, StoredDigest
from monitor.digest.render import TEXT_WIDTH, Unsubscribe, render_html, render_text
from monitor.errors import DeliveryError
from monitor.store.models import Digest, Feed

UNSUB = Unsubscribe("tok123", "watch@example.org", "https://watch.example.org/unsubscribe/tok123")
WATCH = names.load(DEFAULT_TOPIC)
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def _rich_data(title: str = "Kim and Putin sign a new defence pact in Pyongyang") -> dict[str, Any]:
    data = sample_data(title)
    data["first_seen_entities"] = [{"name": "Oleg Ivanov", "kind": "person"},
                                   {"name": "Tumen River bridge", "kind": "place"}]
    data["tag_volume"] = {
        "military": {"window": 5, "baseline_weekly_avg": 1.5, "window_share": 0.5, "baseline": 9,
                     "baseline_share": 0.3, "window_total": 10, "baseline_total": 30},
        "diplomacy": {"window": 4, "baseline_weekly_avg": 3.0, "window_share": 0.4, "baseline": 12,
                      "baseline_share": 0.4, "window_total": 10, "baseline_total": 30}}
    return data


def _view(data: dict[str, Any], lang: str = "en", health: SourceHealth | None = None) -> Any:
    return build_view(data, lang=lang, title=WATCH, label="2026-W46", tz="UTC", health=health)


def test_html_is_escaped_inlined_and_in_order() -> None:
    html = render_html(_view(_rich_data("<script>alert(1)</script> & <b>bold</b>")), subject="S",
                       unsubscribe=UNSUB)
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<style" not in html and 'style="' in html  # CSS inlined for mail clients
    order = [html.index(h) for h in ("In brief", "2 new developments", "New developments",
                                     "Developing stories", "Previously", "What's new", "This week per tag",
                                     "Names seen for the first time", "Known re-tellings",
                                     "unsubscribe tok123")]
    assert order == sorted(order)
    assert 'href="https://watch.example.org/unsubscribe/tok123"' in html
    assert 'width="100%"' in html and 'width="80%"' in html  # diplomacy's 40% of the largest 50%
    assert "the same share among the 30 articles known before this week" in html


def test_every_report_of_a_busy_week_is_a_linked_headline_with_outlet_date_and_language() -> None:
    data = busy_week()
    html = render_html(_view(data), subject="S", unsubscribe=UNSUB)
    for article in originals(data):
        assert f'href="{article["url"]}"' in html, article["title"]
    copy = next(a for s in data["stories"] for a in s["articles"] if a["duplicate_of"])
    assert f'href="{copy["url"]}"' not in html  # a copy is one "also in" name, not a second headline
    assert f"also in {copy['source']}" in html
    story = data["stories"][0]
    other = story["articles"][2]
    assert re.search(re.escape(other["source"]) + r" · 10 November 2026 · French", html)


def test_the_text_part_is_wrapped_and_keeps_sources_dates_and_also_in() -> None:
    data = busy_week()
    text = render_text(_view(data), subject="S", unsubscribe=UNSUB)
    long_lines = [line for line in text.splitlines() if len(line) > TEXT_WIDTH]
    assert long_lines and all(re.fullmatch(r"\s*\S+", line) for line in long_lines)  # only unbreakable URLs
    assert "  Kyiv Independent, 9 November 2026 (English); also in Reuters" in text
    assert "  Previously (12 March 2025): Pyongyang has shipped more than a million" in text
    assert "(Reuters, 10 November 2026)" in text  # each new sentence with its source and date
    for article in originals(data)[:20]:
        assert article["url"] in text
    assert "\n-- \n" in text


def test_plain_text_is_not_html_escaped_and_has_text_bars() -> None:
    text = render_text(_view(_rich_data("Kim's pact & Putin's <plan>")), subject="S", unsubscribe=UNSUB)
    assert "Kim's pact & Putin's <plan>" in text and "&amp;" not in text and "&#39;" not in text
    military = next(line for line in text.splitlines() if line.startswith("military"))
    assert military.count("█") == 24 and military.endswith("50%    30%")
    diplomacy = next(line for line in text.splitlines() if line.startswith("Diplomacy"))  # short label
    assert diplomacy.count("█") == 19  # 40% of the largest value shown (50%) of 24 characters


def test_french_digest_has_no_english_chrome() -> None:
    data = busy_week("fr")
    view = _view(data, "fr", SourceHealth(2, 9))
    html = render_html(view, subject="S", unsubscribe=UNSUB)
    text = render_text(view, subject="S", unsubscribe=UNSUB)
    assert "Veille Russie–Corée du Nord" in html and "Nouveaux développements" in html
    assert "8 nouveaux développements, 4 sujets en cours — 36 articles de 16 sources." in text
    assert "avec cet objet :\n  unsubscribe tok123\n" in text and "Précédemment (12 mars 2025) : " in text
    assert "2 sur 9 sources n’ont pas pu être consultées" in text
    assert not english_words(chrome_text(re.sub(r"<[^>]+>", " ", html), data))
    assert not english_words(chrome_text(text, data))
    english = busy_week("en")  # the check finds English where there is some
    assert {"new", "developments", "brief"} <= english_words(
        chrome_text(render_text(_view(english), subject="S"), english))


def chrome_text(shown: str, data: dict[str, Any]) -> str:
    """What the digest says in its own words: the shown text without what comes from the articles."""
    quoted: list[str] = []
    for story in data["stories"]:
        quoted += [story["title"], *story.get("key_sentences", []), *story.get("whats_new", [])]
        quoted += [a["title"] for a in story["articles"]] + [a["source"] for a in story["articles"]]
        quoted += [a["url"] for a in story["articles"]]
        if story.get("previously"):
            quoted += [story["previously"][k] for k in ("title", "source", "sentence", "url")]
    quoted += [UNSUB.address, UNSUB.url, UNSUB.token]
    shown = " ".join(shown.split())  # the text part is wrapped: compare on unwrapped text
    for item in sorted((" ".join(q.split()) for q in quoted), key=len, reverse=True):
        shown = shown.replace(item, " ")
    return re.sub(r"&[a-z#0-9]+;", " ", shown)


#: Words of the English wording that the French one never uses: finding one means English leaked.
def _words(texts: Any) -> set[str]:
    return {w.lower() for text in texts for w in re.findall(r"[A-Za-z']{3,}", text)}


#: Words of the English wording that the French one never uses (the command word "unsubscribe" and the
#: product's name are the same in both), and the English names of languages.
ENGLISH = (_words(i18n.messages("en").values()) - _words(i18n.messages("fr").values())
           - {"monitor", "unsubscribe"}) | {"english", "french", "russian"}


def english_words(text: str) -> set[str]:
    return _words([text]) & ENGLISH


def test_an_empty_week_is_one_short_message() -> None:
    data = sample_data()
    data["stories"] = []
    text = render_text(_view(data), subject="S", unsubscribe=UNSUB)
    assert ("Nothing new this week: no relevant article between 9 November 2026 and 15 November 2026."
            in " ".join(text.split()))
    assert "NEW DEVELOPMENTS" not in text and "IN BRIEF" not in text and len(text.splitlines()) < 15


def test_feed_errors_never_reach_subscribers() -> None:
    health = SourceHealth(3, 12, ())
    for lang in ("en", "fr"):
        view = _view(_rich_data(), lang, health)
        for part in (render_html(view, subject="S", unsubscribe=UNSUB), render_text(view, subject="S")):
            assert "Errno" not in part and "HTTP 503" not in part and "Feeds failing" not in part
    text = render_text(_view(_rich_data(), "en", health), subject="S")
    assert "3 of 12 sources could not be reached" in text
    assert "could not be reached" not in render_text(_view(_rich_data()), subject="S")


def test_a_huge_week_stays_under_gmails_clipping_size() -> None:
    data = busy_week()
    template = data["stories"][0]
    data["stories"] = [{**template, "id": f"s{i}", "title": f"Story {i} " + "x" * 150} for i in range(60)]
    view = _view(data)
    html = render_html(view, subject="S", unsubscribe=UNSUB)
    text = render_text(view, subject="S", unsubscribe=UNSUB)
    assert len(view.new) == 20 and "…and 40 more in the archive." in text
    assert "60 new developments" in text and "…and 48 more below." in text
    assert len(html.encode("utf-8")) < 102_000


# -- building and archiving -----------------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _build(monitor: Monitor, data: dict[str, Any], week: str = "2026-W46", **kwargs: Any) -> StoredDigest:
    pipeline = DigestPipeline(monitor.config, monitor.db, monitor.clock)
    return pipeline.build(monitor.window_for_week(week), data, **kwargs)


def test_the_archive_keeps_one_row_per_window_with_files_index_and_atom(
        make_config: Callable[..., Config], umask_022: None) -> None:
    config = make_config(digest={"archive_url": "https://watch.example.org/archive/"})
    clock = [NOW]
    monitor = Monitor(config, clock=lambda: clock[0])
    monitor.ensure_schema()
    first = _build(monitor, _rich_data())
    clock[0] = NOW + timedelta(hours=1)
    again = _build(monitor, _rich_data("A corrected headline"))
    clock[0] = NOW + timedelta(hours=2)
    _build(monitor, sample_data(), week="2026-W45")
    clock[0] = NOW + timedelta(hours=3)
    _build(monitor, sample_data(), week="2026-W45")  # the same content again: not an update
    assert again.id == first.id
    with monitor.db.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 2
    folder = config.digest.output_path()
    assert {p.name for p in folder.iterdir()} >= {"2026-W46.html", "2026-W46.txt", "2026-W46.json",
                                                  "2026-W45.html", "index.html", "atom.xml"}
    for name in ("2026-W46.html", "2026-W46.json", "index.html", "atom.xml"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o644  # readable by a web server
    assert "A corrected headline" in (folder / "2026-W46.html").read_text()
    index = (folder / "index.html").read_text()
    assert index.index("2026-W46.html") < index.index("2026-W45.html")
    assert "9 November 2026 – 15 November 2026 · 4 stories · 7 articles" in index  # both days included
    assert "week 46 of 2026" in index
    atom = ET.parse(folder / "atom.xml").getroot()
    entries = atom.findall("a:entry", ATOM)
    assert [e.find("a:link", ATOM).get("href") for e in entries] == [  # type: ignore[union-attr]
        "https://watch.example.org/archive/2026-W46.html", "https://watch.example.org/archive/2026-W45.html"]
    assert entries[0].findtext("a:title", namespaces=ATOM) == (
        "Russia–North Korea watch, week 46 of 2026: 2 new developments")
    summary = entries[0].findtext("a:summary", namespaces=ATOM) or ""
    assert summary.startswith("New: A corrected headline\n") and len(summary) < 600
    assert "Known re-tellings" not in summary and "unsubscribe" not in summary
    updated = [e.findtext("a:updated", namespaces=ATOM) for e in entries]
    assert updated == ["2026-11-21T13:00:00Z", "2026-11-21T14:00:00Z"]  # each digest's own build time
    monitor.close()


def test_output_only_renders_and_an_unfinished_week_never_tops_the_archive(
        make_config: Callable[..., Config]) -> None:
    config = make_config()
    monitor = Monitor(config, clock=lambda: NOW)
    monitor.ensure_schema()
    preview = _build(monitor, _rich_data(), archive_it=False)
    assert preview.files == {} and "New developments" in preview.html
    assert not config.digest.output_path().exists()
    _build(monitor, _rich_data())
    _build(monitor, sample_data("From the future"), week="2031-W10")  # a library caller bypassing the CLI
    folder = config.digest.output_path()
    assert "2031-W10" not in (folder / "index.html").read_text()
    assert "2031-W10" not in (folder / "atom.xml").read_text()
    monitor.close()


def _feeds(monitor: Monitor, total: int, failing: int) -> None:
    with monitor.db.session() as session:
        for i in range(total):
            bad = i < failing
            session.add(Feed(url=f"https://feed{i}.example/rss", name=f"Feed {i}",
                             consecutive_failures=1 if bad else 0,
                             last_error="cannot resolve host feed.example [Errno -2]" if bad else None))


def test_a_digest_built_while_most_sources_failed_is_held(make_config: Callable[..., Config]) -> None:
    config = make_config(smtp={"host": "127.0.0.1", "port": 2525, "from": "Watch <watch@example.org>"})
    monitor = Monitor(config, clock=lambda: NOW)
    monitor.ensure_schema()
    _feeds(monitor, total=4, failing=3)
    held = _build(monitor, _rich_data())
    assert held.held.startswith("held: 3 of 4 enabled feeds failed their last poll (Feed 0 (cannot resolve")
    assert held.files == {} and not config.digest.output_path().exists()
    with monitor.db.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(Digest)) == 0
    with pytest.raises(DeliveryError, match="not sent: held: 3 of 4"):
        monitor.send_digest(held)
    status = monitor.status()
    assert status["digest_held"]["week"] == "2026-W46" and "3 of 4" in status["digest_held"]["reason"]
    with monitor.db.session() as session:
        for feed in session.scalars(select(Feed)).all()[:2]:
            feed.consecutive_failures = 0
    sent = _build(monitor, _rich_data())  # 1 of 4 failing: built, with one neutral line
    assert not sent.held and sent.id and "1 of 4 sources could not be reached" in sent.text
    assert "Errno" not in sent.text and "Errno" not in sent.html
    assert monitor.status()["digest_held"] is None
    monitor.close()


def test_weekly_digest_holds_and_tries_again_on_the_next_run(make_config: Callable[..., Config]) -> None:
    smtp = {"host": "127.0.0.1", "port": 9, "security": "none", "from": "Monitor <m@example.org>"}
    monitor = Monitor(make_config(smtp=smtp), clock=lambda: datetime(2026, 11, 23, 9, 0))
    monitor.ensure_schema()
    _feeds(monitor, total=2, failing=2)
    outcome = monitor.weekly_digest()
    assert outcome.action == "held" and "2 of 2 enabled feeds failed" in outcome.line()
    assert monitor.weekly_digest().action == "held"  # not "already sent": it was not
    # Without mail (the quick start on a machine that cannot reach its feeds) the file is written.
    assert monitor.weekly_digest(send=False).action == "written"
    monitor.close()
