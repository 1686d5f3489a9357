"""Daily housekeeping: prune old raw HTML, then compact (SQLite) or re-analyse (PostgreSQL) the database.

Pruning only clears ``articles.raw_html`` (kept for `monitor reprocess`); the extracted text, judgments
and stories stay. It runs under the run lock, so no fetch writes at the same time.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import func, update

from .store import Database
from .store.models import Article


def prune_raw_html(db: Database, cutoff: datetime | None) -> int:
    """Clear the stored raw HTML of articles fetched before ``cutoff``; returns how many."""
    if cutoff is None:
        return 0
    fetched = func.coalesce(Article.raw_fetched_at, Article.first_seen_at)
    with db.session() as session:
        result = session.execute(update(Article).where(Article.raw_html.is_not(None), fetched < cutoff)
                                 .values(raw_html=None).execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)  # a CursorResult for an UPDATE


def compact(db: Database) -> str:
    """VACUUM and ANALYZE on SQLite (outside any transaction); ANALYZE on PostgreSQL."""
    if db.is_sqlite:
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("VACUUM")
            cursor.execute("ANALYZE")
            cursor.close()
        finally:
            raw.close()
        return "vacuum+analyze"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return "analyze"


def housekeeping(db: Database, cutoff: datetime | None) -> dict[str, Any]:
    started = time.monotonic()
    pruned = prune_raw_html(db, cutoff)
    compacted = compact(db)
    return {"raw_html_pruned": pruned, "cutoff": cutoff.isoformat(sep=" ") if cutoff else None,
            "compacted": compacted, "seconds": round(time.monotonic() - started, 3)}
