"""``python -m bench``: build the data, serve it on 127.0.0.1, run the real commands, print one table.

Each measure runs in its own process (``bench.worker``) so its peak memory is its own, and a measure
whose stage does not exist yet is reported as "not available", never as a made-up figure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import rows as R
from .common import machine, mean_of
from .pages import WEIGHTS
from .table import Row, as_json, render_markdown, render_text

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
FULL = {
    "pages": 1000,
    "feeds": 1000,
    "entries": 50,
    "stores": "1000,10000,100000",
    "window": 2000,
    "new": 1000,
    "prefill": "replicate",
    "base": 2000,
    "subscribers": 10000,
}
#: Sizes that keep ``--quick`` under two minutes on a 2-core machine.
QUICK = {
    "pages": 60,
    "feeds": 100,
    "entries": 20,
    "stores": "1000,3000",
    "window": 120,
    "new": 120,
    "prefill": "replicate",
    "base": 150,
    "subscribers": 1000,
}
PREFILL_NOTES = {
    "mark": "store history marked off-topic, not analysed (indexes hold the window only)",
    "replicate": "history: {analysed_block} articles analysed, copied {copies}× back in time",
    "analyze": "history: every article analysed",
}
MEASURES = ("extraction", "polling", "understand", "digest", "startup", "sending")


class MeasureFailed(Exception):
    pass


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: finishes in under two minutes")
    p.add_argument("--pages", type=int, help="article pages for the extraction measure (1000; quick 60)")
    p.add_argument("--feeds", type=int, help="feeds for the polling measure (1000; quick 100)")
    p.add_argument("--entries", type=int, help="entries per feed for the polling measure (50; quick 20)")
    p.add_argument("--stores", help="store sizes, comma-separated (1000,10000,100000; quick 1000,3000)")
    p.add_argument("--window", type=int, help="articles in the digest week (2000; quick 120)")
    p.add_argument("--new", type=int, help="new articles analysed at each store size (1000; quick 120)")
    p.add_argument(
        "--prefill",
        choices=("replicate", "analyze", "mark"),
        help="history of each store: a really analysed block copied back in time (default), all really "
        "analysed (slow: ~1 h for 100,000), or marked off-topic with empty indexes",
    )
    p.add_argument(
        "--base", type=int, help="articles in the analysed block --prefill replicate copies (2000; quick 150)"
    )
    p.add_argument("--subscribers", type=int, help="subscribers for the sending measure (10000; quick 1000)")
    p.add_argument("--only", help=f"comma-separated subset of: {', '.join(MEASURES)}")
    p.add_argument("--json", type=Path, default=RESULTS / "latest.json", help="where to write the results")
    p.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    p.add_argument("--workdir", type=Path, help="keep the generated data here (default: a temporary folder)")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.stores = sorted(int(s) for s in str(args.stores).split(",") if s.strip())
    args.only = set(args.only.split(",")) if args.only else set(MEASURES)
    return args


def worker(name: str, **params: Any) -> dict[str, Any]:
    """Run one measure in a fresh process; its result, or MeasureFailed with the error's last line."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", name, json.dumps(params)],
        capture_output=True,
        text=True,
        cwd=BENCH_DIR.parent,
    )
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        raise MeasureFailed(lines[-1] if lines else f"exit {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _stage_missing(method: str) -> str | None:
    from monitor.core import Monitor

    return None if hasattr(Monitor, method) else f"Monitor.{method}() does not exist yet"


def run_fetching(args: argparse.Namespace, work: Path) -> list[Row]:
    from .fetching import fetch_available

    out: list[Row] = []
    missing = fetch_available()
    for name, label, call in (
        (
            "extraction",
            "extraction pages/s",
            lambda: [
                row
                for weight in WEIGHTS
                for row in R.extraction_rows(
                    worker("extraction", workdir=str(work / "extraction"), pages=args.pages, weight=weight)
                )
            ],
        ),
        (
            "polling",
            "feed polling",
            lambda: R.polling_rows(
                worker("polling", workdir=str(work / "polling"), feeds=args.feeds, entries=args.entries)
            ),
        ),
    ):
        if name in args.only:
            (work / name).mkdir(parents=True, exist_ok=True)
            out += [R.unavailable(label, missing)] if missing else _measure(name, label, call)
    return out


def _measure(name: str, label: str, call: Callable[[], list[Row]]) -> list[Row]:
    """One group of rows from its worker, or one "unavailable" row saying why it failed."""
    _log(f"{name} …")
    try:
        return call()
    except MeasureFailed as exc:
        return [R.unavailable(label, f"failed: {exc}")]


#: Cold digest builds per store (each in a fresh process, as `monitor digest` runs): the row's figure is
#: their mean, so one slow moment of the shared machine does not decide the 100k/10k ratio alone.
DIGEST_RUNS = 3


def _repeated_digest(work: Path, db: Path) -> dict[str, Any]:
    runs = [worker("digest", workdir=str(work), db=str(db)) for _ in range(DIGEST_RUNS)]
    result = dict(runs[0])
    for key in ("seconds", "cpu_seconds"):
        result[key] = mean_of(runs, key)
    result["runs"] = [round(r["seconds"], 3) for r in runs]
    result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return result


def run_scale(args: argparse.Namespace, work: Path) -> tuple[list[Row], list[dict[str, Any]]]:
    want_u, want_d = "understand" in args.only, "digest" in args.only
    if not (want_u or want_d):
        return [], []
    missing_u = _stage_missing("analyze")
    if missing_u:
        return [
            R.unavailable("understanding at scale", missing_u),
            R.unavailable("digest build", missing_u),
        ], []
    missing_d = None if not _stage_missing("build_digest") else _stage_missing("digest_data")
    builds, understood, digested, problems = [], [], [], []
    for size in args.stores:
        db = work / f"store-{size}.db"
        _log(f"store of {size:,} ({args.prefill}) …")
        try:
            build = worker(
                "build_store",
                workdir=str(work),
                db=str(db),
                size=size,
                window=args.window,
                prefill=args.prefill,
                base=args.base,
            )
            builds.append(build)
            if want_d and not missing_d:
                _log(f"digest over {size:,} …")
                digested.append(_repeated_digest(work, db))
            if want_u:
                _log(f"understand {args.new} new into {size:,} …")
                result = worker("understand", workdir=str(work), db=str(db), new=args.new)
                result["prefill_note"] = PREFILL_NOTES[args.prefill].format(**build)
                understood.append(result)
        except MeasureFailed as exc:
            problems.append(R.unavailable(f"scale measures at {size:,}", f"failed: {exc}"))
        finally:
            db.unlink(missing_ok=True)
    out: list[Row] = []
    if want_u:
        out += R.understand_rows(understood) if understood else []
    if want_d:
        out += (
            [R.unavailable("digest build", missing_d)]
            if missing_d
            else (R.digest_rows(digested) if digested else [])
        )
    return out + problems, builds


def run_start_and_send(args: argparse.Namespace, work: Path) -> list[Row]:
    """The start-up and sending rows (issue 13), each in its own worker process."""
    from .sending import sending_rows
    from .startup import startup_rows

    out: list[Row] = []
    for name, label, call in (
        ("startup", "start-up", lambda: startup_rows(worker("startup"))),
        ("sending", "sending", lambda: sending_rows(
            worker("sending", workdir=str(work / "sending"), subscribers=args.subscribers))),
    ):
        if name in args.only:
            out += _measure(name, label, call)
    return out


def header(args: argparse.Namespace) -> str:
    m = machine()
    mode = "quick" if args.quick else "full"
    return (
        f"monitor benchmarks ({mode}), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {m['nproc']} cores, "
        f"{m['cpu']}, Python {m['python']}, {m['platform']}"
    )


def compile_package() -> bool:
    """Write the bytecode of the ``monitor`` package, as ``pip install`` does for an installed copy.

    The bench runs the checkout (an editable install), whose modules Python compiles on first import
    and caches — unless ``PYTHONDONTWRITEBYTECODE`` is set, as on the development machine, where every
    ``monitor`` command then compiled the package from source again: 0.2 s of each start, which the
    anchors (installed libraries, compiled at install) never pay. True when the bytecode is there."""
    import compileall

    import monitor

    return bool(compileall.compile_dir(Path(monitor.__file__).parent, quiet=1))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    if not compile_package():
        _log("could not write the package's bytecode: start-up rows include compiling it")
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = run_fetching(args, work)
        scale_rows, builds = run_scale(args, work)
        rows += scale_rows
        rows += run_start_and_send(args, work)
    title = header(args)
    print(render_text(rows, title))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "header": title,
                "machine": machine(),
                "rows": as_json(rows),
                "stores": builds,
                "seconds": time.perf_counter() - started,
                "sizes": {k: getattr(args, k) for k in FULL},
            },
            indent=2,
            default=str,
        )
    )
    if args.markdown:
        args.markdown.write_text(render_markdown(rows, title), encoding="utf-8")
    return 0
