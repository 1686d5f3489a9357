"""The scheduler adapter on a real database: jobs fire, state persists, a missed weekly digest runs once
after a restart within its grace period and not at all outside it."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from monitor.config import parse_config
from monitor.schedule.jobs import Cron, Every, JobSpec, digest_job, fetch_job, housekeeping_job, plan
from monitor.schedule.scheduler import JOBS_TABLE, JobEvent, Scheduler
from monitor.store.db import create_db_engine

#: Generous bound on waiting for a job event (never asserted as a duration).
PATIENCE_SECONDS = 60
WEEKLY = Cron(day_of_week="mon", hour="8", minute="0", timezone="Europe/Paris")
HOUR = 3600


def record(path: str, label: str) -> None:
    """A job that leaves a trace (module-level, so the persistent job store can refer to it)."""
    with open(path, "a", encoding="utf-8") as out:
        out.write(label + "\n")


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Events:
    def __init__(self) -> None:
        self.queue: queue.Queue[JobEvent] = queue.Queue()

    def __call__(self, event: JobEvent) -> None:
        self.queue.put(event)

    def wait_for(self, job_id: str, kind: str) -> JobEvent:
        while True:
            event = self.queue.get(timeout=PATIENCE_SECONDS)
            if event.job_id == job_id and event.kind in (kind, "failed"):
                assert event.kind == kind, event
                return event


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    return tmp_path / "trace.txt"


def _lines(trace: Path) -> list[str]:
    return trace.read_text(encoding="utf-8").splitlines() if trace.exists() else []


@pytest.fixture
def started() -> Iterator[list[Scheduler]]:
    """Schedulers a test started; all stopped at the end even when the test fails."""
    schedulers: list[Scheduler] = []
    yield schedulers
    for scheduler in schedulers:
        scheduler.stop()


def _start(started: list[Scheduler], url: str, specs: list[JobSpec], events: Events | None = None, *,
           paused: bool = False) -> Scheduler:
    scheduler = Scheduler(create_db_engine(url), specs, on_event=events)
    started.append(scheduler)
    scheduler.start(paused=paused)
    return scheduler


def test_fetch_and_digest_jobs_fire_on_short_intervals(database_url: str, trace: Path,
                                                       started: list[Scheduler]) -> None:
    events = Events()
    _start(started, database_url, [
        JobSpec("fetch", record, Every(1), (str(trace), "fetch")),
        JobSpec("digest", record, Cron(minute="*", second="*/2"), (str(trace), "digest"),
                misfire_grace_seconds=HOUR),
    ], events)
    events.wait_for("fetch", "ran")
    events.wait_for("digest", "ran")
    events.wait_for("fetch", "ran")  # and again: it is an interval, not a one-off
    assert {"fetch", "digest"} <= set(_lines(trace))


def test_job_state_lives_in_the_projects_database(database_url: str, trace: Path,
                                                  started: list[Scheduler]) -> None:
    scheduler = _start(started, database_url, [JobSpec("digest", record, WEEKLY, (str(trace), "d"))],
                       paused=True)
    next_run = scheduler.next_runs()["digest"]
    scheduler.stop()
    engine = create_engine(database_url)
    try:
        assert JOBS_TABLE in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    assert next_run is not None and next_run > _utcnow()
    assert next_run.weekday() == 0  # Monday 08:00 Paris is Monday 07:00 or 06:00 UTC
    again = _start(started, database_url, [JobSpec("digest", record, WEEKLY, (str(trace), "d"))],
                   paused=True)
    assert again.next_runs() == {"digest": next_run}


def _miss_weekly_run(database_url: str, trace: Path, started: list[Scheduler], late: timedelta,
                     grace_seconds: int) -> list[JobSpec]:
    """Run a scheduler, stop it, then pretend the weekly run came and went ``late`` ago while it was off."""
    specs = [JobSpec("digest", record, WEEKLY, (str(trace), "digest"), misfire_grace_seconds=grace_seconds)]
    first = _start(started, database_url, specs, paused=True)
    first.set_next_run("digest", _utcnow() - late)
    first.stop()
    return specs


def test_a_missed_weekly_digest_runs_once_after_a_restart_within_grace(
        database_url: str, trace: Path, started: list[Scheduler]) -> None:
    specs = _miss_weekly_run(database_url, trace, started, timedelta(minutes=30), grace_seconds=HOUR)
    events = Events()
    restarted = _start(started, database_url, specs, events)
    events.wait_for("digest", "ran")
    next_run = restarted.next_runs()["digest"]
    restarted.stop()
    assert _lines(trace) == ["digest"]
    assert next_run is not None and next_run > _utcnow()


def test_a_missed_weekly_digest_outside_grace_does_not_run(database_url: str, trace: Path,
                                                           started: list[Scheduler]) -> None:
    specs = _miss_weekly_run(database_url, trace, started, timedelta(hours=3), grace_seconds=HOUR)
    events = Events()
    restarted = _start(started, database_url, specs, events)
    missed = events.wait_for("digest", "missed")
    next_run = restarted.next_runs()["digest"]
    restarted.stop()
    assert _lines(trace) == []
    assert missed.scheduled_at is not None and missed.scheduled_at < _utcnow() - timedelta(hours=2)
    assert next_run is not None and next_run > _utcnow()


def test_many_missed_runs_coalesce_into_one(database_url: str, trace: Path, started: list[Scheduler]) -> None:
    hourly = [JobSpec("hourly", record, Cron(minute="0"), (str(trace), "hourly"),
                      misfire_grace_seconds=24 * HOUR)]
    first = _start(started, database_url, hourly, paused=True)
    first.set_next_run("hourly", _utcnow() - timedelta(hours=5, minutes=30))
    first.stop()
    events = Events()
    restarted = _start(started, database_url, hourly, events)
    events.wait_for("hourly", "ran")
    restarted.stop()
    assert _lines(trace) == ["hourly"]


def test_a_changed_schedule_replaces_the_stored_job_and_old_jobs_are_removed(
        database_url: str, trace: Path, started: list[Scheduler]) -> None:
    old = [JobSpec("digest", record, WEEKLY, (str(trace), "d")),
           JobSpec("retired", record, WEEKLY, (str(trace), "r"))]
    first = _start(started, database_url, old, paused=True)
    first.set_next_run("digest", _utcnow() - timedelta(minutes=5))
    first.stop()
    friday = [JobSpec("digest", record, Cron(day_of_week="fri", hour="18", minute="0"), (str(trace), "d"))]
    second = _start(started, database_url, friday, paused=True)
    runs = second.next_runs()
    assert set(runs) == {"digest"}
    assert runs["digest"] is not None and runs["digest"].weekday() == 4 and runs["digest"] > _utcnow()


def test_the_plan_follows_the_configuration(tmp_path: Path) -> None:
    config = parse_config({"schedule": {"fetch_interval_minutes": 30, "fetch_jitter_seconds": 60,
                                        "misfire_grace_hours": 6, "housekeeping_time": "04:15"},
                           "digest": {"weekday": "Sunday", "time": "19:30", "timezone": "Europe/Paris"}})
    path = tmp_path / "monitor.toml"
    jobs = {spec.id: spec for spec in plan(config, path)}
    assert jobs["fetch"].func is fetch_job and jobs["fetch"].trigger == Every(1800, 60)
    assert jobs["fetch"].run_at_start
    assert jobs["digest"].func is digest_job
    assert jobs["digest"].trigger == Cron(day_of_week="sun", hour="19", minute="30", timezone="Europe/Paris")
    assert jobs["digest"].misfire_grace_seconds == 6 * HOUR
    assert jobs["housekeeping"].func is housekeeping_job
    assert jobs["housekeeping"].trigger == Cron(hour="4", minute="15", timezone="Europe/Paris")
    assert all(spec.args == (str(path.resolve()),) for spec in jobs.values())
