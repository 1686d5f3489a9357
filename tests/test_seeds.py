import json
from pathlib import Path

import pytest

from monitor.clean import clean_text
from monitor.cli import main
from monitor.config import PROJECT_DIR
from monitor.core import Monitor

SEEDS = PROJECT_DIR / "seeds"
SHARED = PROJECT_DIR.parent / "shared" / "seeds"
DEBRIS = ["…", "Leave a comment", "Photo / RTS", "Commentez cette histoire",
          "Le premier,Les", "Lundi,Avant", "Le dernier missile balistique nord-coréen est le plus puissant"]


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/seeds not beside the project")
def test_seed_files_are_unchanged_copies() -> None:
    originals = sorted(p.name for p in SHARED.glob("*.txt"))
    assert originals == sorted(p.name for p in SEEDS.glob("*.txt"))
    for name in originals:
        assert (SEEDS / name).read_bytes() == (SHARED / name).read_bytes()


def test_raw_seeds_do_carry_the_debris_we_clean() -> None:
    raw = "\n".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))
    for needle in DEBRIS:
        assert needle in raw


def test_stored_seeds_are_clean_titled_dated_french(monitor: Monitor) -> None:
    result = monitor.load_seeds()
    assert len(result.added) == 5 and not result.problems
    seeds = monitor.seeds()
    assert [s["file"] for s in seeds] == sorted(p.name for p in SEEDS.glob("*.txt"))
    for seed in seeds:
        assert seed["file"].removesuffix(".txt") in seed["id"]
        assert seed["lang"] == "fr"
        assert seed["published"] and seed["published"].startswith(("2023-", "2024-"))
        assert 5 < len(seed["title"]) < 120 and not seed["title"].endswith("…")
        assert seed["words"] > 400
        for needle in DEBRIS:
            assert needle not in seed["text"], (seed["file"], needle)
        assert not seed["text"].startswith(seed["title"])


def test_loading_twice_changes_nothing(monitor: Monitor) -> None:
    monitor.load_seeds()
    before = monitor.seeds()
    again = monitor.load_seeds()
    assert again.added == () and len(again.unchanged) == 5
    assert monitor.seeds() == before


def test_unreadable_file_is_named_and_the_rest_load(monitor: Monitor, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.md").write_text("---\ntitle: Good one\nlang: en\npublished: 2025-01-02\n---\n"
                                    "Russia and North Korea signed a **treaty** in [Pyongyang](http://x).\n")
    (folder / "broken.txt").write_bytes(b"\xff\xfe\x00garbage \xc3\x28")
    (folder / "lines.jsonl").write_text(
        json.dumps({"id": "j1", "title": "J one", "text": "Moscow and Pyongyang talks.", "lang": "en"})
        + "\n{not json}\n")
    (folder / "page.html").write_text(
        "<html><head><title>Page title</title></head><body><article><h1>Page title</h1>"
        + "<p>Kim Jong Un met Vladimir Putin in Vladivostok to discuss weapons and food supplies.</p>" * 5
        + "</article></body></html>")
    result = monitor.load_seeds(folder)
    reasons = {Path(p.where).name: p.reason for p in result.problems}
    assert set(reasons) == {"broken.txt", "lines.jsonl"}
    assert "UTF-8" in reasons["broken.txt"] and "line 2" in reasons["lines.jsonl"]
    stored = {s["id"]: s for s in monitor.seeds()}
    assert stored["seed-good"]["title"] == "Good one"
    assert stored["seed-good"]["text"] == "Russia and North Korea signed a treaty in Pyongyang."
    assert stored["seed-good"]["published"] == "2025-01-02"
    assert "Vladivostok" in stored["seed-page"]["text"]


def test_clean_text_rules() -> None:
    text = ("Photo / RTS\nKim met Putin.\nA teaser cut short…\nLeave a comment\n"
            "Lundi,Avant la guerre, rien.\nHe said d\ufffd\n")
    assert clean_text(text) == "Kim met Putin.\nAvant la guerre, rien.\nHe said"


def test_cli_init_then_seeds_list(write_config, capsys: pytest.CaptureFixture) -> None:
    config = str(write_config())
    assert main(["--config", config, "init"]) == 0
    assert main(["--config", config, "init"]) == 0
    assert "0 added, 5 already stored" in capsys.readouterr().out
    assert main(["--config", config, "seeds", "list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and all("\tfr\t" in line for line in lines)
    assert main(["--config", config, "seeds", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"id", "file", "title", "lang", "published", "words", "text"} <= set(rows[0])


def test_cli_seeds_load_reports_unreadable_file(write_config, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    config = str(write_config())
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa")
    assert main(["--config", config, "seeds", "load", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.txt: not UTF-8 text" in err
