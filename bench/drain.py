"""Worker capacity: how fast --workers rq workers drain a backlog of callbacks, and what each event costs in CPU.

Runs the whole system (sandbox in this process, gunicorn with 2 workers, PostgreSQL, Redis) with no rq worker,
lets the sandbox deliver --events callbacks (the soak's mix: --add-share adds with a welcome code, the rest edits,
plus chat messages whose archive notifies come once a second) after --seed prospects, then starts the workers and
times the drain: every inbox event processed and every outbox action settled. Prints events/s and the CPU
milliseconds per event spent by the rq workers, PostgreSQL, Redis and the sandbox.

Baseline, same run, same workers: a backlog of as many no-op rq jobs (rq's own cost per job).

Usage: python bench/drain.py [--events 3000] [--workers 2] [--add-share 0.3] [--admin-url URL] [--redis-url URL]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis  # noqa: E402
from rq import Worker  # noqa: E402
from rq.suspension import resume, suspend  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app.store.models import InboxEvent, OutboxAction  # noqa: E402
from bench.system import System, bench_database, cpu_seconds, running_system, service_pids  # noqa: E402
from jobs.queues import QUEUE_NAMES  # noqa: E402

STAFF = tuple(f"sales{i:02d}" for i in range(10))
CHANNELS = ("webinar_0302", "site_qr_pricing", "expo_booth_a12")
MESSAGES = ("你们这个系统一年多少钱？", "好的，谢谢", "收到，我先看看资料")


def noop() -> None:
    """The baseline job: rq's own cost, nothing else."""


def stored_callbacks(state) -> int:
    """Callbacks of adds and edits the sandbox has delivered and our service answered."""
    return sum(1 for d in state.core.callbacks_sent if d.event != "msgaudit_notify" and d.status == "delivered")


def settled(system: System, state, callbacks: int, redis: Redis) -> bool:
    """Every callback delivered and processed, every action settled, no job waiting."""
    return stored_callbacks(state) >= callbacks and unsettled(system) == 0 and queued(redis) == 0


def unsettled(system: System) -> int:
    """Inbox events and outbox actions not yet finished."""
    with system.services.sessions() as session:
        inbox = session.scalar(select(func.count()).select_from(InboxEvent)
                               .where(InboxEvent.status.in_(["pending", "processing"])))
        outbox = session.scalar(select(func.count()).select_from(OutboxAction)
                                .where(OutboxAction.status.in_(["pending", "running"])))
    return inbox + outbox


class CpuMeter:
    """CPU seconds used between start and stop by our workers, PostgreSQL, Redis and this process (the sandbox)."""

    def __init__(self, workers: list[int]) -> None:
        self.workers = workers
        self.before = self._read()

    def _read(self) -> dict[str, dict[int, float]]:
        groups = {"rq workers": self.workers, **service_pids(), "sandbox": [os.getpid()]}
        return {name: {pid: cpu_seconds(pid) or 0.0 for pid in pids} for name, pids in groups.items()}

    def used(self) -> dict[str, float]:
        """CPU seconds per group since the meter started (a process started meanwhile counts from zero)."""
        now = self._read()
        return {name: sum(cpu - self.before[name].get(pid, 0.0) for pid, cpu in pids.items())
                for name, pids in now.items()}


def start_suspended(system: System, redis: Redis, workers: int) -> list[int]:
    """Start the workers suspended, so their start-up is neither timed nor metered; return their pids."""
    suspend(redis)
    procs = [system.start_worker() for _ in range(workers)]
    system.wait_for(lambda: [w.state for w in Worker.all(connection=redis)] == ["suspended"] * workers, 60,
                    "the workers to start")
    return [proc.pid for proc in procs]


def drain(system: System, redis: Redis, pids: list[int], done,
          timeout: float = 600.0) -> tuple[float, dict[str, float]]:
    """Resume the suspended workers, wait until `done()`, stop them; return (seconds, CPU seconds per group)."""
    meter, started = CpuMeter(pids), time.monotonic()
    resume(redis)
    system.wait_for(done, timeout, "the backlog to drain")
    elapsed, used = time.monotonic() - started, meter.used()
    system.stop_processes()
    system.workers.clear()
    return elapsed, used


def queued(redis: Redis) -> int:
    """Jobs waiting in our rq queues."""
    return sum(redis.llen(f"rq:queue:{name}") for name in QUEUE_NAMES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=300, help="prospects added (and processed) before the run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--add-share", type=float, default=0.3)
    parser.add_argument("--message-share", type=float, default=0.04, help="chat messages per callback")
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="a Redis db only this run uses")
    args = parser.parse_args()

    with bench_database(args.admin_url, args.redis_url, "scrm_drain") as database_url, \
            running_system(database_url, args.redis_url, workers=0, staff=STAFF, callback_workers=16,
                           callback_queue_max=1_000_000) as system:
        redis, state, rng = Redis.from_url(args.redis_url), system.sandbox.state, random.Random(7)
        print(f"drain: {args.events} callbacks ({args.add_share:.0%} adds with a welcome code, the rest edits, "
              f"{args.message_share:.0%} chat messages), rq workers x{args.workers}; {os.cpu_count()} cores")

        from bench.drain import noop as job  # by its module's name: the workers cannot import __main__
        system.services.queues.enqueue_many("default", job, [((), f"noop-{n}") for n in range(args.events)])
        base_seconds, base_cpu = drain(system, redis, start_suspended(system, redis, args.workers),
                                       lambda: queued(redis) == 0)

        owners: dict[str, str] = {}
        pids = start_suspended(system, redis, args.workers)
        for n in range(args.seed):
            owner = STAFF[n % len(STAFF)]
            owners[state.contacts.add_prospect(owner, state=CHANNELS[0])["external_userid"]] = owner
        drain(system, redis, pids, lambda: settled(system, state, args.seed, redis))

        pids = start_suspended(system, redis, args.workers)
        before = len(state.core.callbacks_sent)
        for n in range(args.events):
            if rng.random() < args.add_share:
                owner = STAFF[n % len(STAFF)]
                owners[state.contacts.add_prospect(owner, state=CHANNELS[n % len(CHANNELS)])["external_userid"]] = owner
            else:
                ext = rng.choice(list(owners))
                state.contacts.edit_contact(owners[ext], ext, remark=f"跟进 {n}")
            if rng.random() < args.message_share:
                ext = rng.choice(list(owners))
                state.contacts.record_message(ext, owners[ext], rng.choice(MESSAGES))
        system.wait_for(lambda: stored_callbacks(state) >= args.seed + args.events, 300, "the callbacks to be stored")
        stored = len(state.core.callbacks_sent) - before
        seconds, cpu = drain(system, redis, pids, lambda: settled(system, state, args.seed + args.events, redis))

        with system.services.sessions() as session:
            work = session.execute(select(OutboxAction.kind, func.count()).group_by(OutboxAction.kind)).all()
            failed = session.scalar(select(func.count()).select_from(OutboxAction)
                                    .where(OutboxAction.status.in_(["failed", "expired"])))
        print(f"events: {stored} processed in {seconds:.1f} s = {stored / seconds:.1f} events/s; "
              f"outbox {', '.join(f'{k} {n}' for k, n in sorted(work))}; failed or expired {failed}; "
              f"sandbox violations {state.core.violation_total()}")
        print("CPU ms per event: " + ", ".join(f"{k} {v / stored * 1000:.2f}" for k, v in cpu.items()))
        print(f"baseline, no-op rq jobs: {args.events} in {base_seconds:.1f} s = "
              f"{args.events / base_seconds:.1f} jobs/s; "
              f"rq workers {base_cpu['rq workers'] / args.events * 1000:.2f} CPU ms per job")
        print(f"ratio: events/s / no-op jobs/s = {stored / seconds / (args.events / base_seconds):.3f}; "
              f"worker CPU per event / per no-op job = "
              f"{(cpu['rq workers'] / stored) / (base_cpu['rq workers'] / args.events):.1f}")


if __name__ == "__main__":
    main()
