"""Duplicates: exact (same canonical URL, same normalised text) and near (MinHash over word shingles).

Pure logic; the orchestrator looks candidates up in the store by index (``content_hash``, ``url``,
``article_bands (band, bucket)``), never by comparing against every stored article. A syndicated copy
with other boilerplate, another headline or a trimmed last paragraph keeps most of its 3-word shingles:
its estimated Jaccard similarity stays well above ``NEAR_DUPLICATE_JACCARD``; two reports of one event
written separately share few exact 3-word sequences and stay well below it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from .facts import normalise

#: MinHash permutations: 128 gives a Jaccard estimate within ±0.09 (2σ), plenty to tell copies (≥0.7)
#: from re-written reports (≤0.3).
NUM_PERM = 128
#: LSH banding 32 bands × 4 rows: the S-curve's midpoint (1/32)^(1/4) ≈ 0.42 lies below the decision
#: threshold, so a pair at J = 0.6 becomes a candidate with probability 1-(1-0.6^4)^32 ≈ 0.99.
BANDS, ROWS = 32, 4
#: Word n-gram size for shingles: 3-grams make word-order changes and rewrites count, single words don't.
SHINGLE_WORDS = 3
#: Estimated Jaccard at or above which two texts are the same article. Chosen by reasoning: a copy with
#: a different headline (not part of the text), two lines of other boilerplate and its last of ~8
#: paragraphs trimmed keeps ~0.8 of its shingles; separately written reports share < 0.2. 0.5 sits in the
#: gap with margin for the estimate's ±0.09 error. Checked, not fitted, on bench/eval: copies scored
#: 0.71–0.80, the most similar non-copy pair 0.09.
NEAR_DUPLICATE_JACCARD = 0.5
#: Texts with fewer words than this are too short to call copies by shingles (a one-line feed summary).
MIN_WORDS_FOR_NEAR_DUPLICATE = 25
#: Query parameters that only track where a reader came from: dropped when comparing URLs.
TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "at_medium", "at_campaign", "xtor", "ref", "cmpid")


def shingles(text: str) -> set[bytes]:
    words = normalise(text).split()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(words) - SHINGLE_WORDS + 1)
    }


#: datasketch's hashing scheme, named so that signatures stored by one release compare with those of the
#: next (2.0 changed the default from "legacy" to "affine32"; a store's signatures must not change).
SCHEME = "affine32"


#: The modules of datasketch that its MinHash needs, in import order (see ``_minhash_class``).
MINHASH_MODULES = ("hashfunc", "minhash")


def _minhash_class() -> Any:
    """datasketch's MinHash, loaded without running the package's ``__init__``, which imports every
    sketch it offers — its LSH classes import scipy.integrate: 0.41 of the 0.47 s that ``import
    datasketch`` takes, paid by every process that judges text (two understanding workers a run). The
    two modules MinHash needs are loaded from the installed package under their own names, so a later
    ``import datasketch`` in the same process reuses them; if the package's layout is not what this
    expects (another release), the ordinary import is used."""
    if "datasketch" not in sys.modules:
        try:
            spec = importlib.util.find_spec("datasketch")  # finds the package without executing it
            folder = Path(next(iter(spec.submodule_search_locations or ()))) if spec else None
            for name in MINHASH_MODULES:
                full = f"datasketch.{name}"
                if full in sys.modules or folder is None:
                    continue
                sub = importlib.util.spec_from_file_location(full, folder / f"{name}.py")
                if sub is None or sub.loader is None:
                    raise ImportError(full)
                module = importlib.util.module_from_spec(sub)
                sys.modules[full] = module
                try:
                    sub.loader.exec_module(module)
                except BaseException:
                    del sys.modules[full]
                    raise
            minhash = sys.modules.get("datasketch.minhash")
            if minhash is not None and hasattr(minhash, "MinHash"):
                return minhash.MinHash
        except (ImportError, OSError, StopIteration):
            pass
    from datasketch import MinHash

    return MinHash


@cache
def _minhash() -> tuple[Any, Any]:
    """datasketch's MinHash and the permutations every signature uses, drawn once per process (~0.3 ms
    per MinHash otherwise). Loaded on first use, not with the module, and without the rest of
    datasketch (``_minhash_class``): the process that only decides — the text is judged in its
    workers — never needs it."""
    minhash_class = _minhash_class()
    return minhash_class, minhash_class(num_perm=NUM_PERM, scheme=SCHEME).permutations


def signature(text: str) -> np.ndarray:
    """The MinHash signature of ``text`` as NUM_PERM unsigned 64-bit integers."""
    minhash_class, permutations = _minhash()
    minhash = minhash_class(num_perm=NUM_PERM, scheme=SCHEME, permutations=permutations)
    minhash.update_batch(list(shingles(text)))
    return np.asarray(minhash.hashvalues, dtype="<u8")


def to_bytes(sig: np.ndarray) -> bytes:
    return np.asarray(sig, dtype="<u8").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u8")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts behind signatures ``a`` and ``b``."""
    if len(a) != len(b) or len(a) == 0:
        return 0.0
    return float(np.mean(a == b))


def bands(sig: np.ndarray) -> list[tuple[int, int]]:
    """(band, bucket) pairs; the bucket is a signed 64-bit hash of the band's rows (fits BigInteger)."""
    out = []
    for band in range(BANDS):
        chunk = np.asarray(sig[band * ROWS : (band + 1) * ROWS], dtype="<u8").tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        out.append((band, int.from_bytes(digest, "big", signed=True)))
    return out


def url_variants(url: str | None) -> list[str]:
    """The spellings of ``url`` that point at the same article: scheme, www., trailing slash, tracking."""
    if not url:
        return []
    parts = urlsplit(url)
    host = parts.netloc.lower()
    bare = host[4:] if host.startswith("www.") else host
    query = "&".join(q for q in parts.query.split("&") if q and not q.lower().startswith(TRACKING_PARAMS))
    paths = {parts.path or "/", (parts.path or "/").rstrip("/") or "/", (parts.path or "").rstrip("/") + "/"}
    variants = {
        urlunsplit((scheme, h, path, q, ""))
        for scheme in ("http", "https")
        for h in (bare, "www." + bare)
        for path in paths
        for q in {query, parts.query}
    }
    variants.discard(url)
    return sorted(variants)
