"""The benchmark's synthetic data looks like the real thing (no timings here: those live in bench/)."""

from __future__ import annotations

import re
from datetime import datetime

import feedparser
import pytest
import trafilatura

from bench.pages import WEIGHTS, render_page, render_rss
from bench.rows import digest_rows, understand_rows
from bench.synth import MAX_WORDS, MIN_WORDS, generate
from monitor.understand.document import build_document
from monitor.understand.relevance import judge
from monitor.understand.topic import load_topic

START, END = datetime(2026, 10, 1), datetime(2026, 11, 1)


@pytest.fixture(scope="module")
def corpus():
    return generate(300, seed=7, start=START, end=END)


def shingles(text: str, k: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def test_same_seed_same_articles_other_seed_other_articles():
    again = generate(20, seed=7, start=START, end=END)
    assert again == generate(20, seed=7, start=START, end=END)
    assert [a.text for a in again] != [a.text for a in generate(20, seed=8, start=START, end=END)]


def test_articles_have_news_lengths_dates_and_both_languages(corpus):
    lengths = [len(a.text.split()) for a in corpus if a.copy_of is None]
    assert min(lengths) >= MIN_WORDS - 20 and max(lengths) <= MAX_WORDS + 150
    assert {a.lang for a in corpus} == {"en", "fr"}
    assert all(START <= a.published_at < END for a in corpus)
    assert len({a.id for a in corpus}) == len({a.url for a in corpus}) == len(corpus)
    assert sum(1 for a in corpus if re.search(r"\d{3,}", a.text)) > 0.9 * len(corpus)


def test_on_topic_articles_name_the_relationship_in_both_spellings(corpus):
    text = " ".join(a.text for a in corpus if a.story)
    for name in (
        "Poutine",
        "Putin",
        "Kim Jong Un",
        "Choe Son Hui",
        "Pyongyang",
        "Moscou",
        "Moscow",
        "Koursk",
        "Kursk",
        "Vladivostok",
        "Choïgou",
        "Shoigu",
        "Lavrov",
    ):
        assert name in text, name
    assert 0.15 < sum(1 for a in corpus if a.story) / len(corpus) < 0.5


def test_the_watch_finds_story_articles_relevant_and_off_topic_ones_not(corpus):
    topic = load_topic()

    def relevant(a) -> bool:
        return judge(topic, build_document(a.title, a.text, topic.lead_sentences)).relevant

    on = [a for a in corpus if a.story and a.copy_of is None]
    off = [a for a in corpus if not a.story]
    assert sum(map(relevant, on)) >= 0.9 * len(on)
    assert sum(map(relevant, off)) <= 0.05 * len(off)


def test_syndicated_copies_are_near_duplicates_and_other_articles_are_not(corpus):
    by_id = {a.id: a for a in corpus}
    copies = [a for a in corpus if a.copy_of]
    assert len(copies) > 0.08 * len(corpus)
    for copy in copies:
        original = by_id[copy.copy_of]
        assert copy.text != original.text and copy.source != original.source
        assert jaccard(copy.text, original.text) > 0.8
    originals = [a for a in corpus if a.copy_of is None][:40]
    assert max(jaccard(a.text, b.text) for a in originals for b in originals if a is not b) < 0.3


def test_articles_of_one_story_share_its_facts_but_not_their_wording(corpus):
    stories: dict[str, list] = {}
    for a in corpus:
        if a.story and a.copy_of is None:
            stories.setdefault(a.story, []).append(a)
    pairs = [(s[0], s[1]) for s in stories.values() if len(s) > 1 and s[0].lang == s[1].lang]
    assert pairs
    for a, b in pairs:
        lead_a, lead_b = a.text.split("\n\n")[0], b.text.split("\n\n")[0]
        assert set(re.findall(r"\d+", lead_a)) & set(re.findall(r"\d+", lead_b))
        assert jaccard(a.text, b.text) < 0.5


@pytest.mark.parametrize("weight", WEIGHTS)
def test_a_page_hides_its_article_in_boilerplate_that_extraction_removes(corpus, weight):
    for article in corpus[3:6]:
        page = render_page(article, corpus[:10], weight=weight)
        assert "cookie" in page.lower() and "<nav" in page and "<footer>" in page
        text = trafilatura.extract(page) or ""
        assert article.text.split("\n\n")[1][:200] in text
        assert "Accept all" not in text and "Tout accepter" not in text and "Advertisement" not in text


def test_real_weight_pages_weigh_what_the_corpus_pages_weigh(corpus):
    """bench.pages says real-weight pages have the corpus's median size (112 kB) and element count
    (735): within its quartiles (58–212 kB, 419–1,012 elements), light pages far below."""
    import lxml.html

    def measure(weight: str) -> tuple[float, float]:
        pages = [render_page(a, corpus[:20], weight=weight) for a in corpus[:20]]
        size = sorted(len(p.encode("utf-8")) for p in pages)[10]
        elements = sorted(sum(1 for _ in lxml.html.fromstring(p).iter()) for p in pages)[10]
        return size, elements

    size, elements = measure("real")
    assert 58_000 <= size <= 212_000 and 419 <= elements <= 1012
    light_size, light_elements = measure("light")
    assert light_size < 20_000 and light_elements < 200


def test_a_feed_lists_every_article_with_its_date(corpus):
    items = [(a, f"http://127.0.0.1/p/{a.id}.html") for a in corpus[:25]]
    parsed = feedparser.parse(render_rss("Feed", "http://127.0.0.1/", items))
    assert not parsed.bozo and len(parsed.entries) == 25
    assert parsed.entries[0].published_parsed[:5] == corpus[0].published_at.timetuple()[:5]


def test_goals_are_judged_at_the_largest_store_only():
    results = [
        {"store": 1000, "new": 1000, "per_article_ms": 2.0, "articles_per_second": 500, "peak_rss_mb": 100},
        {
            "store": 100_000,
            "new": 1000,
            "per_article_ms": 4.0,
            "articles_per_second": 250,
            "peak_rss_mb": 600,
        },
    ]
    rows = {r.measure: r for r in understand_rows(results)}
    assert rows["understand ms/article, 1000 new into 100,000 (vs 1,000)"].met is False
    assert rows["understand articles/s at 100,000"].met is True
    assert rows["peak RSS MB, understand at 100,000"].met is False
    digests = digest_rows(
        [
            {"call": "build_digest", "in_window": 2000, "store": 10_000, "seconds": 1.0, "peak_rss_mb": 90},
            {"call": "build_digest", "in_window": 2000, "store": 100_000, "seconds": 1.4, "peak_rss_mb": 95},
        ]
    )
    assert digests[1].met is True and digests[1].ratio == pytest.approx(1.4)


def test_a_replicated_store_copies_the_analysed_block_and_its_indexes_back_in_time(tmp_path):
    import sqlite3

    from bench.scale import build_store

    db = tmp_path / "store.db"
    result = build_store(str(tmp_path), str(db), size=120, window=20, prefill="replicate", base=40)
    assert result["copies"] == 3 and result["analysed_block"] == 33 and result["stored"] == 3 * 33 + 20
    with sqlite3.connect(db) as conn:

        def one(sql: str):
            return conn.execute(sql).fetchone()[0]

        assert one("SELECT count(*) FROM articles WHERE relevant IS NULL") == 0
        assert one("SELECT count(*) FROM articles WHERE id LIKE '%~r%'") == 66
        base_bands = one("SELECT count(*) FROM article_bands WHERE article_id NOT LIKE '%~r%'")
        assert one("SELECT count(*) FROM article_bands WHERE article_id LIKE '%~r2'") > 0.3 * base_bands
        assert one("SELECT count(*) FROM stories WHERE id LIKE '%~r2'") == one(
            "SELECT count(*) FROM stories WHERE id NOT LIKE '%~r%' AND id IN (SELECT story_id "
            "FROM story_articles WHERE article_id LIKE 'bench-h%' AND article_id NOT LIKE '%~r%')"
        )
        assert one("SELECT max(published_at) FROM articles WHERE id LIKE '%~r2'") < one(
            "SELECT min(published_at) FROM articles WHERE id LIKE '%~r1'"
        )
