"""Start-up: ``monitor --help`` as a user runs it (the console script, a fresh process each time),
timed over repeated runs like hyperfine, next to a bare ``python -c pass`` (the interpreter's own floor).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: Goal from issue 13: ``monitor --help`` in at most 0.3 s.
STARTUP_GOAL_SECONDS = 0.3
#: Runs discarded first (a cold page cache measures the disk, not us).
WARMUP = 2


def _command() -> list[str]:
    script = Path(sys.executable).with_name("monitor")
    found = str(script) if script.exists() else shutil.which("monitor")
    return [found, "--help"] if found else [sys.executable, "-m", "monitor", "--help"]


def _times(command: list[str], runs: int) -> list[float]:
    out = []
    for i in range(WARMUP + runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if i >= WARMUP:
            out.append(time.perf_counter() - started)
    return out


def startup(runs: int = 10) -> dict[str, Any]:
    command = _command()
    ours = _times(command, runs)
    floor = _times([sys.executable, "-c", "pass"], runs)
    return {"command": " ".join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command)),
            "runs": runs, "median_seconds": round(statistics.median(ours), 4),
            "min_seconds": round(min(ours), 4), "max_seconds": round(max(ours), 4),
            "python_median_seconds": round(statistics.median(floor), 4)}


def startup_rows(r: dict[str, Any]) -> list[Any]:
    from .table import Row

    return [Row(f"start-up s (`{r['command']}`, median of {r['runs']})", r["median_seconds"],
                r["python_median_seconds"], r["median_seconds"] / r["python_median_seconds"],
                f"≤ {STARTUP_GOAL_SECONDS} s", r["median_seconds"] <= STARTUP_GOAL_SECONDS,
                f"min {r['min_seconds']} s, max {r['max_seconds']} s; anchor: `python -c pass`")]
