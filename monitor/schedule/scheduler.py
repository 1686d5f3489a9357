"""The one adapter around APScheduler 3: everything else speaks ``JobSpec`` and ``JobEvent``.

Job state lives in the project's own database (table ``apscheduler_jobs``), so a restart knows what it
missed. At start-up the scheduler starts paused and reconciles the stored jobs with the configured ones:

    same signature (id, function, arguments, trigger, grace)  keep it, with its stored next run time
    new or changed                                            replace it (first run: now or next trigger)
    no longer configured                                      remove it

then resumes. A stored next run time in the past then runs once (``coalesce``) if it is within the job's
``misfire_grace_time``, and is skipped (logged as missed) if it is older. Jobs run one at a time in a
single worker thread; ``stop()`` waits for the running job to finish, so nothing is left half-written.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED
from apscheduler.events import JobEvent as _ApsJobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import obj_to_ref
from sqlalchemy.engine import Engine

from .jobs import Cron, Every, JobSpec

log = logging.getLogger("monitor.schedule")

#: The job store's table in the project's database (not managed by our migrations: APScheduler creates it).
JOBS_TABLE = "apscheduler_jobs"
#: Seconds the main thread sleeps between checks for a stop request (signals also wake it).
WAIT_SLICE_SECONDS = 1.0
_KINDS = {EVENT_JOB_SUBMITTED: "started", EVENT_JOB_EXECUTED: "ran", EVENT_JOB_ERROR: "failed",
          EVENT_JOB_MISSED: "missed"}


class _SafeScheduler(BackgroundScheduler):
    """Never processes due jobs unless running.

    APScheduler's loop may wake once more while ``shutdown()`` is under way (or while paused and being
    stopped); it would then fail to hand a due job to the stopped executor yet still advance the job's
    stored next run time, losing a run the next start-up should catch up on. Checking the state under
    the job-store lock (which ``shutdown()`` takes before closing executors) closes that window.
    """

    def _process_jobs(self) -> float | None:
        with self._jobstores_lock:
            if self.state != STATE_RUNNING:
                return None
            return super()._process_jobs()


@dataclass(frozen=True)
class JobEvent:
    """Something that happened to a job: "started", "ran", "failed" or "missed" (outside its grace)."""

    job_id: str
    kind: str
    #: The run time it was scheduled for (naive UTC).
    scheduled_at: datetime | None
    error: str | None = None


def _naive_utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value else None


def _trigger(spec: JobSpec) -> IntervalTrigger | CronTrigger:
    if isinstance(spec.trigger, Every):
        return IntervalTrigger(seconds=spec.trigger.seconds, jitter=spec.trigger.jitter_seconds or None,
                               timezone=UTC)
    cron: Cron = spec.trigger
    return CronTrigger(day_of_week=cron.day_of_week, hour=cron.hour, minute=cron.minute, second=cron.second,
                       timezone=cron.timezone)


def _unchanged(job: Job | None, spec: JobSpec) -> bool:
    return (job is not None and job.name == spec.signature and job.func_ref == obj_to_ref(spec.func)
            and tuple(job.args) == tuple(spec.args))


class Scheduler:
    """Runs ``specs`` on their triggers with their state in the project's database (``engine``: the
    Monitor's own, ``Monitor.db.engine``, so the URL is resolved once and one pool serves both)."""

    def __init__(self, engine: Engine, specs: Sequence[JobSpec], *,
                 on_event: Callable[[JobEvent], None] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.specs = list(specs)
        self.on_event = on_event
        self._clock = clock
        self._engine = engine
        self._aps = _SafeScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self._engine, tablename=JOBS_TABLE)},
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1}, timezone=UTC)
        self._aps.add_listener(self._event, sum(_KINDS))
        self._stop = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self, *, paused: bool = False) -> None:
        """Open the job store, reconcile the jobs, then run them (unless ``paused``)."""
        self._aps.start(paused=True)
        self._reconcile()
        if not paused:
            self._aps.resume()

    def stop(self, *, wait: bool = True) -> None:
        """Stop scheduling; with ``wait`` the running job finishes first."""
        if self._aps.running:
            self._aps.shutdown(wait=wait)
        self._engine.dispose()  # its pooled connections; the engine stays usable for its owner

    def request_stop(self) -> None:
        self._stop.set()

    def run_until_stopped(self) -> None:
        """Start, run until SIGTERM/SIGINT (or ``request_stop``), then stop after the running job."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            for job_id, when in self.next_runs().items():
                log.info("job %s: next run %s", job_id, f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else "none")
            while not self._stop.wait(WAIT_SLICE_SECONDS):
                pass
            log.info("stopping: waiting for the running job to finish")
        finally:
            self.stop(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("stopped")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        self._stop.set()
        # A second signal falls through to the default action (or KeyboardInterrupt): a forced stop.
        signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler)

    # -- jobs --------------------------------------------------------------------------------------------

    def _reconcile(self) -> None:
        wanted = {spec.id for spec in self.specs}
        for job in self._aps.get_jobs():
            if job.id not in wanted:
                log.info("job %s: no longer configured, removed", job.id)
                job.remove()
        for spec in self.specs:
            existing = self._aps.get_job(spec.id)
            if _unchanged(existing, spec):
                continue
            options: dict[str, Any] = {}
            if spec.run_at_start:
                options["next_run_time"] = self._clock()
            self._aps.add_job(spec.func, _trigger(spec), args=list(spec.args), id=spec.id,
                              name=spec.signature, misfire_grace_time=spec.misfire_grace_seconds,
                              coalesce=True, max_instances=1, replace_existing=True, **options)
            log.info("job %s: %s", spec.id, "schedule changed" if existing else "added")

    def next_runs(self) -> dict[str, datetime | None]:
        """Each job's next run time (naive UTC), as stored."""
        return {job.id: _naive_utc(job.next_run_time) for job in self._aps.get_jobs()}

    def set_next_run(self, job_id: str, when: datetime) -> None:
        """Move a stored job's next run (naive UTC); for operators' tools and tests of missed runs."""
        self._aps.modify_job(job_id, next_run_time=when.replace(tzinfo=UTC))

    def _event(self, event: _ApsJobEvent) -> None:
        kind = _KINDS.get(event.code, str(event.code))
        scheduled = getattr(event, "scheduled_run_time", None)
        if scheduled is None:
            times = getattr(event, "scheduled_run_times", None) or [None]
            scheduled = times[-1]
        exc = getattr(event, "exception", None)
        error = f"{type(exc).__name__}: {exc}" if exc else None
        out = JobEvent(event.job_id, kind, _naive_utc(scheduled), error)
        if kind == "missed":
            log.warning("job %s: the run due %s was missed by more than its grace period; skipped",
                        out.job_id, out.scheduled_at)
        elif kind == "failed":
            log.error("job %s failed: %s", out.job_id, out.error)
        if self.on_event is not None:
            self.on_event(out)
