"""Fault: the scheduler leader dies (SIGKILL) or freezes (SIGSTOP). A standby takes over; no slot is planned twice."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select

from app.store.models import ScheduleRun, utcnow
from app.store.models.base import as_utc
from bench.system import System
from jobs.schedule.leader import LeaderLock

pytestmark = pytest.mark.faults

TTL = 3  # SCHEDULER_LEADER_TTL in the test (production default: 30)
SWEEP = timedelta(seconds=2)  # SWEEP_INTERVAL_SECONDS in the test


def leader_pid(lock: LeaderLock) -> tuple[int, int] | None:
    """(epoch, pid) of the scheduler holding the lock, from its token "<epoch>:<host>:<pid>:<nonce>"."""
    token = lock.redis.get(lock.name)
    if token is None:
        return None
    epoch, _host, pid, _nonce = token.decode().split(":")
    return int(epoch), int(pid)


def sweep_runs(system: System) -> list[ScheduleRun]:
    """The planned slots of the inbox sweeper, in slot order."""
    with system.services.sessions() as session:
        return list(session.execute(select(ScheduleRun).where(ScheduleRun.name == "sweep_inbox")
                                    .order_by(ScheduleRun.due_at)).scalars())


def runs_of(system: System, epoch: int) -> list[ScheduleRun]:
    return [run for run in sweep_runs(system) if run.epoch == epoch]


def wait_new_leader(system: System, lock: LeaderLock, old_epoch: int, timeout: float) -> tuple[int, int, float]:
    """Wait for a term newer than `old_epoch`; return (epoch, pid, seconds waited)."""
    start = time.monotonic()
    system.wait_for(lambda: (leader_pid(lock) or (0, 0))[0] > old_epoch, timeout, "a standby to take over")
    epoch, pid = leader_pid(lock)
    return epoch, pid, time.monotonic() - start


def process(system: System, pid: int) -> subprocess.Popen:
    return next(proc for proc in system.schedulers if proc.pid == pid)


def test_standby_takes_over_from_a_killed_or_frozen_leader_and_no_slot_is_planned_twice(fault_system, private_redis):
    with fault_system(workers=1, schedulers=2) as system:
        lock = LeaderLock(Redis.from_url(private_redis.url))
        system.wait_for(lambda: leader_pid(lock) is not None, 30, "a first leader")
        first_epoch, first_pid = leader_pid(lock)
        system.wait_for(lambda: len(runs_of(system, first_epoch)) >= 3, 30, "the first leader's sweeps")

        process(system, first_pid).kill()  # SIGKILL: no release, the lock must expire
        killed_at = utcnow()
        second_epoch, second_pid, kill_takeover = wait_new_leader(system, lock, first_epoch, TTL + 10)
        system.start_scheduler()  # the restarted process becomes the new standby
        system.wait_for(lambda: len(runs_of(system, second_epoch)) >= 3, 30, "the second leader's sweeps")

        os.kill(second_pid, signal.SIGSTOP)  # frozen, not dead: it still believes it leads
        frozen_at = utcnow()
        try:
            third_epoch, third_pid, freeze_takeover = wait_new_leader(system, lock, second_epoch, TTL + 10)
        finally:
            os.kill(second_pid, signal.SIGCONT)
        thawed_at = utcnow()
        system.wait_for(lambda: len(runs_of(system, third_epoch)) >= 3, 30, "the third leader's sweeps")
        system.wait_for(lambda: all(r.status == "done" for r in sweep_runs(system)), 30, "every planned sweep run")
        system.wait_for(lambda: process(system, second_pid).poll() is None and leader_pid(lock)[1] == third_pid,
                        1, "the thawed scheduler back in standby")
        runs = sweep_runs(system)

    assert len({first_pid, second_pid, third_pid}) == 3
    assert first_epoch < second_epoch < third_epoch
    assert kill_takeover <= TTL + 5
    assert freeze_takeover <= TTL + 5
    slots = [as_utc(run.due_at) for run in runs]
    # none lost, none twice
    assert all(later - earlier == SWEEP for earlier, later in zip(slots, slots[1:], strict=False)), slots
    assert {run.epoch for run in runs} == {first_epoch, second_epoch, third_epoch}
    assert all(as_utc(run.planned_at) < killed_at for run in runs if run.epoch == first_epoch)
    assert not [run for run in runs if run.epoch == second_epoch and as_utc(run.planned_at) >= frozen_at]
    assert max(as_utc(run.planned_at) for run in runs) > thawed_at
    assert [run.epoch for run in runs] == sorted(run.epoch for run in runs)
    print(f"\nleader SIGKILLed: standby led after {kill_takeover:.1f} s; leader frozen: after {freeze_takeover:.1f} s "
          f"(TTL {TTL} s); {len(runs)} consecutive sweep slots, each planned once")

