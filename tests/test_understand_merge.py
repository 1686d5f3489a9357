"""Stories of one event that split are merged as wholes (issue 12).

An English first report of an event that shares too little with its story founds a story of its own,
and its French translation joins that one; when the two stories as wholes are as close as a join, they
are one event, and the younger story's articles move to the older one (a seed's story always stays).
One report scoring high against two stories does not merge them on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bench.eval.__main__ import DEVSET, load_set, run
from monitor.config import PROJECT_DIR, Config
from monitor.core import Monitor
from monitor.store.articles import save_article
from monitor.store.models import Article, Story, StoryArticle, StoryKey
from monitor.text import url_article_id
from monitor.types import NewArticle
from monitor.understand import stories
from monitor.understand.stories import ArticleFeatures, KeyWeights, StoryProfile

DAY = datetime(2024, 10, 18)
ACTORS = frozenset({"russia", "north-korea", "putin", "kim-jong-un", "pyongyang"})
EVENT = {"fig:12000", "date:2024-10-13", "vladivostok", "nis"}
OTHER_FACTS = {"austin", "date:2024-10-23", "fig:3000"}


def _weights() -> KeyWeights:
    counts = {k: 195 for k in ACTORS} | {k: 4 for k in EVENT | OTHER_FACTS}
    return KeyWeights(n=200, df=counts, common=ACTORS)


def _story(sid: str, at: datetime, *key_sets: set[str], seed: bool = False) -> StoryProfile:
    profile = StoryProfile(sid, at, at)
    for i, keys in enumerate(key_sets):
        profile.add(ArticleFeatures(f"{sid}-{i}", at, seed and i == 0, frozenset(keys | ACTORS)))
    return profile


def test_one_report_naming_the_keys_of_two_stories_does_not_merge_them() -> None:
    """A report bridging two stories of several reports (high against both) joins one of them; the two
    stay apart, as their wholes share nothing else: merging through one article is the chaining issue 12
    describes."""
    first = _story("s-first", DAY, EVENT, EVENT, EVENT, EVENT)
    other = _story("s-other", DAY + timedelta(days=5), OTHER_FACTS, OTHER_FACTS, OTHER_FACTS, OTHER_FACTS)
    bridge = ArticleFeatures("bridge", DAY + timedelta(days=6), False,
                             frozenset(EVENT | OTHER_FACTS | ACTORS))
    weights = _weights()
    decision = stories.decide(bridge, [first, other], weights)
    assert decision.story_id == "s-first"
    assert all(s.score >= stories.MERGE_SCORE for s in decision.scored[:2])  # high against both
    first.add(bridge, weights)
    assert stories.same_event(first, [other], weights) is None


def test_a_large_story_looks_for_its_event_through_the_keys_its_reports_share() -> None:
    """A story of a hundred reports finds the story its event's keys lead to, and not one that shares
    only a detail a single report of the hundred named (a thousandth of its centroid, which could never
    make a merge; scanning such details was most of the cost of merging on a large store)."""
    day_keys = [{f"name:witness-{i}"} for i in range(100)]
    large = _story("s-large", DAY, *[EVENT | k for k in day_keys])
    same = _story("s-same", DAY + timedelta(days=1), EVENT, EVENT)
    detail = _story("s-detail", DAY + timedelta(days=1), {"name:witness-7", "date:2024-10-25"})
    profiles = {p.story_id: p for p in (large, same, detail)}
    postings: dict[str, set[str]] = {}
    for p in profiles.values():
        for key in p.keys:
            postings.setdefault(key, set()).add(p.story_id)
    weights = _weights()
    found = {p.story_id for p in stories.candidates(large, postings, profiles, weights)}
    assert "s-same" in found and "s-detail" not in found
    assert stories.same_event(large, [profiles[i] for i in found - {"s-large"}], weights) == "s-same"


def test_the_older_story_stays_and_a_seeds_story_stays_whatever_its_age() -> None:
    first = _story("s-first", DAY, EVENT, EVENT)
    split = _story("s-split", DAY + timedelta(days=5), OTHER_FACTS | {"nis"})
    stays, gone = stories.survivor(split, first)
    assert (stays.story_id, gone.story_id) == ("s-first", "s-split")
    seed_b = _story("s-seed-b", DAY, EVENT, seed=True)
    stays, _gone = stories.survivor(_story("s-old", DAY - timedelta(days=9), EVENT), seed_b)
    assert stays.story_id == "s-seed-b"


def _store(monitor: Monitor, stories_wanted: set[str] | None, labelled: str = "devset.jsonl",
           until: datetime | None = None) -> list[dict]:
    """Save the labelled rows of ``stories_wanted`` (every row with None) published before ``until``."""
    chosen = [r for r in load_set(PROJECT_DIR / "bench" / "eval" / labelled)
              if (stories_wanted is None or r.get("story") in stories_wanted)
              and (until is None or r["published"] < until)]
    for row in chosen:
        url = f"https://news.example/{row['id']}"
        with monitor.db.session() as session:
            save_article(session, NewArticle(
                id=url_article_id(url), url=url, title=row["title"], text=row["text"], source=row["source"],
                lang=row["lang"], published_at=row["published"]), now=row["published"])
    return chosen


def test_the_troop_deployment_reports_end_in_one_story(
        make_config: Callable[..., Config]) -> None:
    """Development set, October 2024: the US defence secretary's confirmation (tp-austin, English
    first) shares too little with the story of the first reports (tp-nis) and founds its own, which its
    translation joins; as wholes the two stories are one event and merge."""
    with Monitor(make_config(), clock=lambda: datetime(2025, 1, 1)) as monitor:
        monitor.ensure_schema()
        monitor.load_seeds(PROJECT_DIR / "seeds")
        _store(monitor, {"troops-2024", "treaty-ratif"})
        summary = monitor.analyze()
        with monitor.db.session(read_only=True) as session:
            story_of = dict(session.execute(select(StoryArticle.article_id, StoryArticle.story_id)).all())
            merged = {gone: session.get(Story, gone) for gone in summary.merged}
            keys_left = {gone: session.scalars(select(StoryKey).where(StoryKey.story_id == gone)).all()
                         for gone in summary.merged}
            first = story_of[url_article_id("https://news.example/tp-nis-en")]
            survivor = session.get(Story, first)
            originals = set(session.scalars(select(Article.id).where(Article.duplicate_of.is_(None))))
            members = sum(1 for a, s in story_of.items() if s == first and a in originals)
    assert summary.merged, "no merge happened"
    for name in ("tp-austin-en", "tp-austin-fr", "tp-nis-fr", "tp-feature-en"):
        assert story_of[url_article_id(f"https://news.example/{name}")] == first, name
    assert summary.story_of(next(iter(summary.merged))) in set(story_of.values())
    for gone, row in merged.items():
        assert row is not None and row.members == 0 and not keys_left[gone]
    assert survivor is not None and survivor.members == members  # its originals, the merged ones included


WEEK = timedelta(days=7)


def test_a_report_and_its_translation_left_apart_merge_into_the_event_they_share_most_with() -> None:
    """Each report's own decision fell short of the join score, but the two stories as wholes are as close
    as a join: the report's story (two members: it and its translation) merges into the event's story."""
    weights = _weights()
    event = _story("s-event", DAY, EVENT, EVENT | {"fig:3000"}, EVENT, EVENT | {"austin"}, EVENT)
    report = {"nis", "austin", "date:2024-10-23", "name:new-speaker"}
    pair = _story("s-pair", DAY + timedelta(days=2), report, report)
    cosine, _ = stories.story_similarity(pair, event, weights)
    assert stories.JOIN_SCORE <= cosine < stories.MERGE_SCORE
    assert stories.same_event(pair, [event], weights) == "s-event"
    # the same closeness between two stories of several reports each is not enough: MERGE_SCORE
    several = _story("s-several", DAY + timedelta(days=2), report, report, report)
    assert stories.JOIN_SCORE <= stories.story_similarity(several, event, weights)[0] < stories.MERGE_SCORE
    assert stories.same_event(several, [event], weights) is None


def test_themes_distant_stories_and_two_seeds_stories_are_never_merged_as_one_event() -> None:
    weights = _weights()
    event = _story("s-event", DAY, EVENT, EVENT)
    twin = _story("s-twin", DAY + timedelta(days=1), EVENT)
    assert stories.same_event(twin, [event], weights) == "s-event"
    late = _story("s-late", DAY + 2 * WEEK, EVENT)  # two weeks after the event's last report
    assert stories.same_event(late, [event], weights) is None
    theme = _story("s-theme", DAY - 8 * WEEK, EVENT, EVENT)
    theme.add(ArticleFeatures("s-theme-late", DAY, False, frozenset(EVENT | ACTORS)))
    assert stories.same_event(twin, [theme], weights) is None  # eight weeks of reports: a theme
    seed_a = _story("s-seed-a", DAY, EVENT, seed=True)
    seed_b = _story("s-seed-b", DAY, EVENT, seed=True)
    assert stories.same_event(seed_a, [seed_b], weights) is None


def test_the_satellite_launchs_reports_end_in_one_story(make_config: Callable[..., Config]) -> None:
    """Second labelled set, November 2023: the UN Security Council meeting on the satellite launch and its
    French translation, then the trilateral sanctions, founded stories of their own beside the launch's;
    as wholes they are one event with it and merge into it (the launch's story, the oldest, stays)."""
    with Monitor(make_config(), clock=lambda: datetime(2024, 1, 1)) as monitor:
        monitor.ensure_schema()
        monitor.load_seeds(PROJECT_DIR / "seeds")
        rows = _store(monitor, {"satellite-nov2023"}, "set2/satellite.jsonl")
        summary = monitor.analyze()
        with monitor.db.session(read_only=True) as session:
            story_of = dict(session.execute(select(StoryArticle.article_id, StoryArticle.story_id)).all())
    assert summary.merged, "no stories merged"
    launch = story_of[url_article_id("https://news.example/sat-launch-en")]
    together = {r["id"] for r in rows
                if story_of.get(url_article_id(f"https://news.example/{r['id']}")) == launch}
    assert {"sat-unsc-fr", "sat-sanctions-en"} <= together


def test_a_report_of_the_day_a_dateless_seed_reports_joins_the_seeds_story(
        make_config: Callable[..., Config]) -> None:
    """Seed 002 reports Putin receiving Choe Son-hui on 16 January 2024 without naming the day (the
    manifest dates it). The first English report of Choe's talks in Moscow that day names new people and
    the days of her visit; with the seed's own day as its date key it shares that day with the seed and
    joins the seed's story instead of founding one (development set: 0.19 against the seed, under the
    join score, without it)."""
    with Monitor(make_config(), clock=lambda: datetime(2024, 2, 1)) as monitor:
        monitor.ensure_schema()
        monitor.load_seeds(PROJECT_DIR / "seeds")
        _store(monitor, None, until=datetime(2024, 1, 18))
        monitor.analyze()
        with monitor.db.session(read_only=True) as session:
            story_of = dict(session.execute(select(StoryArticle.article_id, StoryArticle.story_id)).all())
            seed = session.scalars(select(Article.id).where(
                Article.seed_file == "002_0c4a26fb87c45e09.txt")).one()
            seed_keys = set(session.scalars(
                select(StoryKey.entity_key).where(StoryKey.story_id == story_of[seed])))
    assert story_of[url_article_id("https://news.example/s2-lavrov-en")] == story_of[seed]
    assert "date:2024-01-16" in seed_keys


def test_a_seed_that_names_no_date_takes_its_established_day_and_one_that_does_keeps_its_own() -> None:
    from monitor.understand.document import build_document
    from monitor.understand.entities import date_the_undated, extract
    from monitor.understand.topic import load_topic

    topic = load_topic()
    day = datetime(2024, 1, 16)
    undated = extract(topic, build_document("", "La récente rencontre avec Choe Son-hui.", 2), "fr", day)
    date_the_undated(undated, day)
    assert {k for k in undated.found if k.startswith("date:")} == {"date:2024-01-16"}
    dated = extract(topic, build_document("", "Kim est arrivé le 12 septembre 2023 à Khasan.", 2), "fr", day)
    date_the_undated(dated, day)
    assert {k for k in dated.found if k.startswith("date:")} == {"date:2023-09-12"}


def test_a_story_split_off_a_seeds_summit_merges_though_the_summits_story_later_spans_a_year(
        make_config: Callable[..., Config]) -> None:
    """Development set, June 2024, analysed in one batch with the year that follows (a first run, a
    backlog): Seoul's protest to Russia's ambassador two days after the summit starts a story beside the
    summit's (it joins a same-day report, not the summit's story); the summit's story later holds the
    anniversary re-telling a year on. Merged only at the end of the batch, the summit's story spans a
    year — a theme, never merged; merged as the days go by, the protest's story joins it."""
    with Monitor(make_config(), clock=lambda: datetime(2025, 7, 1)) as monitor:
        monitor.ensure_schema()
        monitor.load_seeds(PROJECT_DIR / "seeds")
        _store(monitor, None, until=datetime(2025, 6, 20))  # the whole set up to the anniversary
        monitor.analyze()
        with monitor.db.session(read_only=True) as session:
            story_of = dict(session.execute(select(StoryArticle.article_id, StoryArticle.story_id)).all())
            seed = session.scalars(select(Article.id).where(
                Article.seed_file == "004_9d3c9eab45e7b486.txt")).one()
    assert story_of[url_article_id("https://news.example/s4-anniv-en")] == story_of[seed]
    assert story_of[url_article_id("https://news.example/s4-zinoviev-en")] == story_of[seed]


def test_a_report_bridging_two_events_of_one_week_leaves_them_two_stories(
        make_config: Callable[..., Config]) -> None:
    """Two events of one week, each reported four times, then a round-up naming the facts of both: the
    round-up joins one story and the two stay apart (one article no longer merges two stories)."""
    shells = [
        "North Korea shipped 12,000 artillery shells to Russia through the port of Rajin on 13 October, "
        "South Korea's National Intelligence Service said.",
        "Seoul's spy agency says 12,000 North Korean shells left Rajin for Russia on 13 October.",
        "The National Intelligence Service counted 12,000 North Korean rounds loaded at Rajin on 13 "
        "October and bound for the Russian front.",
        "Intelligence officials in Seoul said a cargo of 12,000 shells sailed from North Korea's Rajin "
        "to Russia on 13 October.",
    ]
    visit = [
        "Mikhail Mishustin opened talks on the Tumen road bridge in Pyongyang on 16 October, promising "
        "4,500 tonnes of wheat, the Russian government said.",
        "Russia's prime minister Mishustin arrived in Pyongyang on 16 October with 4,500 tonnes of wheat "
        "and plans for the Tumen bridge.",
        "On 16 October Mishustin and his North Korean hosts discussed the Tumen bridge; Moscow pledged "
        "4,500 tonnes of wheat.",
        "Mishustin's visit to Pyongyang on 16 October brought a pledge of 4,500 tonnes of wheat and "
        "progress on the Tumen road bridge.",
    ]
    texts = [(f"shells-{i}", "Seoul: North Korean shells shipped to Russia", t) for i, t in enumerate(shells)]
    texts += [(f"visit-{i}", "Russia's Mishustin in Pyongyang", t) for i, t in enumerate(visit)]
    roundup = ("A busy week between Moscow and Pyongyang: after 12,000 shells left Rajin on 13 October, "
               "Mishustin came on 16 October with 4,500 tonnes of wheat and the Tumen bridge on the agenda, "
               "while the National Intelligence Service kept count.")
    texts.append(("roundup", "Russia and North Korea: the week", roundup))
    with Monitor(make_config(), clock=lambda: datetime(2024, 11, 1)) as monitor:
        monitor.ensure_schema()
        for n, (slug, title, text) in enumerate(texts):
            at = datetime(2024, 10, 17, 8) + timedelta(hours=n)
            url = f"https://news.example/{slug}"
            with monitor.db.session() as session:
                save_article(session, NewArticle(id=url_article_id(url), url=url, title=title,
                                                 text=text, source=f"Outlet {n}",
                                                 lang="en", published_at=at), now=at)
        summary = monitor.analyze()
        with monitor.db.session(read_only=True) as session:
            story_of = dict(session.execute(select(StoryArticle.article_id, StoryArticle.story_id)).all())
    ids = {slug: url_article_id(f"https://news.example/{slug}") for slug, _, _ in texts}
    assert len({story_of[ids[f"shells-{i}"]] for i in range(4)}) == 1
    assert len({story_of[ids[f"visit-{i}"]] for i in range(4)}) == 1
    assert story_of[ids["shells-0"]] != story_of[ids["visit-0"]]
    assert story_of[ids["roundup"]] in (story_of[ids["shells-0"]], story_of[ids["visit-0"]])
    assert not summary.merged


def _labelled(name: str) -> list[dict]:
    if name == "devset":
        return load_set(DEVSET)
    folder = PROJECT_DIR / "bench" / "eval" / name
    return [row for path in sorted(folder.glob("*.jsonl")) for row in load_set(path)]


@pytest.mark.parametrize("name", ["devset", "set3", "set5"])
def test_a_backlog_analysed_at_once_forms_the_stories_a_week_by_week_analysis_forms(name: str) -> None:
    """A labelled set (months of news) stored and analysed at once — a first run, a backlog — forms
    exactly the stories that storing and analysing it a week at a time forms. Two things make it so:
    stories merge as the days of a batch go by (merged only at each batch's end, the development set's
    troop deployment stayed apart in one run from reports it took week by week);
    and the stories of the last two weeks are judged again for a merge at each batch's end, with the
    weights of then (without it, the third set's UN finding on the Kharkiv missile and Washington's
    reaction merged in one run and stayed apart week by week: story F1 0.78 against 0.63)."""
    rows = _labelled(name)

    def partition(pred: dict) -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for article, story in pred["story"].items():
            groups.setdefault(story, set()).add(article)
        return {frozenset(g) for g in groups.values()}

    assert partition(run(rows, direct=True)) == partition(run(rows, weekly=True))

