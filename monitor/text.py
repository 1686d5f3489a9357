"""Small pure helpers on text shared by every stage: normalising, hashing, ids, counting."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
import zlib

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)


def strip_marks(text: str) -> str:
    """NFKD with every combining mark (what ``unicodedata.combining`` flags) removed: "é" → "e".
    ASCII text is returned as it is (decomposition changes nothing there). The marks are found among
    the text's distinct characters and removed with ``str.replace``, one pass per mark present (a few
    for French): ~3× faster than a loop over characters or one regex class of all Unicode marks."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    for mark in {c for c in set(text) if unicodedata.combining(c)}:
        text = text.replace(mark, "")
    return text


def normalise(text: str) -> str:
    """Lower-case, accent-folded, punctuation-free, single-spaced text (for hashing and matching):
    ``strip_marks``, case-folded, the word runs (``\\w+``) joined by one space — the same characters as
    replacing every non-word, non-space character and every space run by one space, 2-3× faster (it was
    ~1 ms of the ~4 ms of work per fetched page, issue 13; ``tests/test_text_normalise.py``)."""
    return " ".join(_WORD.findall(strip_marks(text).casefold()))


def content_hash(text: str) -> str:
    """sha256 of the normalised text: equal for copies that differ only in case, accents, spacing."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def has_words(text: str, n: int) -> bool:
    """At least ``n`` words in ``text``, reading no further than the n-th: the check every fetched page
    gets (``MIN_ARTICLE_WORDS``) counted whole articles in the storing thread, a quarter of its CPU on
    the extraction bench."""
    return sum(1 for _ in itertools.islice(_WORD.finditer(text), n)) >= n


def url_article_id(canonical_url: str) -> str:
    """The stable id of an article known by its canonical URL."""
    return "a-" + hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:20]


def text_article_id(text: str) -> str:
    """The stable id of an article with no URL (a file), from its content."""
    return "f-" + content_hash(text)[:20]


def seed_article_id(file_name: str) -> str:
    """A seed's id contains its file name (without the extension)."""
    stem = file_name.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"seed-{stem}"


#: zlib level of the stored pages (kept for `monitor reprocess`, pruned after
#: ``schedule.raw_html_max_age_days``). On the shared corpus's real pages (median 112 kB), level 6 took
#: 2.4 ms a page for 19% of the size, level 1 0.9 ms for 23%: a fifth of a worker's time per page went
#: to compressing at 6, for 4% of the page's size.
COMPRESS_LEVEL = 1


def compress(data: bytes) -> bytes:
    """A page as stored (zlib, ``COMPRESS_LEVEL``); ``decompress`` reads any level."""
    return zlib.compress(data, COMPRESS_LEVEL)


def decompress(data: bytes) -> bytes:
    return zlib.decompress(data)


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace (no CR/LF survives) and cut to ``limit`` characters: safe for headers and logs.

    Text already on one line (printable: every whitespace but the plain space is not, and no two spaces
    in a row) skips the regex; a first poll of 50,000 entries called this 200,000 times."""
    text = text or ""
    text = text.strip() if text.isprintable() and "  " not in text else _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def decode_words(text: str) -> str:
    """``text`` with any RFC 2047 encoded words (``=?utf-8?q?…?=``) decoded, as a mail client shows it."""
    if "=?" not in text:
        return text
    from email.errors import HeaderParseError
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(text)))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return text


def has_control(text: str) -> bool:
    """True when ``text``, encoded words decoded, holds a control character or a line/paragraph
    separator (what could break a mail header onto a new line)."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in decode_words(text))
