"""The jobs `monitor run` schedules, described in plain types the scheduler adapter turns into APScheduler's.

Each job is a module-level function taking the configuration file's path, so the persistent job store
can keep a reference to it ("monitor.schedule.jobs:fetch_job") rather than a pickled object. Each builds a
``Monitor`` and calls the same methods as the command line, each of which takes the run lock itself:

    fetch         every schedule.fetch_interval_minutes (± fetch_jitter_seconds): fetch, analyze
    digest        digest.weekday at digest.time in digest.timezone: analyze, build and send if not done
    housekeeping  daily at schedule.housekeeping_time (digest.timezone): prune raw HTML, compact

A job that finds the lock taken logs it and skips this turn: the other run (a cron `monitor once` or a
manual run) does the same work, and the next turn catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import WEEKDAYS, Config, load_config, parse_hhmm
from ..core import Monitor
from ..errors import LockError, MonitorError

log = logging.getLogger("monitor.schedule")

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Every:
    """Every ``seconds``, each run delayed by a random 0…``jitter_seconds``."""

    seconds: float
    jitter_seconds: int = 0

    def describe(self) -> str:
        return f"every {self.seconds:g}s jitter {self.jitter_seconds}s"


@dataclass(frozen=True)
class Cron:
    """Calendar times, in APScheduler's cron field syntax, local to ``timezone``."""

    day_of_week: str = "*"
    hour: str = "*"
    minute: str = "0"
    second: str = "0"
    timezone: str = "UTC"

    def describe(self) -> str:
        return f"cron {self.day_of_week} {self.hour}:{self.minute}:{self.second} {self.timezone}"


@dataclass(frozen=True)
class JobSpec:
    id: str
    #: A module-level function (the job store keeps its import path).
    func: Callable[..., Any]
    trigger: Every | Cron
    args: tuple[Any, ...] = ()
    #: Seconds after its time a missed run still runs; None: however late (missed runs coalesce into one).
    misfire_grace_seconds: int | None = None
    #: A job new to the store (or whose schedule changed) runs once at start-up, then on its trigger.
    run_at_start: bool = False

    @property
    def signature(self) -> str:
        """Stored as the job's name: a job whose signature is unchanged keeps its stored next run time."""
        return f"{self.id}: {self.trigger.describe()} grace {self.misfire_grace_seconds}s"


def plan(config: Config, config_path: str | Path | None) -> list[JobSpec]:
    """The jobs the configuration defines."""
    path = str(Path(config_path).resolve()) if config_path else None
    sched, digest = config.schedule, config.digest
    grace = sched.misfire_grace_hours * SECONDS_PER_HOUR
    digest_hour, digest_minute = parse_hhmm(digest.time)
    hk_hour, hk_minute = parse_hhmm(sched.housekeeping_time)
    weekday = WEEKDAYS.index(digest.weekday.lower())
    return [
        JobSpec("fetch", fetch_job, Every(sched.fetch_interval_minutes * 60, sched.fetch_jitter_seconds),
                (path,), misfire_grace_seconds=None, run_at_start=True),
        JobSpec("digest", digest_job, Cron(day_of_week=WEEKDAYS[weekday][:3], hour=str(digest_hour),
                                           minute=str(digest_minute), timezone=digest.timezone),
                (path,), misfire_grace_seconds=grace),
        JobSpec("housekeeping", housekeeping_job, Cron(hour=str(hk_hour), minute=str(hk_minute),
                                                       timezone=digest.timezone),
                (path,), misfire_grace_seconds=grace),
    ]


def _run(name: str, config_path: str | None, work: Callable[[Monitor], str]) -> None:
    """Build a Monitor and do ``work`` (each operation takes the run lock itself); an operator-fixable
    error is logged, not raised."""
    try:
        with Monitor(load_config(config_path)) as monitor:
            log.info("%s: %s", name, work(monitor))
    except LockError as exc:
        log.warning("%s skipped: %s", name, exc)
    except MonitorError as exc:
        log.error("%s failed: %s", name, exc)


def fetch_job(config_path: str | None) -> None:
    def work(monitor: Monitor) -> str:
        fetched = monitor.fetch()
        analyzed = monitor.analyze()
        return f"{fetched.line()}; {analyzed.analyzed} analyzed, {analyzed.relevant} relevant"

    _run("fetch", config_path, work)


def digest_job(config_path: str | None) -> None:
    def work(monitor: Monitor) -> str:
        monitor.analyze()
        outcome = monitor.weekly_digest()
        for line in outcome.uncertain_lines():  # to the journal, where the operator looks
            log.warning("digest: %s", line)
        return outcome.line()

    _run("digest", config_path, work)


def housekeeping_job(config_path: str | None) -> None:
    def work(monitor: Monitor) -> str:
        stats = monitor.housekeeping()
        return f"{stats['raw_html_pruned']} raw pages pruned, {stats['compacted']} in {stats['seconds']}s"

    _run("housekeeping", config_path, work)
