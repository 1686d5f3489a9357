"""The library API: a ``Monitor`` built from the configuration.

The command line, the scheduler and cron all call these methods, so a scheduled run behaves exactly
like a manual one. The pipeline, in order:

    1. baseline   seeds/ → articles (is_baseline)                     Monitor.load_seeds
    2. ingest     feeds → entries → pages → extracted articles        Monitor.fetch / ingest
    3. understand relevance, tags, entities, duplicates, stories      Monitor.analyze
    4. digest     a window → stories new/developing/known → JSON,      Monitor.digest / send
                  HTML, text → mail to each subscriber once
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from . import __version__
from .config import Config, load_config
from .errors import StorageError
from .seeds import read_seed_folder
from .store import Database, utcnow
from .store.articles import count_articles, save_article, seed_articles
from .store.models import Article, Digest, Feed, Run, Story, Subscriber
from .text import word_count
from .types import LoadProblem, LoadResult

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Monitor:
    """One watch: its configuration, its store, and the pipeline's operations."""

    def __init__(self, config: Config | None = None, *, clock: Clock = utcnow) -> None:
        self.config = config or load_config()
        #: Returns naive UTC now; tests inject a fixed clock.
        self.clock = clock
        self.db = Database(self.config.database.resolved_url(),
                           busy_timeout_seconds=self.config.database.busy_timeout_seconds)

    @classmethod
    def from_config_file(cls, path: str | Path | None = None, **kwargs: Any) -> Monitor:
        return cls(load_config(path), **kwargs)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- foundation ------------------------------------------------------------------------------------

    def init(self) -> LoadResult:
        """Create or upgrade the database and load the configured seeds (idempotent)."""
        self.db.upgrade()
        return self.load_seeds()

    def ensure_schema(self) -> None:
        """Create or upgrade the schema when missing or behind the code (clear error if unreachable)."""
        self.db.upgrade()

    def load_seeds(self, path: str | Path | None = None) -> LoadResult:
        """Store every article under ``path`` (default: the configured seeds) as baseline."""
        folder = Path(path) if path else self.config.seeds_path()
        articles, problems = read_seed_folder(folder)
        added: list[str] = []
        unchanged: list[str] = []
        now = self.clock()
        for article in articles:
            try:
                with self.db.session() as session:
                    (added if save_article(session, article, now=now) else unchanged).append(article.id)
            except StorageError as exc:  # pragma: no cover - reported per file, the rest still load
                problems.append(LoadProblem(article.seed_file or article.id, str(exc)))
        for problem in problems:
            log.warning("seed not loaded: %s", problem)
        return LoadResult(tuple(added), tuple(unchanged), tuple(problems))

    def seeds(self) -> list[dict[str, Any]]:
        """The stored baseline seeds, for `monitor seeds list`."""
        with self.db.session(read_only=True) as session:
            return [{
                "id": a.id, "file": a.seed_file, "title": a.title, "lang": a.lang,
                "published": a.published_at.date().isoformat() if a.published_at else None,
                "source": a.source, "words": word_count(a.text), "text": a.text,
            } for a in seed_articles(session)]

    def status(self) -> dict[str, Any]:
        """Database, counts, feed health, last fetch and last digest (for `monitor status`)."""
        schema_current = self.db.is_current()
        with self.db.session(read_only=True) as session:
            def last_run(kind: str) -> dict[str, Any] | None:
                run = session.scalars(select(Run).where(Run.kind == kind)
                                      .order_by(Run.started_at.desc()).limit(1)).first()
                if run is None:
                    return None
                return {"started": _iso(run.started_at), "finished": _iso(run.finished_at), "ok": run.ok,
                        "stats": json.loads(run.stats or "{}")}

            feeds = session.scalars(select(Feed).order_by(Feed.id)).all()
            last_digest = session.scalars(select(Digest).order_by(Digest.created_at.desc()).limit(1)).first()
            return {
                "version": __version__,
                "config": str(self.config.source) if self.config.source else None,
                "database": self.db.url,
                "schema_current": schema_current,
                "counts": {
                    "articles": count_articles(session),
                    "baseline": count_articles(session, baseline=True),
                    "relevant": int(session.scalar(select(func.count()).select_from(Article)
                                                   .where(Article.relevant.is_(True))) or 0),
                    "stories": int(session.scalar(select(func.count()).select_from(Story)) or 0),
                    "feeds": len(feeds),
                    "subscribers": int(session.scalar(select(func.count()).select_from(Subscriber)
                                                      .where(Subscriber.active.is_(True))) or 0),
                    "digests": int(session.scalar(select(func.count()).select_from(Digest)) or 0),
                },
                "feeds": [{
                    "url": f.url, "name": f.name, "enabled": f.enabled,
                    "last_success": _iso(f.last_success_at), "last_error": f.last_error,
                    "consecutive_failures": f.consecutive_failures, "entries_seen": f.entries_seen,
                } for f in feeds],
                "last_fetch": last_run("fetch"),
                "last_digest": None if last_digest is None else {
                    "week": last_digest.week, "since": _iso(last_digest.since),
                    "until": _iso(last_digest.until), "created": _iso(last_digest.created_at)},
            }


    # -- ingest (issue 3) -------------------------------------------------------------------------------

    # -- understand (issue 4) ---------------------------------------------------------------------------

    # -- digest (issue 5) -------------------------------------------------------------------------------

    # -- schedule (issue 6) -----------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
