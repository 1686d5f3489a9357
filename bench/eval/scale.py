"""``python -m bench.eval.scale [N ...]``: does analysis slow down as the store grows?

For each N, a fresh SQLite store is filled in bulk with N already-analysed articles (with their LSH
bands, entity index rows spread over two years, stories), then the evaluation set is analysed on top of
it and the time per article is printed. Flat numbers mean the lookups are bounded index queries.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import datetime, timedelta

from sqlalchemy import insert

from monitor.config import parse_config
from monitor.core import Monitor
from monitor.store.articles import save_article
from monitor.store.models import Article, ArticleBand, ArticleEntity, Entity, Story, StoryArticle
from monitor.text import url_article_id
from monitor.types import NewArticle

from .__main__ import load_set

#: Keys the filler articles cite: the watch's specific names, a few thousand figures, their dates.
NAMES = ["kursk", "shoigu", "lavrov", "csp-treaty", "nis", "vladivostok", "wonsan", "belousov", "rutte"]
CHUNK = 5000
#: Filler articles per day: a busy watch with many feeds.
PER_DAY = 150


def _fill(monitor: Monitor, n: int, rng: random.Random) -> None:
    # A store grows by accumulating history: the filler runs back in time from just before the set's
    # first article at a constant PER_DAY rate, so N changes how much history there is, not how dense
    # the news around the analysed articles is.
    end = datetime(2024, 9, 1)
    start = end - timedelta(days=n / PER_DAY + 1)
    with monitor.db.session() as session:
        session.execute(
            insert(Entity),
            [
                {"key": k, "name": k, "kind": "person", "in_gazetteer": True, "first_seen_at": start}
                for k in NAMES
            ],
        )
        figures = [f"fig:{i * 100}" for i in range(1, 3000)]
        dates = [
            f"date:{(start + timedelta(days=d)).date().isoformat()}" for d in range((end - start).days + 2)
        ]
        session.execute(
            insert(Entity),
            [
                {"key": k, "name": k, "kind": "figure", "in_gazetteer": False, "first_seen_at": start}
                for k in figures + dates
            ],
        )
    for base in range(0, n, CHUNK):
        arts, bands, ents, stories, members = [], [], [], [], []
        for i in range(base, min(n, base + CHUNK)):
            at = end - timedelta(days=i / PER_DAY)
            aid = f"fill-{i}"
            arts.append(
                {
                    "id": aid,
                    "url": f"https://filler.example/{i}",
                    "title": f"Filler {i}",
                    "text": f"Filler article {i} about Moscow and Pyongyang. " * 20,
                    "source": "filler",
                    "lang": "en",
                    "published_at": at,
                    "first_seen_at": at,
                    "content_hash": f"{i:064x}",
                    "is_baseline": False,
                    "extraction": "page",
                    "relevance": 3.0,
                    "relevant": True,
                    "relevance_reason": "filler",
                    "analyzed_at": at,
                }
            )
            bands += [{"band": b, "bucket": rng.getrandbits(63), "article_id": aid} for b in range(32)]
            keys = {
                rng.choice(NAMES),
                rng.choice(NAMES),
                rng.choice(figures),
                f"date:{at.date().isoformat()}",
            }
            ents += [{"article_id": aid, "entity_key": k, "mentions": 1} for k in keys]
            sid = f"s-fill-{i // 5}"
            if i % 5 == 0:
                stories.append(
                    {
                        "id": sid,
                        "title": "filler",
                        "first_published_at": at,
                        "last_published_at": at,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
            members.append({"article_id": aid, "story_id": sid, "similarity": 0.5, "joined_at": at})
        with monitor.db.session() as session:
            for model, rows in (
                (Article, arts),
                (ArticleBand, bands),
                (Entity, []),
                (ArticleEntity, ents),
                (Story, stories),
                (StoryArticle, members),
            ):
                if rows:
                    session.execute(insert(model), rows)


def measure(n: int) -> float:
    rng = random.Random(n)
    rows = load_set()
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({"database": {"url": f"sqlite:///{tmp}/scale.db"}, "feeds": []}, "<scale>")
        with Monitor(config, clock=lambda: datetime(2026, 1, 1)) as monitor:
            monitor.ensure_schema()
            _fill(monitor, n, rng)
            for row in rows:
                with monitor.db.session() as session:
                    url = f"https://eval.example/{row['id']}"
                    save_article(
                        session,
                        NewArticle(
                            id=url_article_id(url),
                            url=url,
                            title=row["title"],
                            text=row["text"],
                            source=row["source"],
                            lang=row["lang"],
                            published_at=row["published"],
                        ),
                    )
            started = time.perf_counter()
            summary = monitor.analyze()
            elapsed = time.perf_counter() - started
    per_article = 1000 * elapsed / max(summary.analyzed, 1)
    print(
        f"{n:>8} stored: {summary.analyzed} new articles analysed in {elapsed:.2f} s "
        f"= {per_article:.1f} ms/article"
    )
    return per_article


def main(argv: list[str] | None = None) -> int:
    sizes = [int(a) for a in (argv if argv is not None else sys.argv[1:])] or [1000, 100_000]
    for n in sizes:
        measure(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
