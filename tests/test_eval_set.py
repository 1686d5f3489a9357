"""The development set of issue 12 (bench/eval/devset.jsonl) is well formed and its labels agree.

A broken set (a row that does not parse, a copy pointing at nothing or at another story, a story-week
split between halves, a missing language or half) would make every score of ``python -m bench.eval``
meaningless, so these checks run with the tests.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import datetime

import pytest

from bench.eval.__main__ import DEVSET, DEVSET_WEEKS, HALVES, SEED_IDS, load_set
from bench.eval.score import KNOWN, NEW, story_week_truth, week_start, week_table
from monitor.config import PROJECT_DIR

REQUIRED = {"id": str, "source": str, "lang": str, "published": str, "title": str, "text": str,
            "relevant": bool, "split": str, "new_facts": list}
MIN_ARTICLES = 150


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    rows = []
    for number, line in enumerate(DEVSET.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"devset.jsonl:{number}: blank line"
        rows.append(json.loads(line))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return load_set(DEVSET)


def test_every_row_has_the_required_fields(raw: list[dict]) -> None:
    for row in raw:
        for field, kind in REQUIRED.items():
            assert isinstance(row.get(field), kind), f"{row.get('id')}: {field} must be {kind.__name__}"
        datetime.fromisoformat(row["published"])
        assert row["lang"] in {"fr", "en"}, row["id"]
        assert row["split"] in HALVES, row["id"]
        assert row["title"].strip() and row["text"].strip(), row["id"]
        assert "story" in row and "duplicate_of" in row, row["id"]


def test_ids_are_unique_and_the_set_is_large_enough(raw: list[dict]) -> None:
    ids = [r["id"] for r in raw]
    assert len(ids) == len(set(ids))
    assert len(ids) >= MIN_ARTICLES


def test_relevance_and_story_labels_agree(raw: list[dict]) -> None:
    for row in raw:
        if row["relevant"]:
            assert row["story"], f"{row['id']}: a relevant article needs a story"
        else:
            assert row["story"] is None and not row["new_facts"] and row["duplicate_of"] is None, row["id"]
        if row["story"] and row["story"].startswith("seed"):
            assert row["story"] in SEED_IDS, f"{row['id']}: unknown seed story {row['story']}"


def test_seed_stories_point_at_seed_files() -> None:
    stems = {p.stem for p in (PROJECT_DIR / "seeds").glob("*.txt")}
    assert {sid.removeprefix("seed-") for sid in SEED_IDS.values()} <= stems


def test_copies_point_at_an_earlier_article_of_the_same_story(raw: list[dict]) -> None:
    by_id = {r["id"]: r for r in raw}
    for row in raw:
        original = row["duplicate_of"]
        if original is None:
            continue
        if original in SEED_IDS.values():
            assert row["story"] == next(lab for lab, sid in SEED_IDS.items() if sid == original)
            continue
        assert original in by_id, f"{row['id']}: duplicate_of {original} is not in the set"
        target = by_id[original]
        assert target["duplicate_of"] is None, f"{row['id']}: points at a copy"
        assert target["story"] == row["story"] and target["lang"] == row["lang"], row["id"]
        assert target["published"] <= row["published"], row["id"]
        assert not row["new_facts"], f"{row['id']}: a copy brings no new facts"


def test_translations_point_at_the_same_story_in_the_other_language(raw: list[dict]) -> None:
    by_id = {r["id"]: r for r in raw}
    for row in raw:
        if row.get("translation_of"):
            target = by_id[row["translation_of"]]
            assert target["story"] == row["story"] and target["lang"] != row["lang"], row["id"]


def test_both_languages_and_both_halves_hold_every_kind_of_case(rows: list[dict]) -> None:
    truth = story_week_truth(rows)
    for half in HALVES:
        mine = [r for r in rows if r["split"] == half]
        assert {r["lang"] for r in mine} == {"fr", "en"}, half
        assert any(not r["relevant"] for r in mine), f"{half}: no off-topic article"
        assert any(r["duplicate_of"] for r in mine), f"{half}: no syndicated copy"
        assert any(r["story"] and r["story"].startswith("seed") for r in mine), f"{half}: no seed follow-up"
        labels = {r["story"] for r in mine if r["story"]}
        statuses = {s for (label, _), s in truth.items() if label in labels}
        assert statuses == {NEW, "developing", KNOWN}, f"{half}: statuses {statuses}"


def test_a_story_week_lies_in_one_half(rows: list[dict]) -> None:
    halves = defaultdict(set)
    for row in rows:
        if row["story"]:
            halves[(row["story"], week_start(row["published"]))].add(row["split"])
    split = {key: h for key, h in halves.items() if len(h) > 1}
    assert not split, f"story-weeks in both halves: {sorted(split)}"


def test_seed_weeks_come_after_their_seed(rows: list[dict]) -> None:
    import tomllib

    manifest = tomllib.loads((PROJECT_DIR / "seeds" / "manifest.toml").read_text(encoding="utf-8"))
    seed_date = {f"seed-{s['file'].removesuffix('.txt')}": s["published"] for s in manifest["seed"]}
    for row in rows:
        if row["story"] and row["story"].startswith("seed"):
            assert row["published"].date().isoformat() >= seed_date[SEED_IDS[row["story"]]], row["id"]


def test_the_story_week_file_matches_the_labels(rows: list[dict]) -> None:
    written = [json.loads(line) for line in DEVSET_WEEKS.read_text(encoding="utf-8").splitlines()]
    assert written == week_table(rows), "devset_weeks.jsonl is stale: run python -m bench.eval --write-weeks"


def test_a_translation_carries_the_same_new_facts_as_its_original(raw: list[dict]) -> None:
    by_id = {r["id"]: r for r in raw}
    for row in raw:
        if row.get("translation_of"):
            assert row["new_facts"] == by_id[row["translation_of"]]["new_facts"], row["id"]


@pytest.mark.parametrize("folder", ["set2", "set3", "set4", "set5", "set6"])
def test_the_checking_sets_are_well_formed(folder: str) -> None:
    """The checking sets (``bench/eval/set2``, ``set3``: events outside the development set; ``set4``: other
    follow-ups and re-tellings of the seeds; ``set5``: July 2024 to October 2025; ``set6``: September
    2023 to December 2025, written last; used to check its rules, never to choose them) parse, and
    their copies and translations point at rows of their own story."""
    rows = [load_set(path) for path in sorted((PROJECT_DIR / "bench" / "eval" / folder).glob("*.jsonl"))]
    flat = [r for part in rows for r in part]
    assert len(flat) >= 60
    by_id = {r["id"]: r for r in flat}
    assert len(by_id) == len(flat), "ids are unique"
    for row in flat:
        for field, kind in REQUIRED.items():
            assert isinstance(row[field], datetime if field == "published" else kind), (row["id"], field)
        assert row["lang"] in ("en", "fr")
        assert bool(row.get("story")) == row["relevant"], row["id"]
        for ref in ("duplicate_of", "translation_of"):
            if row.get(ref):
                assert by_id[row[ref]]["story"] == row["story"], (row["id"], ref)
                assert by_id[row[ref]]["published"] <= row["published"], (row["id"], ref)
    assert {r["lang"] for r in flat if r["relevant"]} == {"en", "fr"}


def test_the_margins_tool_lists_every_decision_and_sums_up_its_margins() -> None:
    """``python -m bench.eval.margins`` prints one line per labelled decision (✗ marking an article
    outside its story's main story) and ends with the best wrong candidates' median and 90th percentile
    and the counts of misses, the numbers a closing note quotes."""
    from bench.eval.margins import run

    lines = run(str(PROJECT_DIR / "bench" / "eval" / "articles.jsonl"))
    summary = re.fullmatch(
        r"best wrong candidate: median (0\.\d\d), 90th percentile (0\.\d\d) over (\d+) decisions; "
        r"not in their story's main story \(✗\): (\d+) joined another story, (\d+) founded one",
        lines[-1],
    )
    assert summary, lines[-1]
    median, p90, decisions, joined, founded = summary.groups()
    assert float(median) <= float(p90) < 1 and int(decisions) <= len(lines) - 1
    assert int(joined) + int(founded) == sum(line.startswith("✗") for line in lines[:-1])
