"""The digest view model, windows and wording: pure functions on hand-written digest JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from monitor.digest import i18n
from monitor.digest.model import build_view, is_empty, safe_url
from monitor.digest.window import custom_window, default_window, window_for_week
from monitor.errors import ConfigError


def article(n: int, source: str, published: str, *, title: str = "", duplicate_of: str | None = None,
            url: str | None = None, lang: str = "en") -> dict[str, Any]:
    return {"id": f"a-{n}", "url": url if url is not None else f"https://news{n}.example/{n}",
            "title": title or f"Article {n}", "source": source, "lang": lang, "published": published,
            "duplicate_of": duplicate_of}


def sample_data(title: str = "Kim and Putin sign a new defence pact in Pyongyang") -> dict[str, Any]:
    """A digest JSON of the shape Monitor.digest_data returns: 2 new, 1 developing, 1 known."""
    return {
        "window": {"since": "2026-11-09T00:00:00", "until": "2026-11-16T00:00:00"},
        "stories": [
            {"id": "s1", "status": "new", "title": title, "tags": ["military", "diplomacy"],
             "entities": ["Kim Jong Un", "Vladimir Putin"],
             "articles": [article(1, "Reuters", "2026-11-10T08:00:00"),
                          article(2, "Le Monde", "2026-11-10T12:00:00", lang="fr", duplicate_of="a-1"),
                          article(3, "BBC", "2026-11-11T09:00:00")],
             "baseline": [{"id": "seed-1", "url": "https://old.example/1", "title": "2024 treaty"}],
             "whats_new": ["The pact adds joint air-defence exercises.",
                           "Troops will rotate through Vladivostok."],
             "key_sentences": ["The two leaders signed the pact on Monday.",
                               "It adds joint air-defence exercises.",
                               "Troops will rotate through Vladivostok.",
                               "A fourth sentence never shown."]},
            {"id": "s2", "status": "new", "title": "Rason port receives Russian grain", "tags": ["economy"],
             "entities": [], "articles": [article(4, "NK News", "2026-11-12T10:00:00")],
             "baseline": [], "whats_new": ["Grain shipments resumed through Rason."]},
            {"id": "s3", "status": "developing", "title": "North Korean troops in Kursk",
             "tags": ["military"],
             "entities": [], "articles": [article(5, "AP", "2026-11-13T10:00:00"),
                                          article(6, "Reuters", "2026-11-14T10:00:00")],
             "baseline": [{"id": "seed-2", "url": "https://old.example/2", "title": "Troops deployed"}],
             "whats_new": ["A second brigade has arrived."]},
            {"id": "s4", "status": "known", "title": "Recap: the 2024 treaty", "tags": ["diplomacy"],
             "entities": [], "articles": [article(7, "Yonhap", "2026-11-15T10:00:00")],
             "baseline": [{"id": "seed-3", "url": "https://old.example/3", "title": "Treaty"}],
             "whats_new": []},
        ],
        "excluded": [{"id": "a-9", "url": "https://x.example/9", "title": "Football", "reason": "off-topic"}],
    }


def test_summary_counts_stories_articles_and_sources() -> None:
    view = build_view(sample_data(), lang="en", title="Russia–North Korea", label="2026-W46", tz="UTC")
    assert view.summary.startswith("2 new developments, 1 developing story — 7 articles from 6 sources.")
    assert "1 known re-telling" in view.summary
    first = view.new[0]
    assert first.url == "https://news1.example/1" and first.source == "Reuters"
    assert first.date == "10 November 2026"
    assert first.also == "Le Monde and BBC"
    assert first.sentences == ("The two leaders signed the pact on Monday.",
                               "It adds joint air-defence exercises.",
                               "Troops will rotate through Vladivostok.")
    assert view.developing[0].sentences == ("A second brigade has arrived.",)
    assert [b.tag for b in view.bars] == ["military", "diplomacy", "economy"]
    assert view.bars[0].count == 5 and view.bars[0].baseline is None


def test_french_wording_and_dates() -> None:
    view = build_view(sample_data(), lang="fr", title="Russie–Corée du Nord", label="2026-W46", tz="UTC")
    assert view.summary.startswith("2 nouveaux développements, 1 sujet en cours — 7 articles de 6 sources.")
    assert view.new[0].date == "10 novembre 2026" and view.new[0].also == "Le Monde et BBC"
    assert view.t["new_heading"] == "Nouveaux développements"
    assert i18n.format_date(datetime(2026, 12, 1), "fr") == "1er décembre 2026"


def test_optional_keys_are_used_when_present() -> None:
    data = sample_data()
    data["first_seen_entities"] = [{"name": "Oleg Ivanov", "kind": "person"}, "Tumen Bridge"]
    data["tag_volume"] = {"military": {"window": 4, "baseline_weekly_avg": 1.5},
                          "economy": {"window": 1, "baseline_weekly_avg": 2.0}}
    data["stories"][0]["tag_labels"] = [{"key": "military", "label": "Military", "label_fr": "Militaire"}]
    view = build_view(data, lang="en", title="T", label="", tz="UTC")
    assert view.names == ("Oleg Ivanov", "Tumen Bridge")
    assert [(b.tag, b.count, b.baseline, b.width, b.baseline_width) for b in view.bars] == [
        ("Military", 4, 1.5, 100, 38), ("economy", 1, 2.0, 25, 50)]
    assert view.new[0].tags == ("Military", "diplomacy")
    assert build_view(data, lang="fr", title="T", label="", tz="UTC").bars[0].tag == "Militaire"


def test_untrusted_titles_are_cut_and_links_are_http_only() -> None:
    data = sample_data(title="Line one\r\nBcc: evil@example.org " + "x" * 500)
    data["stories"][1]["articles"][0]["url"] = "javascript:alert(1)"
    view = build_view(data, lang="en", title="T", label="", tz="UTC")
    assert "\n" not in view.new[0].title and len(view.new[0].title) <= 200
    assert view.new[1].url == ""
    assert safe_url("https://ok.example/a") == "https://ok.example/a"
    assert safe_url("https://ok.example/a\nb") == ""


def test_a_week_with_only_known_retellings_is_empty() -> None:
    data = sample_data()
    data["stories"] = [s for s in data["stories"] if s["status"] == "known"]
    assert is_empty(data)
    view = build_view(data, lang="en", title="T", label="", tz="UTC")
    assert view.summary == ("Nothing new this week: between 9 November 2026 and 15 November 2026 only known "
                            "facts were retold.")
    assert view.known[0].title == "Recap: the 2024 treaty"


def test_default_window_is_the_last_full_week_in_the_configured_zone() -> None:
    now = datetime(2026, 11, 21, 12, 0)  # Saturday
    week = default_window(now, "UTC", "monday")
    assert (week.since, week.until, week.label) == (datetime(2026, 11, 9), datetime(2026, 11, 16), "2026-W46")
    paris = default_window(now, "Europe/Paris", "monday")
    assert (paris.since, paris.until) == (datetime(2026, 11, 8, 23), datetime(2026, 11, 15, 23))
    # Sunday 23:30 UTC is already Monday in Tokyo: the week that just ended there is W47.
    tokyo = default_window(datetime(2026, 11, 22, 23, 30), "Asia/Tokyo", "monday")
    assert tokyo.label == "2026-W47" and tokyo.until == datetime(2026, 11, 22, 15)


def test_weeks_starting_on_another_day_are_labelled_by_their_middle_day() -> None:
    sunday = window_for_week("2026-W47", "UTC", "sunday")
    assert (sunday.since, sunday.until) == (datetime(2026, 11, 15), datetime(2026, 11, 22))
    assert default_window(datetime(2026, 11, 23, 9), "UTC", "sunday") == sunday
    friday = window_for_week("2026-W47", "UTC", "friday")
    assert friday.since == datetime(2026, 11, 13) and friday.label == "2026-W47"
    monday = window_for_week("2026-W01", "UTC", "monday")
    assert monday.since == datetime(2025, 12, 29)


def test_bad_weeks_and_ranges_are_named() -> None:
    with pytest.raises(ConfigError, match="2026-W54"):
        window_for_week("2026-W54", "UTC", "monday")
    with pytest.raises(ConfigError, match="expected an ISO week"):
        window_for_week("week 47", "UTC", "monday")
    assert custom_window("2026-11-01", "2026-11-07", "UTC").until == datetime(2026, 11, 8)
    with pytest.raises(ConfigError, match="empty"):
        custom_window("2026-11-07", "2026-11-01", "UTC")
