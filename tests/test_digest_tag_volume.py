"""The tag chart's numbers (``tag_volume`` of the digest data) on the labelled French and English set:
this week against everything known before it, seeds included, recounted here from the stored rows."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from monitor.config import PROJECT_DIR, Config
from monitor.core import Monitor
from monitor.store.articles import save_article
from monitor.store.models import Article, ArticleTag
from monitor.text import url_article_id
from monitor.types import NewArticle
from monitor.understand.window import TAG_BASELINE_WEEKS

EVAL_SET = PROJECT_DIR / "bench" / "eval" / "articles.jsonl"


def _loaded(make_config: Callable[..., Config]) -> Monitor:
    monitor = Monitor(make_config(), clock=lambda: datetime(2025, 6, 1))
    monitor.ensure_schema()
    monitor.load_seeds(PROJECT_DIR / "seeds")
    for line in EVAL_SET.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        url = f"https://news.example/{row['id']}"
        published = datetime.fromisoformat(row["published"])
        with monitor.db.session() as session:
            save_article(session, NewArticle(id=url_article_id(url), url=url, title=row["title"],
                                             text=row["text"], source=row["source"], lang=row["lang"],
                                             published_at=published), now=published)
    monitor.analyze()
    return monitor


def test_tag_volume_compares_the_week_with_everything_known_before(
        make_config: Callable[..., Config]) -> None:
    monitor = _loaded(make_config)
    window = monitor.window_for_week("2024-W44")
    volume = monitor.digest_data(window.since, window.until)["tag_volume"]
    with monitor.db.session(read_only=True) as session:
        articles = {a.id: a for a in session.query(Article).all()}
        tags = [(t.article_id, t.tag) for t in session.query(ArticleTag).all()]
    original = {i: a for i, a in articles.items() if a.relevant and not a.duplicate_of}
    at = {i: a.published_at or a.first_seen_at for i, a in original.items()}
    week = {i for i in original if not original[i].is_baseline and window.since <= at[i] < window.until}
    before = {i for i in original if original[i].is_baseline or at[i] < window.since}
    trailing = {i for i in before if not original[i].is_baseline
                and window.since - timedelta(weeks=TAG_BASELINE_WEEKS) <= at[i]}
    covered = math.ceil((window.since - min(at[i] for i in trailing)) / timedelta(weeks=1))
    weeks = min(TAG_BASELINE_WEEKS, covered)
    in_week, known, recent = (Counter(t for i, t in tags if i in ids) for ids in (week, before, trailing))
    assert week and len([i for i in before if original[i].is_baseline]) >= 5  # the seeds count as known
    assert set(volume) == set(in_week) | set(known)
    for tag, row in volume.items():
        assert row["window"] == in_week[tag] and row["baseline"] == known[tag], tag
        assert row["window_total"] == len(week) and row["baseline_total"] == len(before)
        assert row["window_share"] == round(in_week[tag] / len(week), 4)
        assert row["baseline_share"] == round(known[tag] / len(before), 4)
        assert row["baseline_weekly_avg"] == round(recent[tag] / weeks, 2)  # over the weeks the store has
    assert any(row["baseline_share"] > 0 for tag, row in volume.items() if row["window"])  # not "0.0"
    monitor.close()
