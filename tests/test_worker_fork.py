"""`scrm worker`: scheduled jobs whose memory grows with the data run in a forked work horse, the rest in place."""
from __future__ import annotations

import os
import signal
from datetime import datetime, timezone

from prometheus_client import REGISTRY
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select, text

from app.services import current_services
from app.store.models import ScheduleRun
from jobs.schedule.ticks import claim_slot, run_slot
from jobs.worker import ScrmWorker, run_worker
from tests.scheduling import ticker

PIDS = "scrm:test:worker-pids"


def note_pid(tag: str) -> None:
    """A job that reads the database and records which process ran it."""
    services = current_services()
    with services.sessions() as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    services.redis.rpush(PIDS, f"{tag}:{os.getpid()}")


def note_pid_apart(tag: str) -> None:
    """The same job under a name the test marks as forked."""
    note_pid(tag)


def die_in_slot(run_id: int) -> None:
    """A scheduled run whose process is killed in the middle (as the OOM killer would)."""
    run_slot(current_services(), run_id, resolve=lambda target: lambda: os.kill(os.getpid(), signal.SIGKILL))


def ran(redis) -> dict[str, int]:
    return {tag: int(pid) for tag, pid in (item.decode().split(":") for item in redis.lrange(PIDS, 0, -1))}


def test_forked_entries_run_in_a_work_horse_and_the_worker_keeps_its_connections(services, redis, monkeypatch):
    monkeypatch.setattr("jobs.worker.FORKED_ENTRIES", frozenset({f"{__name__}.note_pid_apart"}))
    redis.delete(PIDS)
    Queue("welcome", connection=redis).enqueue(note_pid, "in place before", job_id="in-place-1")
    Queue("default", connection=redis).enqueue(note_pid_apart, "forked", job_id="forked")
    run_worker(services.settings, ("welcome", "default"), burst=True)
    Queue("welcome", connection=redis).enqueue(note_pid, "in place after", job_id="in-place-2")
    run_worker(services.settings, ("welcome", "default"), burst=True)
    pids = ran(redis)
    assert pids["in place before"] == pids["in place after"] == os.getpid()
    assert pids["forked"] != os.getpid()
    assert {Job.fetch(j, connection=redis).get_status() for j in ("in-place-1", "forked", "in-place-2")} == {
        JobStatus.FINISHED}


def test_a_nurture_tick_runs_forked_and_records_its_run(services, redis):
    tick = ticker(services, redis)
    [run_id] = tick.tick("nurture")
    [sweep_id] = tick.tick("sweep_outbox")
    job, sweep = Job.fetch(f"sched-{run_id}", connection=redis), Job.fetch(f"sched-{sweep_id}", connection=redis)
    assert job.func_name == "jobs.schedule.ticks.run_isolated"
    assert sweep.func_name == "jobs.schedule.ticks.run_scheduled"
    run_worker(services.settings, ("default",), burst=True)
    with services.sessions() as session:
        statuses = dict(session.execute(select(ScheduleRun.id, ScheduleRun.status)).all())
    assert statuses == {run_id: "done", sweep_id: "done"}
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_a_killed_work_horse_fails_its_run_and_counts_as_a_job_failure(services, redis, monkeypatch):
    monkeypatch.setattr("jobs.worker.FORKED_ENTRIES", frozenset({f"{__name__}.die_in_slot"}))
    with services.sessions() as session:
        run_id = claim_slot(session, "nurture", datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc), epoch=1)
        session.commit()
    labels = {"queue": "default", "exception": "WorkHorseKilled"}
    before = REGISTRY.get_sample_value("scrm_job_failures_total", labels) or 0.0
    job = Queue("default", connection=redis).enqueue(die_in_slot, run_id, job_id="dies")
    run_worker(services.settings, ("default",), burst=True)
    with services.sessions() as session:
        run = session.get(ScheduleRun, run_id)
        assert run.status == "failed"
        assert "wait status" in run.error
    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert REGISTRY.get_sample_value("scrm_job_failures_total", labels) == before + 1


def test_with_no_work_horse_stopping_one_signals_nothing(redis):
    worker = ScrmWorker([Queue("welcome", connection=redis)], connection=redis)
    worker.kill_horse()  # rq's stop-job command does this for a job running in the worker's own process
    assert worker.wait_for_horse() == (None, None, None)
