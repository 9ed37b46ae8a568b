"""The scheduler on real Redis and databases: slots planned once, deposed leaders fenced, failover between processes."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy import func, select

from app.services import install
from app.store.db import make_engine, make_sessions
from app.store.models import ScheduleRun
from jobs.pipeline.outbox_sweeper import sweep_outbox
from jobs.schedule.leader import LeaderLock
from jobs.schedule.scheduler import Ticker, lead
from jobs.schedule.ticks import claim_slot, run_slot, schedule_table, unstarted_runs
from tests.processes import clean_env, run, wait_exit, wait_until
from tests.scheduling import ticker
from tests.settings import make_settings

TTL = 3
SLACK = 1.0  # the standby sleeps until the key's expiry; this covers process scheduling and our polling
SLOT = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def runs(sessions) -> list[ScheduleRun]:
    with sessions() as session:
        return session.execute(select(ScheduleRun).order_by(ScheduleRun.id)).scalars().all()


def test_a_slot_is_planned_at_most_once(services):
    with services.sessions() as session:
        first = claim_slot(session, "sweep_inbox", SLOT, epoch=1)
        again = claim_slot(session, "sweep_inbox", SLOT, epoch=1)
        other = claim_slot(session, "sweep_outbox", SLOT, epoch=1)
        session.commit()
    assert first
    assert other
    assert again is None
    [run_a, run_b] = runs(services.sessions)
    assert run_a.status == "planned"
    assert run_a.due_at.replace(tzinfo=timezone.utc) == SLOT


def test_a_deposed_epoch_cannot_plan(services):
    with services.sessions() as session:
        assert claim_slot(session, "sweep_inbox", SLOT, epoch=5)
        assert claim_slot(session, "sweep_inbox", SLOT + timedelta(seconds=30), epoch=4) is None
        assert claim_slot(session, "sweep_inbox", SLOT + timedelta(seconds=30), epoch=5)
        session.commit()


def test_tick_plans_due_slots_once_and_enqueues_their_ids(services, redis):
    tick = ticker(services, redis)
    planned = tick.tick("nightly_reconcile")
    assert len(planned) == 1
    assert tick.tick("nightly_reconcile") == []
    job = Job.fetch(f"sched-{planned[0]}", connection=redis)
    assert job.func_name == "jobs.schedule.ticks.run_isolated"
    assert job.args == (planned[0],)
    assert job.origin == "default"
    [row] = runs(services.sessions)
    assert row.name == "nightly_reconcile"
    assert row.epoch == tick.lock.epoch


def test_tick_of_a_deposed_leader_plans_nothing(services, redis):
    tick = ticker(services, redis)
    redis.set(tick.lock.name, "999:someone-else", px=5000)
    assert tick.tick("sweep_inbox") == []
    assert runs(services.sessions) == []


def test_run_slot_records_success_failure_and_is_safe_twice(services, redis):
    with services.sessions() as session:
        done_id = claim_slot(session, "sweep_inbox", SLOT, epoch=1)
        fail_id = claim_slot(session, "nightly_reconcile", SLOT, epoch=1)
        session.commit()
    install(services)
    assert run_slot(services, done_id) == "done"
    assert run_slot(services, done_id) is None

    def broken(path: str):
        raise ModuleNotFoundError(f"No module named {path!r}")

    with pytest.raises(ModuleNotFoundError):
        run_slot(services, fail_id, resolve=broken)
    rows = {row.id: row for row in runs(services.sessions)}
    assert rows[done_id].status == "done"
    assert rows[done_id].finished_at is not None
    assert rows[fail_id].status == "failed"
    assert "ModuleNotFoundError" in rows[fail_id].error


def test_recover_requeues_a_lost_enqueue(services, redis, monkeypatch):
    tick = ticker(services, redis)

    def unreachable(*args, **kwargs):
        raise RedisError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(services.queues, "enqueue", unreachable)
        [run_id] = tick.tick("sweep_outbox")
    assert not redis.exists(f"rq:job:sched-{run_id}")
    with services.sessions() as session:
        assert unstarted_runs(session, timedelta(0), datetime.now(timezone.utc) + timedelta(seconds=1)) == [
            (run_id, "sweep_outbox")]
    assert tick.recover() == 0
    with services.sessions() as session:
        session.get(ScheduleRun, run_id).planned_at = datetime.now(timezone.utc) - timedelta(minutes=5)
        session.commit()
    assert tick.recover() == 1
    assert Job.fetch(f"sched-{run_id}", connection=redis).args == (run_id,)


def test_outbox_sweeper_with_nothing_stale_enqueues_nothing(services, redis):
    assert sweep_outbox(services, pending_after=0) == 0


def test_leader_stops_ticking_at_once_when_its_renewal_fails(database_url, redis_url, redis):
    from app.wiring import build_services

    services = build_services(make_settings(database_url, redis_url, sweep_interval_seconds=1))
    lock = LeaderLock(redis, ttl=2)
    assert lock.try_acquire()
    stop = threading.Event()
    thread = threading.Thread(target=lead, args=(services, lock, stop, schedule_table(services.settings)))
    thread.start()
    try:
        assert wait_until(lambda: len(runs(services.sessions)) >= 4, timeout=10)
        redis.set(lock.name, "999:thief", px=60_000)
        thread.join(lock.ttl)
        assert not thread.is_alive()
        assert lock.token is None
        assert Ticker(services, lock, ()).tick("sweep_inbox") == []
    finally:
        stop.set()
        thread.join(10)
        services.close()


def test_scheduler_refuses_to_start_without_redis(tmp_path):
    result = run(["scheduler"], tmp_path)
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr


def start_scheduler(tmp_path, name: str, database_url: str, redis_url: str) -> tuple[subprocess.Popen, object]:
    env = clean_env(DATABASE_URL=database_url, REDIS_URL=redis_url, SCHEDULER_LEADER_TTL=str(TTL),
                    SWEEP_INTERVAL_SECONDS="1")
    log = open(tmp_path / f"{name}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "scheduler"], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    return proc, log


def logs(tmp_path) -> str:
    return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(tmp_path.glob("*.log")))


def leader_pid(redis) -> int | None:
    token = redis.get("scrm:scheduler:leader")
    return int(token.decode().split(":")[2]) if token else None


def test_standby_takes_over_within_the_ttl_and_no_slot_is_planned_twice(tmp_path, pg_database, redis_url, redis):
    sessions = make_sessions(engine := make_engine(pg_database))
    procs = [start_scheduler(tmp_path, name, pg_database, redis_url) for name in ("a", "b")]
    by_pid = {proc.pid: proc for proc, _ in procs}
    try:
        assert wait_until(lambda: leader_pid(redis) in by_pid, timeout=30)
        first = leader_pid(redis)
        first_epoch = int(redis.get("scrm:scheduler:leader").decode().split(":")[0])
        assert wait_until(lambda: sum(r.epoch == first_epoch for r in runs(sessions)) >= 6, timeout=30), logs(tmp_path)

        by_pid[first].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        standby = next(pid for pid in by_pid if pid != first)
        assert wait_until(lambda: leader_pid(redis) == standby, timeout=TTL + SLACK), logs(tmp_path)
        assert time.monotonic() - killed_at <= TTL + SLACK
        assert wait_exit(by_pid[first], 10) == -signal.SIGKILL

        second_epoch = int(redis.get("scrm:scheduler:leader").decode().split(":")[0])
        assert second_epoch > first_epoch
        assert wait_until(lambda: sum(r.epoch == second_epoch for r in runs(sessions)) >= 4, timeout=30), logs(tmp_path)
    finally:
        for proc, log in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                wait_exit(proc, 15)
            log.close()
    with sessions() as session:
        doubles = session.execute(
            select(ScheduleRun.name, ScheduleRun.due_at).group_by(ScheduleRun.name, ScheduleRun.due_at)
            .having(func.count() > 1)
        ).all()
        nightly = session.execute(
            select(ScheduleRun.name, func.count()).where(ScheduleRun.name.like("nightly_%")).group_by(ScheduleRun.name)
        ).all()
        epochs = set(session.execute(select(ScheduleRun.epoch).distinct()).scalars())
    engine.dispose()
    assert doubles == []
    assert epochs == {first_epoch, second_epoch}
    assert sorted(nightly) == [("nightly_inactivity", 1), ("nightly_prune_runs", 1), ("nightly_reconcile", 1)]
    assert redis.get("scrm:scheduler:leader") is None, "a stopped leader releases its lock"
