"""`scrm scheduler`: wait to lead, then tick: claim each due slot in schedule_runs and enqueue its rq job."""
from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.services import Services, install
from app.settings import Settings
from app.store.models import ScheduleRun, utcnow
from app.wiring import build_services
from jobs.schedule.leader import LeaderLock
from jobs.schedule.ticks import (
    Scheduled,
    claim_slot,
    due_slots,
    last_slot,
    run_scheduled,
    schedule_table,
    unstarted_runs,
)

log = logging.getLogger(__name__)

QUEUE = "default"
LOST_ENQUEUE_AFTER = timedelta(seconds=60)


class Ticker:
    """What the APScheduler jobs run: plan due slots under our epoch, enqueue ids; nothing else."""

    def __init__(self, services: Services, lock: LeaderLock, table: tuple[Scheduled, ...]) -> None:
        self.services = services
        self.lock = lock
        self.jobs = {job.name: job for job in table}

    def tick(self, name: str) -> list[int]:
        """Claim the job's due slots (at most its catch-up cap) and enqueue them; return the new run ids."""
        epoch = self.lock.epoch
        if epoch is None or not self.lock.holds():
            log.warning("tick %s skipped: not the leader (epoch %s)", name, epoch)
            return []
        job = self.jobs[name]
        planned: list[int] = []
        with self.services.sessions() as session:
            for slot in due_slots(last_slot(session, name), utcnow(), job.interval, job.anchor, job.catch_up):
                run_id = claim_slot(session, name, slot, epoch)
                if run_id is not None:
                    planned.append(run_id)
            session.commit()
        for run_id in planned:
            self._enqueue(run_id, job.entry)
        return planned

    def recover(self) -> int:
        """Re-enqueue runs planned but never started (the enqueue after the claim was lost)."""
        if not self.lock.holds():
            return 0
        with self.services.sessions() as session:
            runs = unstarted_runs(session, LOST_ENQUEUE_AFTER)
        count = 0
        for run_id, name in runs:
            if not self.services.queues.is_active(f"sched-{run_id}"):
                job = self.jobs.get(name)  # a run of a job no longer in the table fails in run_slot, visibly
                count += self._enqueue(run_id, job.entry if job else run_scheduled)
        return count

    def _enqueue(self, run_id: int, entry: Callable[[int], None]) -> bool:
        try:
            return self.services.queues.enqueue(QUEUE, entry, run_id, job_id=f"sched-{run_id}")
        except RedisError:
            log.warning("cannot enqueue scheduled run %s; recovery retries it", run_id)
            return False


def build_ticker_scheduler(ticker: Ticker, timezone: str) -> BackgroundScheduler:
    """An APScheduler 3 ticker: in-memory job store only, one tick job per scheduled job, catch-up at start."""
    zone = ZoneInfo(timezone)
    scheduler = BackgroundScheduler(
        timezone=zone, jobstores={"default": MemoryJobStore()}, executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    now = utcnow().astimezone(zone)
    fastest = min(job.interval for job in ticker.jobs.values())
    for job in ticker.jobs.values():
        if job.nightly:
            local = job.anchor
            trigger = CronTrigger(hour=local.hour, minute=local.minute, timezone=local.tzinfo)
        else:
            trigger = IntervalTrigger(seconds=job.interval.total_seconds(), start_date=job.anchor, timezone=zone)
        scheduler.add_job(ticker.tick, trigger, args=[job.name], id=job.name)
        # A one-off tick at start catches up what was missed; the trigger above stays aligned to the slots.
        scheduler.add_job(ticker.tick, "date", run_date=now, args=[job.name], id=f"{job.name}:catch-up")
    scheduler.add_job(ticker.recover, IntervalTrigger(seconds=fastest.total_seconds(), timezone=zone), id="recover")
    return scheduler


def lead(services: Services, lock: LeaderLock, stop: threading.Event, table: tuple[Scheduled, ...]) -> None:
    """Tick while we hold the lock, renewing every ttl/3; stop scheduling at once when renewal fails or on stop."""
    scheduler = build_ticker_scheduler(Ticker(services, lock, table), services.settings.timezone)
    scheduler.start()
    try:
        while not stop.wait(lock.ttl / 3):
            if not lock.renew():
                break
    finally:
        scheduler.shutdown(wait=False)
        lock.release()
        log.info("scheduler stopped ticking")


def newest_epoch(services: Services) -> int:
    """The highest epoch any leader has written to schedule_runs (0 when none)."""
    with services.sessions() as session:
        return session.execute(select(func.max(ScheduleRun.epoch))).scalar() or 0


def run_scheduler(settings: Settings, stop_event: threading.Event | None = None) -> None:
    """Stand by until the leader lock is free, lead until it is lost, repeat until stopped."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every tick at INFO
    services = install(build_services(settings))
    if services.redis is None:
        raise RuntimeError("the scheduler needs REDIS_URL")
    stop = stop_event or _stop_on_signals()
    lock = LeaderLock(services.redis, ttl=settings.scheduler_leader_ttl)
    table = schedule_table(settings)
    poll = min(5.0, max(0.2, settings.scheduler_leader_ttl / 3))
    log.info("scheduler standing by (ttl %ss)", settings.scheduler_leader_ttl)
    try:
        while not stop.is_set():
            try:
                if lock.try_acquire(floor=newest_epoch(services)):
                    lead(services, lock, stop, table)
                    continue
                remaining = lock.expires_in()
            except (RedisError, SQLAlchemyError) as exc:
                log.warning("scheduler cannot reach Redis or the database: %s", type(exc).__name__)
                remaining = None
            stop.wait(poll if remaining is None else min(poll, remaining + 0.05))
    finally:
        lock.release()
        services.close()


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so a stopped scheduler hands over at once."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
