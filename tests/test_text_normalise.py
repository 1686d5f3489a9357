"""``monitor.text.normalise`` is the key of exact-duplicate detection (``content_hash``): the fast version
must give the same characters as its definition for any text, or a store hashed before the speed-up would
stop recognising copies of its articles."""

from __future__ import annotations

import gzip
import random
import re
import unicodedata
from pathlib import Path

import pytest
from conftest import CORPORA

from monitor.text import content_hash, normalise, one_line
from monitor.understand import facts


def definition(text: str) -> str:
    """The definition: NFKD, every combining mark dropped, case-folded, non-word runs → one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s]", " ", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


SAMPLES = [
    "",
    "   ",
    "Sergueï Choïgou rencontre Kim Jong Un à Pyongyang.",
    "L’« Élysée » a dit : 11 000 soldats — « jusqu’à la victoire ».",
    "ΐ ΰ İstanbul ǰ ﬁ ² ½ Ⅻ",  # casefold/NFKD expansions
    "김정은 위원장, 평양에서 푸틴 대통령 접견",  # Hangul: decomposes to jamo, no marks
    "Путин и Ким Чен Ын подписали договор",
    "a\u0301e\u0300o\u0302\u20dd x\u1ab0y\U0001e94a",  # stray combining marks, the last one there is
    "tab\tnew\nline\r\u00a0nbsp\u2009thin\u3000ideographic",
    "emoji 🚀 and 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 and ＦＵＬＬＷＩＤＴＨ",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_equal_to_the_definition(text: str) -> None:
    assert normalise(text) == definition(text)


def test_equal_on_random_unicode() -> None:
    rng = random.Random(13)
    pools = [range(0x20, 0x7F), range(0xA0, 0x250), range(0x300, 0x370), range(0x370, 0x530),
             range(0x1100, 0x1200), range(0x1AB0, 0x1B00), range(0x2000, 0x2100), range(0xAC00, 0xAD00),
             range(0xFB00, 0xFB50), range(0x1D400, 0x1D500), range(0x1E900, 0x1E960)]
    for _ in range(2000):
        text = "".join(chr(rng.choice(rng.choice(pools))) for _ in range(rng.randint(0, 40)))
        assert normalise(text) == definition(text), repr(text)


def test_one_line_equal_to_collapsing_every_whitespace_run() -> None:
    """``one_line``'s shortcut for text already on one line gives what collapsing ``\\s+`` gives."""
    rng = random.Random(17)
    spaces = [" ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2009", "\u2028", "\x0b", "\x1f", "\x85", "\u200b"]
    letters = "abcÉé Кимж김 -.,"
    for _ in range(3000):
        text = "".join(rng.choice(spaces) if rng.random() < 0.2 else rng.choice(letters)
                       for _ in range(rng.randint(0, 30)))
        assert one_line(text, 1000) == re.sub(r"\s+", " ", text).strip(), repr(text)


@pytest.mark.parametrize("text", SAMPLES)
def test_fold_keeps_case_and_drops_accents(text: str) -> None:
    """``facts.fold`` (the tokens' accent folding) shares ``strip_marks`` and recomposes what is left."""
    expected = unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    )
    assert facts.fold(text) == (text if text.isascii() else expected)


def test_one_normalise_for_every_stage() -> None:
    """Understanding and ingest fold text the same way (one function, not two to keep equal)."""
    assert facts.normalise is normalise
    assert content_hash("Kim  Jong-Un") == content_hash("kim jong un")


@pytest.mark.corpora
@pytest.mark.skipif(not CORPORA, reason="MONITOR_CORPORA not set")
def test_equal_on_real_pages() -> None:
    pages = sorted(p for p in Path(CORPORA, "html").rglob("*") if p.suffix in (".html", ".gz"))
    assert pages, "no HTML pages under MONITOR_CORPORA/html"
    for page in pages:
        data = page.read_bytes()
        text = (gzip.decompress(data) if page.suffix == ".gz" else data).decode("utf-8", errors="replace")
        assert normalise(text) == definition(text), page
