"""The archive of rendered digests: one ``digests`` row per window, files per digest, an index page and
an Atom feed of past digests (so a reader can follow the watch in a feed reader).

Files in ``digest.output_path()``: ``<stem>.html``, ``<stem>.txt``, ``<stem>.json`` where the stem is the
week label (``2026-W47``) or ``<since>_<until>`` for a custom window, plus ``index.html`` and ``atom.xml``.
Building the same window again updates its row and overwrites its files: never a duplicate; its build
time (the Atom entry's ``<updated>``) changes only when its content does. Files are written with the
process's umask (like any file the operator writes), so a web server or `monitor serve` can read them.
A window that has not ended is never listed in the index or the feed.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import StorageError
from ..store.models import Digest
from . import i18n
from .model import local_date, short_summary
from .names import WatchNames
from .render import render_page
from .window import Window

#: Past digests listed in the Atom feed (feed readers only look at recent entries).
ATOM_ENTRIES = 20
#: Longest Atom <summary> (a few headlines and the counts; the full digest is one click away).
SUMMARY_LIMIT = 600


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
    data: str = ""


def stem(window: Window) -> str:
    return window.label or f"{window.since:%Y-%m-%dT%H%M}_{window.until:%Y-%m-%dT%H%M}"


def store(session: Session, window: Window, *, subject: str, data: str, html: str, text: str,
          story_count: int, article_count: int, now: datetime) -> int:
    """Insert or update the row for this window; returns its id."""
    row = session.scalar(select(Digest).where(Digest.since == window.since, Digest.until == window.until))
    if row is None:
        row = Digest(since=window.since, until=window.until)
        session.add(row)
    if row.data != data or row.created_at is None:  # a rebuild with the same content is not an update
        row.created_at = now
    row.week, row.subject, row.data, row.html, row.text = window.label, subject, data, html, text
    row.story_count, row.article_count = story_count, article_count
    session.flush()
    return row.id


def entries(session: Session, *, now: datetime) -> list[ArchiveEntry]:
    """Every digest of a window that has ended by ``now``, latest window first."""
    rows = session.execute(select(Digest.since, Digest.until, Digest.week, Digest.subject, Digest.story_count,
                                  Digest.article_count, Digest.created_at, Digest.text, Digest.data)
                           .where(Digest.until <= now).order_by(Digest.since.desc()))
    return [ArchiveEntry(stem(Window(r.since, r.until, r.week)), r.subject, r.since, r.until, r.week,
                         r.story_count, r.article_count, r.created_at, r.text, r.data) for r in rows]


def _write(path: Path, content: str) -> None:
    """Write atomically (temporary file, then rename), so a reader never sees half a page.

    ``open(…, "x")`` creates the file with the process's umask (``mkstemp`` would force 0600).
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    try:
        with open(tmp, "x", encoding="utf-8") as handle:
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


def summary(item: ArchiveEntry, names: WatchNames, lang: str, tz: str) -> str:
    """The Atom entry's short summary: the digest's lead headlines and counts."""
    try:
        data = json.loads(item.data) if item.data else {}
    except ValueError:
        data = {}
    text = short_summary(data, lang=lang, names=names, tz=tz) if data else item.subject
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def span(item: ArchiveEntry, lang: str, tz: str) -> str:
    """``9 November 2026 – 15 November 2026``: both days included, like the digest itself."""
    return f"{local_date(item.since, tz, lang)} – {local_date(item.until - timedelta(seconds=1), tz, lang)}"


def write_index(folder: Path, items: list[ArchiveEntry], *, names: WatchNames, archive_url: str,
                now: datetime, lang: str = "en", tz: str = "UTC") -> tuple[Path, Path]:
    """index.html (every digest) and atom.xml (the latest ATOM_ENTRIES), in ``lang``."""
    base = archive_url.rstrip("/") + "/" if archive_url else ""
    t = i18n.messages(lang)
    rows = [{"item": i, "span": span(i, lang, tz), "summary": summary(i, names, lang, tz),
             "stories": i18n.plural(lang, "story", i.story_count),
             "articles": i18n.plural(lang, "article", i.article_count)} for i in items]
    updated = max([i.created_at for i in items[:ATOM_ENTRIES]] or [now])
    context = {"title": t["watch"].format(title=names.title(lang)), "rows": rows, "base": base, "now": now,
               "t": t, "lang": i18n.check_lang(lang), "updated": updated}
    index, atom = folder / "index.html", folder / "atom.xml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write(index, render_page("archive_index.html.j2", **context))
        _write(atom, render_page("archive_atom.xml.j2", **{**context, "rows": rows[:ATOM_ENTRIES]}))
    except OSError as exc:
        raise StorageError(f"cannot write the digest archive in {folder}: {exc}") from None
    return index, atom
