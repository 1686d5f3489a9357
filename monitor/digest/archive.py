"""The archive of rendered digests: one ``digests`` row per window, files per digest, an index page and
an Atom feed of past digests (so a reader can follow the watch in a feed reader).

Files in ``digest.output_path()``: ``<stem>.html``, ``<stem>.txt``, ``<stem>.json`` where the stem is the
week label (``2026-W47``) or ``<since>_<until>`` for a custom window, plus ``index.html`` and ``atom.xml``.
Building the same window again updates its row and overwrites its files: never a duplicate.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import StorageError
from ..store.models import Digest
from .render import render_page
from .window import Window

#: Past digests listed in the Atom feed (feed readers only look at recent entries).
ATOM_ENTRIES = 20


@dataclass(frozen=True)
class ArchiveEntry:
    stem: str
    subject: str
    since: datetime
    until: datetime
    week: str
    story_count: int
    article_count: int
    created_at: datetime
    text: str


def stem(window: Window) -> str:
    return window.label or f"{window.since:%Y-%m-%dT%H%M}_{window.until:%Y-%m-%dT%H%M}"


def store(session: Session, window: Window, *, subject: str, data: str, html: str, text: str,
          story_count: int, article_count: int, now: datetime) -> int:
    """Insert or update the row for this window; returns its id."""
    row = session.scalar(select(Digest).where(Digest.since == window.since, Digest.until == window.until))
    if row is None:
        row = Digest(since=window.since, until=window.until)
        session.add(row)
    row.week, row.subject, row.data, row.html, row.text = window.label, subject, data, html, text
    row.story_count, row.article_count, row.created_at = story_count, article_count, now
    session.flush()
    return row.id


def entries(session: Session) -> list[ArchiveEntry]:
    rows = session.execute(select(Digest.since, Digest.until, Digest.week, Digest.subject, Digest.story_count,
                                  Digest.article_count, Digest.created_at, Digest.text)
                           .order_by(Digest.since.desc()))
    return [ArchiveEntry(stem(Window(r.since, r.until, r.week)), r.subject, r.since, r.until, r.week,
                         r.story_count, r.article_count, r.created_at, r.text) for r in rows]


def _write(path: Path, content: str) -> None:
    """Write atomically (temporary file, then rename), so a reader never sees half a page."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_digest(folder: Path, name: str, *, html: str, text: str, data: str) -> dict[str, Path]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = {kind: folder / f"{name}.{ext}" for kind, ext in (("html", "html"), ("text", "txt"),
                                                                   ("json", "json"))}
        for kind, content in (("html", html), ("text", text), ("json", data)):
            _write(paths[kind], content)
    except OSError as exc:
        raise StorageError(f"cannot write the digest archive in {folder}: {exc}") from None
    return paths


def write_index(folder: Path, items: list[ArchiveEntry], *, title: str, archive_url: str,
                now: datetime) -> tuple[Path, Path]:
    """index.html (every digest) and atom.xml (the latest ATOM_ENTRIES)."""
    base = archive_url.rstrip("/") + "/" if archive_url else ""
    context = {"title": title, "items": items, "base": base, "now": now}
    index, atom = folder / "index.html", folder / "atom.xml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write(index, render_page("archive_index.html.j2", **context))
        _write(atom, render_page("archive_atom.xml.j2", **{**context, "items": items[:ATOM_ENTRIES]}))
    except OSError as exc:
        raise StorageError(f"cannot write the digest archive in {folder}: {exc}") from None
    return index, atom
