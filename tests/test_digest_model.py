"""The digest view model, windows and wording: pure functions on hand-written digest JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from monitor.digest import i18n, names
from monitor.digest.mail import subject
from monitor.digest.model import (
    MAX_REPORTS,
    DigestView,
    FailingFeed,
    Line,
    Previously,
    SourceHealth,
    build_view,
    count,
    is_empty,
    safe_url,
)
from monitor.digest.pipeline import DEFAULT_TOPIC, hold_reason
from monitor.digest.window import check_finished, custom_window, default_window, window_for_week
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


def _view(data: dict[str, Any], lang: str = "en", **kwargs: Any) -> DigestView:
    return build_view(data, lang=lang, title="Russia–North Korea", label="2026-W46", tz="UTC", **kwargs)


def test_summary_counts_stories_articles_and_sources() -> None:
    view = _view(sample_data())
    assert view.summary.startswith("2 new developments, 1 developing story — 7 articles from 6 sources.")
    assert "1 known re-telling" in view.summary
    first = view.new[0]
    assert first.url == "https://news1.example/1" and first.source == "Reuters"
    assert first.date == "10 November 2026" and first.lang == "English"
    assert [line.text for line in first.sentences] == ["The two leaders signed the pact on Monday.",
                                                       "It adds joint air-defence exercises.",
                                                       "Troops will rotate through Vladivostok."]
    assert [b.tag for b in view.bars] == ["military", "diplomacy", "economy"]
    # Counted from the stories without tag_volume: originals only (s1's copy is not counted), no baseline.
    assert view.bars[0].value == "4" and view.bars[0].baseline == ""


def test_every_report_is_visible_and_copies_are_collapsed_under_their_original() -> None:
    data = sample_data()
    story = data["stories"][0]
    story["articles"] += [article(8, "AFP", "2026-11-10T09:00:00", duplicate_of="a-3"),
                          article(9, "Kyodo", "2026-11-09T07:00:00", duplicate_of="a-elsewhere")]
    view = _view(data)
    head = view.new[0]
    assert head.also_in == "also in Le Monde"  # a-2 copies the headline report a-1
    # a-9 copies an article outside the week: it is a report of its own, the earliest, so listed first.
    assert [(r.source, r.date, r.lang, r.also_in) for r in head.reports] == [
        ("Kyodo", "9 November 2026", "English", ""), ("BBC", "11 November 2026", "English", "also in AFP")]
    assert head.reports[1].url == "https://news3.example/3" and head.reports[1].title == "Article 3"
    story["articles"] += [article(20 + i, f"Outlet {i}", f"2026-11-12T{i:02d}:00:00") for i in range(12)]
    crowded = _view(data).new[0]
    assert len(crowded.reports) == MAX_REPORTS
    assert crowded.more_reports == "…and 6 more reports in the archive."


def test_french_wording_dates_numbers_and_plurals_follow_the_locale() -> None:
    view = build_view(sample_data(), lang="fr", title="Russie–Corée du Nord", label="2026-W46", tz="UTC")
    assert view.summary.startswith("2 nouveaux développements, 1 sujet en cours — 7 articles de 6 sources.")
    assert view.new[0].date == "10 novembre 2026" and view.new[0].also_in == "repris par Le Monde"
    assert view.new[0].lang == "anglais" and view.t["new_heading"] == "Nouveaux développements"
    assert i18n.format_date(datetime(2026, 12, 1), "fr") == "1 décembre 2026"
    assert i18n.plural("fr", "story", 0) == "0 sujet" and i18n.plural("en", "story", 0) == "0 stories"
    assert i18n.plural("fr", "more_reports", 1) == "1 autre article"
    assert i18n.plural("fr", "article", 1234) == "1\u202f234 articles"
    assert i18n.number(0, "fr", digits=1) == "0,0" and i18n.percent(0.42, "fr") == "42\u00a0%"
    assert i18n.join_names(["A", "B", "C"], "fr") == "A, B et C"


def test_developing_stories_say_what_they_follow_and_where_each_new_fact_comes_from() -> None:
    data = sample_data()
    story = data["stories"][2]
    story["previously"] = {"id": "seed-2", "url": "https://old.example/2", "title": "Troops deployed",
                           "published": "2024-10-18T09:00:00", "source": "Seed",
                           "sentence": "About 3,000 North Korean soldiers were sent to Russia in October."}
    story["whats_new"] = ["A second brigade has arrived.", "North Korean troops in Kursk"]
    story["whats_new_items"] = [
        {"sentence": "A second brigade has arrived.", "article_id": "a-6", "url": "https://news6.example/6",
         "source": "Reuters", "published": "2026-11-14T10:00:00", "lang": "en"},
        {"sentence": "North Korean troops in Kursk", "article_id": "a-5", "url": "https://news5.example/5",
         "source": "AP", "published": "2026-11-13T10:00:00", "lang": "en"}]
    developing = _view(data).developing[0]
    assert developing.previously == Previously(
        "Troops deployed", "https://old.example/2", "Seed", "18 October 2024",
        "About 3,000 North Korean soldiers were sent to Russia in October.")
    # The headline repeated as a "new fact" is dropped; the other keeps its source, date and link.
    assert developing.sentences == (Line("A second brigade has arrived.", "Reuters", "14 November 2026",
                                         "https://news6.example/6"),)
    assert developing.reports[0].source == "Reuters"  # AP's report is the headline, Reuters' is listed
    del story["previously"], story["whats_new_items"]
    story["baseline"] = [{"id": "seed-2", "url": "https://old.example/2", "title": "Troops deployed",
                          "published": "2024-10-18T09:00:00", "seed": True},
                         {"id": "a-0", "url": "https://old.example/0", "title": "Later",
                          "published": "2025-01-01"}]
    fallback = _view(data).developing[0]
    assert fallback.previously == Previously("Troops deployed", "https://old.example/2", "",
                                             "18 October 2024", "")
    assert fallback.sentences == (Line("A second brigade has arrived."),)
    assert _view(data).new[0].previously is None


def test_key_sentences_are_whole_and_never_the_headline() -> None:
    data = sample_data("Kim and Putin sign a pact")
    data["stories"][0]["key_sentences"] = ["Kim and Putin sign a pact.", "“It is " + "very " * 100 + "big”.",
                                           "It adds joint exercises."]
    assert [s.text for s in _view(data).new[0].sentences] == ["It adds joint exercises."]


def test_the_lead_has_one_linked_line_per_new_and_developing_story_before_the_counts() -> None:
    view = _view(sample_data())
    assert [(line.kind, line.title, line.url) for line in view.lead] == [
        ("New", "Kim and Putin sign a new defence pact in Pyongyang", "https://news1.example/1"),
        ("New", "Rason port receives Russian grain", "https://news4.example/4"),
        ("Developing", "North Korean troops in Kursk", "https://news5.example/5")]
    assert [line.kind for line in _view(sample_data(), "fr").lead] == ["Nouveau", "Nouveau", "Suite"]


def test_the_watch_is_named_per_language_and_tags_get_short_labels_from_the_topic_file() -> None:
    bundled = names.load(DEFAULT_TOPIC)
    assert bundled.title("en") == "Russia–North Korea" and bundled.title("fr") == "Russie–Corée du Nord"
    assert bundled.tag("reactions", "en") == "Reactions" and bundled.tag("reactions", "fr") == "Réactions"
    data = sample_data()
    data["stories"][0]["tags"] = ["reactions", "unlisted"]
    view = build_view(data, lang="fr", title=bundled, label="2026-W46", tz="UTC")
    assert view.heading == "Veille Russie–Corée du Nord" and view.new[0].tags == ("Réactions", "unlisted")
    configured = names.from_topic({"watch": {"name": "X", "name_fr": "Y"}}, "Configured")
    assert configured.title("fr") == "Configured"
    assert names.from_topic({"watch": {"name": "Only English"}}).title("fr") == "Only English"


def test_the_tag_chart_compares_shares_and_is_scaled_to_the_largest_value_shown() -> None:
    data = sample_data()
    data["tag_volume"] = {
        "military": {"window": 4, "baseline_weekly_avg": 0.0, "window_share": 0.8, "baseline": 10,
                     "baseline_share": 0.2, "window_total": 5, "baseline_total": 50},
        "economy": {"window": 1, "baseline_weekly_avg": 0.0, "window_share": 0.2, "baseline": 40,
                    "baseline_share": 0.4, "window_total": 5, "baseline_total": 50},
        "quiet": {"window": 0, "baseline_weekly_avg": 0.0, "window_share": 0.0, "baseline": 5,
                  "baseline_share": 0.1, "window_total": 5, "baseline_total": 50}}
    data["stories"][0]["tag_labels"] = [{"key": "military", "label": "Military", "label_fr": "Militaire"}]
    view = _view(data)
    assert [(b.tag, b.value, b.baseline, b.width, b.baseline_width) for b in view.bars] == [
        ("Military", "80%", "20%", 100, 25), ("economy", "20%", "40%", 25, 50)]
    assert "share of this week's 5 articles" in view.chart_legend
    assert "50 articles known before" in view.chart_legend
    fr = _view(data, "fr")
    assert fr.bars[0].tag == "Militaire" and fr.bars[0].value == "80\u00a0%"
    assert "parmi les 50 articles connus avant cette semaine" in fr.chart_legend
    # An older digest JSON without shares: this week's counts against the weekly average, no legend.
    data["tag_volume"] = {"military": {"window": 4, "baseline_weekly_avg": 1.5}}
    assert [(b.value, b.baseline, b.width, b.baseline_width) for b in _view(data).bars] == [
        ("4", "1.5", 100, 38)]
    assert _view(data).chart_legend.endswith("the weekly average of the weeks before it.")
    assert _view(sample_data()).chart_legend == ""  # counted from the stories: nothing compared


def test_names_seen_for_the_first_time_keep_only_people_organisations_and_places_once() -> None:
    data = sample_data()
    data["first_seen_entities"] = [{"name": "Oleg Ivanov", "kind": "person"}, {"name": "Analysis What",
                                   "kind": "unknown"}, {"name": "OLEG IVANOV", "kind": "person"},
                                   {"name": "Tumen Bridge", "kind": "place"}]
    assert _view(data).names == ("Oleg Ivanov", "Tumen Bridge")


def test_unreachable_sources_are_one_neutral_line_and_most_failing_holds_the_digest() -> None:
    failing = tuple(FailingFeed(f"Feed {i}", "cannot resolve host [Errno -2]") for i in range(3))
    partial = SourceHealth(3, 12, failing)
    assert _view(sample_data(), health=partial).sources_note == (
        "3 of 12 sources could not be reached while this digest was built.")
    assert _view(sample_data(), "fr", health=partial).sources_note.startswith("3 sur 12 sources n’ont pas pu")
    assert hold_reason(partial) == "" and hold_reason(SourceHealth()) == ""
    held = hold_reason(SourceHealth(7, 12, failing))
    assert held.startswith("held: 7 of 12 enabled feeds failed") and "Feed 0 (cannot resolve host" in held


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
    assert view.lead == ()
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


def test_a_digest_covers_finished_days_only() -> None:
    week = window_for_week("2026-W47", "UTC", "monday")
    check_finished(week, datetime(2026, 11, 23, 0, 0), "--week 2026-W47")  # ended at midnight: fine
    with pytest.raises(ConfigError, match="--week 2026-W47 is not over yet: it ends 2026-11-23 00:00 UTC"):
        check_finished(week, datetime(2026, 11, 20, 12, 0), "--week 2026-W47")
    with pytest.raises(ConfigError, match="has not started yet"):
        check_finished(window_for_week("2031-W10", "UTC", "monday"), datetime(2026, 11, 20), "--week X")


def test_subjects_say_the_year_with_the_week() -> None:
    week = window_for_week("2026-W46", "UTC", "monday")
    counts = count(sample_data())
    assert subject("Russia–North Korea", week, counts, "en", "UTC") == (
        "Russia–North Korea watch, week 46 of 2026: 2 new developments")
    assert subject("Russie–Corée du Nord", week, counts, "fr", "UTC") == (
        "Veille Russie–Corée du Nord, semaine 46 de 2026 : 2 nouveaux développements")
