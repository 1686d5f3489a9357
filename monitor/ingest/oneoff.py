"""One-off ingest of given URLs or files (`monitor ingest`), and re-extraction of stored pages
(`monitor reprocess`, no network)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..config import Config
from ..errors import FetchError
from ..store import Database
from ..store.articles import save_article, url_known
from ..store.feeds import MAX_URL_CHARS
from ..store.models import Article
from ..text import content_hash, decompress, one_line, text_article_id
from ..types import LoadProblem, LoadResult, NewArticle
from .canonical import canonicalize
from .extract import Extracted, Source, build_article, extract_page, good_extraction
from .http import HttpClient
from .lang import detect_language
from .pages import HTML_ACCEPT, extract_workers, extraction_executor, timed_extract

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TEXT_SUFFIXES = (".txt", ".md", ".text")


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def article_from_file(path: Path, max_bytes: int) -> NewArticle:
    """An article from a local HTML or text file (id from its content: the same text is stored once)."""
    data = path.read_bytes()[:max_bytes]
    if path.suffix.lower() in HTML_SUFFIXES:
        extracted = extract_page(data, "")
        if extracted is None or not extracted.text.strip():
            raise ValueError("no article text found in the page")
        text, title = extracted.text, extracted.title
        source, lang_hint = extracted.sitename, extracted.language
    else:
        text = data.decode("utf-8", errors="replace")
        first = next((line for line in text.splitlines() if line.strip()), "")
        title, source, lang_hint = first.lstrip("# "), "", ""
    if not text.strip():
        raise ValueError("the file is empty")
    return NewArticle(id=text_article_id(text), title=one_line(title or path.stem, 500), text=text,
                      source=source or path.stem, lang=detect_language(text, hint=lang_hint),
                      extraction="file", extraction_note=f"file {path.name}")


def article_from_url(http: HttpClient, url: str, max_bytes: int) -> NewArticle:
    response = http.get(url, max_bytes=max_bytes, accept=HTML_ACCEPT)
    extracted = extract_page(response.body, url)
    if not good_extraction(extracted):
        raise ValueError("no article text found in the page")
    article = build_article(url, None, extracted, Source(), raw_html=response.body, page_problem=None)
    assert article is not None
    return article


def ingest_targets(db: Database, config: Config, now: datetime, targets: Sequence[str]) -> LoadResult:
    """Store each URL's page or each file's text; one problem per target that could not be used."""
    added: list[str] = []
    unchanged: list[str] = []
    problems: list[LoadProblem] = []
    with HttpClient(config.fetch) as http:
        for target in targets:
            try:
                if is_url(target):
                    url = canonicalize(target)
                    if len(url) > MAX_URL_CHARS:
                        raise ValueError(f"URL longer than {MAX_URL_CHARS} characters")
                    with db.session(read_only=True) as session:
                        if url_known(session, url):
                            unchanged.append(target)
                            continue
                    article = article_from_url(http, url, config.fetch.max_page_bytes)
                else:
                    article = article_from_file(Path(target), config.fetch.max_page_bytes)
            except (FetchError, OSError, ValueError) as exc:
                problems.append(LoadProblem(target, str(exc)))
                continue
            with db.session() as session:
                (added if save_article(session, article, now=now) else unchanged).append(article.id)
    return LoadResult(tuple(added), tuple(unchanged), tuple(problems))


def _apply(row: Article, extracted: Extracted) -> bool:
    """Update a stored article from a new extraction; True when its text changed."""
    changed = row.text != extracted.text
    row.text, row.content_hash = extracted.text, content_hash(extracted.text)
    row.title = extracted.title or row.title
    row.author = extracted.author or row.author
    row.source = extracted.sitename or row.source
    row.lang = detect_language(extracted.text, hint=extracted.language or row.lang)
    row.extraction, row.extraction_note = "page", None
    if changed:
        row.analyzed_at = None  # the understand stage judges it again
    return changed


def reprocess(db: Database, config: Config) -> int:
    """Re-extract every article that has stored HTML; returns how many were re-extracted.

    A page whose new extraction is not good keeps its current text (and fallback note).
    """
    with db.session(read_only=True) as session:
        ids = list(session.scalars(select(Article.id).where(Article.raw_html.is_not(None))
                                   .order_by(Article.id)))
    count = 0
    workers = extract_workers(config.fetch.extract_workers)
    with extraction_executor(len(ids), workers) as pool:
        for article_id, future in _submit_all(db, pool, ids):
            try:
                extracted, _seconds = future.result()
            except Exception:  # a worker process died on this page: it keeps its current text
                continue
            if not good_extraction(extracted):
                continue
            with db.session() as session:
                row = session.get(Article, article_id)
                if row is not None:
                    _apply(row, extracted)
                    count += 1
    return count


def _submit_all(db: Database, pool: Executor, ids: list[str]) -> Iterator[tuple[str, Future[Any]]]:
    """Submit extraction of each article's stored page, in batches so memory stays bounded."""
    batch = 64
    for start in range(0, len(ids), batch):
        with db.session(read_only=True) as session:
            rows = session.execute(select(Article.id, Article.url, Article.raw_html)
                                   .where(Article.id.in_(ids[start:start + batch]))).all()
        futures = [(row.id, pool.submit(timed_extract, decompress(row.raw_html), row.url or ""))
                   for row in rows]
        yield from futures
