"""What every measure shares: the machine, peak memory, a timer, and a monitor configuration file."""

from __future__ import annotations

import os
import platform
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.testing import toml_dumps

#: The end of the digest window every scale measure uses: Monday 16 November 2026, 00:00 UTC.
WINDOW_UNTIL = datetime(2026, 11, 16)


def machine() -> dict[str, Any]:
    """nproc, CPU model and Python version, for the table header."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(terse=True)}


def peak_rss_mb() -> float:
    """Peak resident memory of this process and of its waited-for children, in MB (Linux: ru_maxrss in KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def children_peak_rss_mb() -> float:
    """Peak resident memory of the largest waited-for child process (e.g. ``monitor fetch``), in MB."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """``with timer() as t: ...`` then ``t["seconds"]``."""
    out: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start


def config_data(workdir: Path, db_path: Path, **tables: dict[str, Any] | list[Any]) -> dict[str, Any]:
    """A monitor configuration on ``db_path`` that may fetch 127.0.0.1; ``tables`` override sections."""
    data: dict[str, Any] = {"database": {"url": f"sqlite:///{db_path}"},
                            "fetch": {"allow_private_addresses": True},
                            "digest": {"output_dir": str(workdir / "digests")},
                            "watch": {"seeds_dir": str(workdir / "no-seeds")},
                            "feeds": []}
    for key, value in tables.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and key in data else value
    (workdir / "no-seeds").mkdir(parents=True, exist_ok=True)
    return data


def write_config(workdir: Path, db_path: Path, **tables: Any) -> Path:
    path = workdir / "monitor.toml"
    path.write_text(toml_dumps(config_data(workdir, db_path, **tables)), encoding="utf-8")
    return path


def mean_of(runs: list[dict[str, Any]], key: str) -> float:
    """The mean of ``key`` over repeated runs of one side of a measure (each side's figure, when the
    measure alternates ours and the anchor's runs so that load elsewhere weighs on both)."""
    return sum(r[key] for r in runs) / len(runs)
