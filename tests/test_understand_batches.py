"""How the understand stage reads and judges in batches (issue 13): work done ahead of a claim is never
used for a row that changed, a crowded LSH bucket is read in part, and a story's cached norm follows its
members."""

from __future__ import annotations

import math
import threading
from datetime import datetime

from sqlalchemy import insert

from monitor.core import Monitor
from monitor.store.models import Article, ArticleBand
from monitor.understand import analyze, storage
from monitor.understand.stories import INCREMENTAL_NORM_KEYS, ArticleFeatures, KeyWeights, StoryProfile
from monitor.understand.topic import load_topic

DAY = datetime(2025, 6, 17)
ON_TOPIC = ("North Korean sappers arrived in Kursk on June 17, Russia's Security Council secretary Sergei "
            "Shoigu said in Pyongyang after meeting Kim Jong Un. North Korea will send 1,000 deminers.")
OFF_TOPIC = "The city council of Lyon voted a new budget for its tramway lines on Tuesday evening."


def _row(text: str) -> analyze._Row:
    return analyze._Row("a1", "https://news.example/a1", "Sappers", text, "en", "h", DAY, DAY, False)


def test_a_row_judged_ahead_but_changed_before_its_claim_is_judged_again(monkeypatch) -> None:
    judges = analyze._Judges(load_topic())
    monkeypatch.setattr(analyze, "POOL_MIN_ROWS", 1)  # workers even for one row
    try:
        judges.ahead([_row(ON_TOPIC)])
        if threading.active_count() == 1:  # (with other threads running, workers are never forked)
            assert judges._pool is not None  # really judged ahead, in a worker
        changed = judges.judge([_row(OFF_TOPIC)])  # the page was re-extracted meanwhile
        assert not changed[0].relevant
        judges.ahead([_row(ON_TOPIC)])
        same = judges.judge([_row(ON_TOPIC)])
        assert same[0].relevant and same[0].row.text == ON_TOPIC
    finally:
        judges.close()


def test_a_crowded_bucket_is_read_in_part_and_a_quiet_one_whole(monitor: Monitor) -> None:
    ids = [f"a{i:03d}" for i in range(40)]
    with monitor.db.session() as session:
        session.execute(insert(Article), [
            {"id": i, "url": f"https://news.example/{i}", "title": i, "text": "t", "lang": "en",
             "first_seen_at": DAY, "content_hash": i, "is_baseline": False} for i in ids])
        session.execute(insert(ArticleBand), [{"band": 3, "bucket": 77, "article_id": i} for i in ids]
                        + [{"band": 3, "bucket": -5, "article_id": i} for i in ids[:2]])
    with monitor.db.session(read_only=True) as session:
        hits = storage.band_hits(session, [(3, 77), (3, -5), (4, 77)])
    assert len(hits[(3, 77)]) == storage.MAX_BUCKET_IDS and hits[(3, 77)] <= set(ids)
    assert hits[(3, -5)] == set(ids[:2])
    assert (4, 77) not in hits


def test_a_big_storys_norm_follows_its_members_as_they_join() -> None:
    weights = KeyWeights(n=5000, df={f"k{i}": 1 + i % 50 for i in range(3000)})
    weights.refresh()
    story = StoryProfile("s-big", DAY, DAY)
    for m in range(3):
        story.add(ArticleFeatures(f"m{m}", DAY, False, frozenset(f"k{i}" for i in range(m, 3000, 3))))
    assert len(story.keys) >= INCREMENTAL_NORM_KEYS
    story.norm(weights)  # cached for this epoch
    for m in range(3, 12):
        story.add(ArticleFeatures(f"m{m}", DAY, False, frozenset(f"k{i}" for i in range(m, 600, 2))), weights)
    exact = math.sqrt(sum((weights(k) * n / story.members) ** 2 for k, n in story.keys.items()))
    assert math.isclose(story.norm(weights), exact, rel_tol=1e-9)
