"""Growing an analysed store cheaply: copy a really analysed block of history back in time, K times.

Analysing 100,000 articles for real takes close to an hour on two cores; the scale measures only need
the store's *indexes* to be as large as a year of use would make them. So a block of history is analysed
by ``Monitor.analyze()``, then every row of it — articles and every table pointing at articles or
stories (bands, tags, entities, story membership, stories) — is copied ``copies - 1`` times with new ids
and dates moved back by one block span each time. Entity postings, LSH buckets and stories grow as they
would; copies are exact copies of the block, so a bucket a new article falls in holds K times the rows
(pessimistic for the duplicate lookup, which reads at most a bounded number of candidates).

SQLite only (the benchmark's store). Tables and columns are read from the database, not the models, so
tables added by later migrations that point at articles or stories are copied too.
"""

from __future__ import annotations

from sqlalchemy import Connection, DateTime, Engine, MetaData, Table, text

#: Marks copied ids ("<id>~r3"): a character no generated or derived id contains.
SUFFIX = "~r"
COPIED_TABLES = ("articles", "stories")
DATE_SHIFTED = ("articles", "stories")


def _refs(table: Table) -> dict[str, str]:
    """Columns of ``table`` holding an article or story id (its own id, or a foreign key)."""
    out = {}
    if table.name in COPIED_TABLES:
        out["id"] = table.name
    for fk in table.foreign_keys:
        if fk.column.table.name in COPIED_TABLES:
            out[fk.parent.name] = fk.column.table.name
    return out


def _select(table: Table, k: int, shift_days: float) -> tuple[list[str], list[str], str]:
    refs = _refs(table)
    names, exprs = [], []
    for col in table.columns:
        q = f'"{col.name}"'
        if col.name in refs:
            expr = f"{q} || '{SUFFIX}{k}'"
        elif table.name == "articles" and col.name == "url":
            expr = f"{q} || '#{SUFFIX}{k}'"
        elif table.name in DATE_SHIFTED and isinstance(col.type, DateTime):
            expr = f"strftime('%Y-%m-%d %H:%M:%S', {q}, '-{k * shift_days:.4f} days')"
        else:
            expr = q
        names.append(q)
        exprs.append(expr)
    first_ref = next(iter(refs))
    return names, exprs, f"\"{first_ref}\" NOT LIKE '%{SUFFIX}%'"


def replicate(engine: Engine, copies: int, shift_days: float) -> None:
    """Copy every analysed row ``copies - 1`` times, the k-th copy ``k × shift_days`` earlier."""
    meta = MetaData()
    meta.reflect(engine)
    tables = [t for t in meta.sorted_tables if _refs(t)]
    with engine.begin() as conn:
        for k in range(1, copies):
            for table in tables:
                names, exprs, base_only = _select(table, k, shift_days)
                conn.execute(
                    text(
                        f'INSERT OR IGNORE INTO "{table.name}" ({", ".join(names)}) '
                        f'SELECT {", ".join(exprs)} FROM "{table.name}" WHERE {base_only}'
                    )
                )
        if "examined_n" in meta.tables["stories"].columns:
            _as_if_analysed_in_order(conn, copies)


def _as_if_analysed_in_order(conn: Connection, copies: int) -> None:
    """A story's ``examined_n`` is the store's N when it was last judged for a merge: a store analysed
    over a year judged its k-th copy back in time when the copies older than it were already there."""
    base = f"id NOT LIKE '%{SUFFIX}%'"
    block = conn.execute(text(f"SELECT coalesce(sum(members), 0) FROM stories WHERE {base}"))
    block_n = int(block.scalar() or 0)
    for k in range(1, copies):
        conn.execute(text(f"UPDATE stories SET examined_n = examined_n + {(copies - 1 - k) * block_n} "
                          f"WHERE id LIKE '%{SUFFIX}{k}'"))
    conn.execute(text(f"UPDATE stories SET examined_n = examined_n + {(copies - 1) * block_n} WHERE {base}"))
