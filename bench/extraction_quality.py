"""How well monitor's page extraction matches the expected text of the html/ corpus.

    MONITOR_CORPORA=/work/shared/corpora python -m bench.extraction_quality [--json] [--no-fast]

Runs ``monitor.ingest.extract.extract_page`` (the function `monitor fetch` uses) on every page and
prints, per group: scrapinghub and readability — bag-of-words token F1 against the expected body (the
same metric as the corpus's baseline file) and the share of pages with F1 ≥ 0.8; trafilatura — how many
"with" snippets are found and "without" snippets absent; and the CPU milliseconds per page. Extraction
runs in one process per core; ``--no-fast`` runs trafilatura without its fast mode, to compare.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from statistics import mean, median

import lxml.html

from monitor.ingest.extract import extract_page
from monitor.ingest.pages import extract_workers

#: A page "matches well" at this token F1: above it the differences seen were captions and bylines.
GOOD_F1 = 0.8
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def token_f1(got: str, expected: str) -> float:
    g, e = tokens(got), tokens(expected)
    common = sum((g & e).values())
    if not common:
        return 0.0
    precision, recall = common / sum(g.values()), common / sum(e.values())
    return 2 * precision * recall / (precision + recall)


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _extract(args: tuple[str, str, bool]) -> tuple[str, float]:
    path, url, fast = args
    html = read_page(Path(path))
    started = time.process_time()
    extracted = extract_page(html, url, fast=fast)
    return (extracted.text if extracted else ""), time.process_time() - started


def scrapinghub_cases(root: Path) -> Iterator[tuple[str, str, str]]:
    truth = json.loads((root / "scrapinghub" / "ground-truth.json").read_text("utf-8"))
    for page_id, row in sorted(truth.items()):
        page = root / "scrapinghub" / "html" / f"{page_id}.html.gz"
        yield str(page), row.get("url", ""), row["articleBody"]


def readability_cases(root: Path) -> Iterator[tuple[str, str, str]]:
    for folder in sorted((root / "readability" / "test-pages").iterdir()):
        expected = lxml.html.fromstring((folder / "expected.html").read_bytes()).text_content()
        yield str(folder / "source.html"), "", expected


def trafilatura_cases(root: Path) -> Iterator[tuple[str, str, dict]]:
    data = json.loads((root / "trafilatura" / "evaldata.json").read_text("utf-8"))
    for url, row in sorted(data.items()):
        name = row["file"] + ".gz"
        path = root / "trafilatura" / "cache" / name
        yield str(path if path.exists() else root / "trafilatura" / "eval" / name), url, row


def f1_report(texts: list[str], expected: list[str]) -> dict[str, float]:
    scores = [token_f1(t, e) for t, e in zip(texts, expected, strict=True)]
    return {"pages": len(scores), "mean_f1": round(mean(scores), 3), "median_f1": round(median(scores), 3),
            "min_f1": round(min(scores), 3), f"share_f1_ge_{GOOD_F1}": round(
                sum(s >= GOOD_F1 for s in scores) / len(scores), 3),
            "empty": sum(1 for t in texts if not t.strip())}


def evaluate(corpora: Path, *, fast: bool = True) -> dict[str, dict[str, float]]:
    html = corpora / "html"
    groups = {"scrapinghub": list(scrapinghub_cases(html)), "readability": list(readability_cases(html)),
              "trafilatura": list(trafilatura_cases(html))}
    jobs = [(path, url, fast) for cases in groups.values() for path, url, _ in cases]
    with ProcessPoolExecutor(extract_workers(0)) as pool:
        results = list(pool.map(_extract, jobs, chunksize=4))
    texts = [text for text, _ in results]
    report: dict[str, dict[str, float]] = {"cpu": {
        "pages": len(results), "ms_per_page": round(1000 * sum(c for _, c in results) / len(results), 1)}}
    start = 0
    for name, cases in groups.items():
        got = texts[start:start + len(cases)]
        start += len(cases)
        if name == "trafilatura":
            pairs = list(zip(got, cases, strict=True))
            found = sum(s in t for t, (_, _, row) in pairs for s in row["with"])
            absent = sum(s not in t for t, (_, _, row) in pairs for s in row["without"])
            report[name] = {"pages": len(cases), "with_found": found,
                            "with_total": sum(len(row["with"]) for _, _, row in cases),
                            "without_absent": absent,
                            "without_total": sum(len(row["without"]) for _, _, row in cases),
                            "empty": sum(1 for t in got if not t.strip())}
        else:
            report[name] = f1_report(got, [expected for _, _, expected in cases])
    return report


def main() -> int:
    corpora = os.environ.get("MONITOR_CORPORA")
    if not corpora:
        print("set MONITOR_CORPORA to the corpora folder", file=sys.stderr)
        return 2
    report = evaluate(Path(corpora), fast="--no-fast" not in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2))
        return 0
    for name, values in report.items():
        print(f"{name:12} " + ", ".join(f"{k} {v}" for k, v in values.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
