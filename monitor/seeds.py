"""Reading a folder of baseline articles: plain text, Markdown (with front matter), HTML, JSON Lines.

An optional ``manifest.toml`` in the folder gives each file its title, language, publication date and
outlet (see ``seeds/manifest.toml``). Front matter or JSON fields win over nothing, the manifest wins
over both. A file that cannot be read is a ``LoadProblem`` naming it; the rest still load.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .clean import clean_text
from .text import seed_article_id
from .types import LoadProblem, NewArticle

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MANIFEST = "manifest.toml"
#: A first line this short with no final full stop is taken as the title when nothing else gives one.
MAX_TITLE_CHARS = 160

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


@dataclass(frozen=True)
class SeedMeta:
    title: str = ""
    lang: str = ""
    published: datetime | None = None
    outlet: str = ""
    url: str | None = None
    drop_lines: tuple[str, ...] = ()


def parse_date(value: Any, where: str) -> datetime | None:
    """A date or datetime from TOML, JSON or front matter, as naive UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(tz=None).replace(
            tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{where}: published date {value!r} is not an ISO date (YYYY-MM-DD)") from None
    if parsed.tzinfo is not None:
        from datetime import UTC

        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def read_manifest(folder: Path) -> dict[str, SeedMeta]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot read manifest: {exc}") from None
    metas: dict[str, SeedMeta] = {}
    for i, row in enumerate(data.get("seed", [])):
        where = f"{path}: seed[{i}]"
        if "file" not in row:
            raise ValueError(f"{where}: missing key 'file'")
        metas[row["file"]] = SeedMeta(
            title=str(row.get("title", "")), lang=str(row.get("lang", "")),
            published=parse_date(row.get("published"), where), outlet=str(row.get("outlet", "")),
            url=row.get("url") or None, drop_lines=tuple(row.get("drop_lines", ())),
        )
    return metas


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[match.end():]


def _strip_markdown(text: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)           # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)       # links keep their words
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)  # headings
    text = re.sub(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1", r"\2", text)  # emphasis
    return re.sub(r"^\s*>\s?", "", text, flags=re.M)           # quotes


def _meta_from_fields(fields: dict[str, Any], where: str) -> SeedMeta:
    return SeedMeta(
        title=str(fields.get("title", "")), lang=str(fields.get("lang", fields.get("language", ""))),
        published=parse_date(fields.get("published", fields.get("date")), where),
        outlet=str(fields.get("outlet", fields.get("source", ""))), url=fields.get("url") or None,
    )


def _title_from_first_line(text: str) -> tuple[str, str]:
    first, _, rest = text.partition("\n")
    if first and len(first) <= MAX_TITLE_CHARS and not first.rstrip().endswith((".", "»", "\"", ":")):
        return first.strip(), rest
    return "", text


def _merge(base: SeedMeta, over: SeedMeta | None) -> SeedMeta:
    if over is None:
        return base
    return SeedMeta(
        title=over.title or base.title, lang=over.lang or base.lang,
        published=over.published or base.published, outlet=over.outlet or base.outlet,
        url=over.url or base.url, drop_lines=over.drop_lines or base.drop_lines,
    )


def _article(item_id: str, file_name: str, body: str, meta: SeedMeta) -> NewArticle:
    text = clean_text(body, meta.drop_lines)
    title = meta.title
    if not title:
        title, text = _title_from_first_line(text)
    elif text.startswith(title + "\n"):  # the file repeats its title as its first line
        text = text[len(title) + 1:]
    if not text.strip():
        raise ValueError("no article text left after cleaning")
    return NewArticle(
        id=item_id, title=title or file_name, text=text, url=meta.url, source=meta.outlet, lang=meta.lang,
        published_at=meta.published, is_baseline=True, extraction="seed", seed_file=file_name,
    )


def _read_html(raw: str, where: str) -> tuple[str, SeedMeta]:
    import trafilatura

    doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False)
    if doc is None or isinstance(doc, dict) or not doc.text:  # a Document unless as_dict=True
        raise ValueError("no article text could be extracted from the HTML")
    return doc.text, SeedMeta(title=doc.title or "", lang=doc.language or "",
                              published=parse_date(doc.date, where), outlet=doc.sitename or "",
                              url=doc.url or None)


def read_seed_file(path: Path, manifest: dict[str, SeedMeta]) -> list[NewArticle]:
    """The articles in one file (JSON Lines files hold many). Raises ValueError/OSError with a reason."""
    raw = path.read_bytes().decode("utf-8")
    suffix = path.suffix.lower()
    override = manifest.get(path.name)
    if suffix in JSONL_SUFFIXES:
        articles = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number}: invalid JSON: {exc.msg}") from None
            if not isinstance(row, dict) or not row.get("text"):
                raise ValueError(f"line {number}: expected an object with a 'text' field")
            meta = _meta_from_fields(row, f"line {number}")
            item = row.get("id") or f"{path.stem}-{number}"
            articles.append(_article(seed_article_id(str(item)), path.name, row["text"], meta))
        return articles
    if suffix in HTML_SUFFIXES:
        body, meta = _read_html(raw, str(path))
    elif suffix in MARKDOWN_SUFFIXES:
        fields, body = _front_matter(raw)
        meta, body = _meta_from_fields(fields, str(path)), _strip_markdown(body)
    else:
        fields, body = _front_matter(raw)
        meta = _meta_from_fields(fields, str(path))
    return [_article(seed_article_id(path.name), path.name, body, _merge(meta, override))]


def read_seed_folder(folder: Path) -> tuple[list[NewArticle], list[LoadProblem]]:
    """Every article under ``folder`` (or the single file ``folder``), with problems reported by name."""
    folder = Path(folder)
    if not folder.exists():
        return [], [LoadProblem(str(folder), "no such file or folder")]
    files = [folder] if folder.is_file() else sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED)
    try:
        manifest = read_manifest(folder if folder.is_dir() else folder.parent)
    except ValueError as exc:
        return [], [LoadProblem(str(folder / MANIFEST), str(exc))]
    articles: list[NewArticle] = []
    problems: list[LoadProblem] = []
    for path in files:
        try:
            articles.extend(read_seed_file(path, manifest))
        except UnicodeDecodeError:
            problems.append(LoadProblem(str(path), "not UTF-8 text"))
        except (OSError, ValueError) as exc:
            problems.append(LoadProblem(str(path), getattr(exc, "strerror", None) or str(exc)))
    return articles, problems
