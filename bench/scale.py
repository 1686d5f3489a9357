"""Understanding and digest at scale: stores of growing size, bulk-inserted, analysed, then measured.

``build_store`` writes a SQLite store of ``size`` articles straight with SQLAlchemy core inserts: the
history spread over the 52 weeks before the digest window, and ``window`` articles inside it; then runs
``Monitor.analyze()`` once over all of them, so the duplicate, entity and story indexes hold what they
would after a year of use. The measures then run on that store, each in its own process:

    understand   1,000 new articles arrive (inserted), ``Monitor.analyze()`` is timed on them
    digest       one week's digest is built over the window (``build_digest`` when the digest stage
                 exists, else ``digest_data``), timed
"""

from __future__ import annotations

import inspect
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

from monitor.config import parse_config
from monitor.core import Monitor
from monitor.store.models import Article, Entity
from monitor.text import content_hash

from .common import WINDOW_UNTIL, config_data, peak_rss_mb, timer
from .replicate import replicate
from .synth import SynthArticle, generate

#: Rows per INSERT statement (SQLite's variable limit is 32,766; 18 columns × 1,000 stays under it).
INSERT_CHUNK = 1000
#: Articles generated per call (bounds the generator's memory while building 100,000).
GENERATE_CHUNK = 5000
HISTORY_WEEKS = 52
MARKED_REASON = "bench prefill: stored as judged off-topic, not analysed"
WINDOW_SINCE = WINDOW_UNTIL - timedelta(days=7)


def open_monitor(workdir: Path, db_path: Path) -> Monitor:
    config = parse_config(config_data(workdir, db_path), "<bench>")
    monitor = Monitor(config, clock=lambda: WINDOW_UNTIL)
    monitor.ensure_schema()
    return monitor


def _row(article: SynthArticle, marked: bool = False) -> dict[str, Any]:
    seen = article.published_at + timedelta(hours=1)
    judged = {"relevance": 0.0, "relevant": False, "relevance_reason": MARKED_REASON, "analyzed_at": seen}
    return {
        **(judged if marked else {}),
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "text": article.text,
        "summary": article.summary,
        "author": None,
        "source": article.source,
        "lang": article.lang,
        "published_at": article.published_at,
        "first_seen_at": seen,
        "feed_id": None,
        "content_hash": content_hash(article.text),
        "is_baseline": False,
        "extraction": "page",
        "extraction_note": None,
        "raw_html": None,
        "raw_fetched_at": None,
        "seed_file": None,
    }


def insert_articles(
    monitor: Monitor, count: int, *, seed: int, start: Any, end: Any, prefix: str, marked: bool = False
) -> None:
    """Generate ``count`` articles published in [start, end) and insert them with core INSERTs.

    ``marked`` stores them as already judged off-topic (no index rows): a cheap stand-in for analysis.
    """
    span = (end - start) / max(1, -(-count // GENERATE_CHUNK))
    done = 0
    part = 0
    while done < count:
        n = min(GENERATE_CHUNK, count - done)
        articles = generate(
            n,
            seed=seed * 1000 + part,
            start=start + span * part,
            end=start + span * (part + 1),
            prefix=prefix,
        )
        with monitor.db.engine.begin() as conn:
            for i in range(0, n, INSERT_CHUNK):
                conn.execute(insert(Article), [_row(a, marked) for a in articles[i : i + INSERT_CHUNK]])
        done += n
        part += 1


def _scale_key_counts(monitor: Monitor, copies: int) -> None:
    """Entities are shared by every copy of the block (they are not copied): their document frequency
    grows with the copies, as it would after a year of use, so the key weights stay realistic."""
    if copies > 1:
        with monitor.db.engine.begin() as conn:
            conn.execute(update(Entity).values(df=Entity.df * copies))


def build_store(
    workdir: str, db: str, size: int, window: int, prefill: str = "replicate", base: int = 2000, seed: int = 1
) -> dict[str, Any]:
    """A store of about ``size`` judged articles, ``window`` of them in the digest window.

    The history before the window is, by ``prefill``: ``"analyze"`` really analysed (realistic, slow);
    ``"replicate"`` a block of at most ``base`` articles really analysed, then copied back in time
    (``bench.replicate``) up to the size; ``"mark"`` stored as judged off-topic with no index rows.
    The window's articles are always really analysed.
    """
    work, path = Path(workdir), Path(db)
    path.unlink(missing_ok=True)
    monitor = open_monitor(work, path)
    window = min(window, size // 2)
    history = size - window
    copies = max(1, -(-history // base)) if prefill == "replicate" else 1
    block = history // copies
    span = timedelta(weeks=HISTORY_WEEKS) / copies
    times = {}
    with timer() as t:
        insert_articles(
            monitor,
            block,
            seed=seed,
            prefix="h",
            start=WINDOW_SINCE - span,
            end=WINDOW_SINCE,
            marked=prefill == "mark",
        )
    times["insert_seconds"] = t["seconds"]
    with timer() as t:
        history_summary = monitor.analyze()
    times["analyze_history_seconds"] = t["seconds"]
    with timer() as t:
        replicate(monitor.db.engine, copies, span.total_seconds() / 86400)
        _scale_key_counts(monitor, copies)
        insert_articles(monitor, window, seed=seed, prefix="w", start=WINDOW_SINCE, end=WINDOW_UNTIL)
    times["replicate_seconds"] = t["seconds"]
    with timer() as t:
        summary = monitor.analyze()
    times["analyze_window_seconds"] = t["seconds"]
    with monitor.db.session(read_only=True) as session:
        stored = int(session.scalar(select(func.count()).select_from(Article)) or 0)
    monitor.close()
    return {
        "size": size,
        "stored": stored,
        "window": window,
        "prefill": prefill,
        "analysed_block": block,
        "copies": copies,
        **{k: round(v, 2) for k, v in times.items()},
        "history": history_summary.as_dict(),
        "window_summary": summary.as_dict(),
        "peak_rss_mb": peak_rss_mb(),
    }


def understand(workdir: str, db: str, new: int, seed: int = 2) -> dict[str, Any]:
    """Insert ``new`` articles (the last two days of the window) and time ``Monitor.analyze()`` on them."""
    monitor = open_monitor(Path(workdir), Path(db))
    with monitor.db.session(read_only=True) as session:
        stored = int(session.scalar(select(func.count()).select_from(Article)) or 0)
    insert_articles(
        monitor, new, seed=seed, prefix="n", start=WINDOW_UNTIL - timedelta(days=2), end=WINDOW_UNTIL
    )
    cpu = time.process_time()
    with timer() as t:
        summary = monitor.analyze()
    cpu = time.process_time() - cpu
    monitor.close()
    return {
        "cpu_seconds": cpu,
        "store": stored,
        "new": new,
        "seconds": t["seconds"],
        "summary": summary.as_dict(),
        "per_article_ms": 1000 * t["seconds"] / max(1, summary.analyzed),
        "articles_per_second": summary.analyzed / t["seconds"] if t["seconds"] else None,
        "peak_rss_mb": peak_rss_mb(),
    }


def digest(workdir: str, db: str) -> dict[str, Any]:
    """Time one week's digest over the window (the full build when the digest stage exists)."""
    monitor = open_monitor(Path(workdir), Path(db))
    with monitor.db.session(read_only=True) as session:
        stored = int(session.scalar(select(func.count()).select_from(Article)) or 0)
        in_window = int(
            session.scalar(
                select(func.count())
                .select_from(Article)
                .where(Article.published_at >= WINDOW_SINCE, Article.published_at < WINDOW_UNTIL)
            )
            or 0
        )
    build = getattr(monitor, "build_digest", None)
    cpu = time.process_time()
    with timer() as t:
        if build is not None:
            from monitor.digest.window import Window

            kind = "build_digest"
            params = inspect.signature(build).parameters
            window = Window(WINDOW_SINCE, WINDOW_UNTIL, f"{WINDOW_SINCE:%G-W%V}")
            result = build(window) if params else build()
        else:
            kind = "digest_data"
            result = monitor.digest_data(WINDOW_SINCE, WINDOW_UNTIL)
    cpu = time.process_time() - cpu
    monitor.close()
    return {
        "cpu_seconds": cpu,
        "store": stored,
        "in_window": in_window,
        "seconds": t["seconds"],
        "call": kind,
        "result": type(result).__name__,
        "peak_rss_mb": peak_rss_mb(),
    }
