"""Schedule state in our own table: which slots are due, who planned them, and how their jobs ended."""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from app.services import Services, current_services
from app.settings import Settings
from app.store.models import ScheduleRun, utcnow
from app.store.models.base import as_utc
from app.store.upsert import insert_ignore

log = logging.getLogger(__name__)

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)
KEEP_RUNS = timedelta(days=7)
ERROR_CHARS = 500


@dataclass(frozen=True)
class Scheduled:
    """One scheduled job: slots fall on anchor + k·interval; `target` is a no-argument rq job by import path."""

    name: str
    target: str
    interval: timedelta
    anchor: datetime = UNIX_EPOCH
    catch_up: int = 1
    isolated: bool = False  # holds data in proportion to the contact base: run in a forked work horse

    @property
    def entry(self) -> Callable[[int], None]:
        """The rq entry point for one of its runs (`scrm worker` forks for `run_isolated`)."""
        return run_isolated if self.isolated else run_scheduled

    @property
    def nightly(self) -> bool:
        """Tell whether the job runs once a day (a cron trigger at the anchor's wall-clock time)."""
        return self.interval == DAY


def schedule_table(settings: Settings) -> tuple[Scheduled, ...]:
    """Every scheduled job, in one place."""
    every = timedelta(seconds=settings.sweep_interval_seconds)
    hour, minute = (int(part) for part in settings.nightly_at.split(":"))
    nightly = datetime(2000, 1, 1, hour, minute, tzinfo=ZoneInfo(settings.timezone))
    return (
        Scheduled("sweep_inbox", "jobs.pipeline.inbox_sweeper.sweep", every, catch_up=3),
        Scheduled("sweep_outbox", "jobs.pipeline.outbox_sweeper.sweep", every, catch_up=3),
        Scheduled("poll_results", "jobs.nurture.results.poll_results_job", timedelta(minutes=5)),
        Scheduled("moment_interactions", "jobs.nurture.moment_interactions.poll_interactions_job",
                  timedelta(minutes=30)),
        Scheduled("remind_unconfirmed", "jobs.nurture.reminders.remind_job", timedelta(minutes=15)),
        Scheduled("escalate_unconfirmed", "jobs.nurture.reminders.escalate_job", timedelta(minutes=15)),
        Scheduled("nurture", "jobs.nurture.sends.nurture_job", timedelta(minutes=settings.nurture_interval_minutes),
                  isolated=True),
        Scheduled("escalate_leads", "jobs.periodic.lead_escalation.escalate_leads_job", timedelta(minutes=5)),
        Scheduled("pull_archive", "jobs.pipeline.archive_pull.pull_archive_job", timedelta(minutes=1)),
        Scheduled("nightly_reconcile", "jobs.periodic.reconcile.reconcile_job", DAY, nightly, isolated=True),
        Scheduled("nightly_inactivity", "jobs.periodic.inactivity.inactivity_job", DAY, nightly, isolated=True),
        Scheduled("nightly_prune_runs", "jobs.schedule.ticks.prune_job", DAY, nightly),
    )


def latest_slot(now: datetime, interval: timedelta, anchor: datetime = UNIX_EPOCH) -> datetime:
    """The last slot at or before `now` (wall-clock arithmetic in the anchor's zone)."""
    local = now.astimezone(anchor.tzinfo)
    return anchor + ((local - anchor) // interval) * interval


def due_slots(last_slot: datetime | None, now: datetime, interval: timedelta,
              anchor: datetime = UNIX_EPOCH, cap: int = 1) -> list[datetime]:
    """Slots after `last_slot` up to `now`, oldest first, at most the latest `cap`; only the latest on a first run."""
    if cap < 1 or interval <= timedelta(0):
        raise ValueError("cap must be at least 1 and interval positive")
    slot = latest_slot(now, interval, anchor)
    if last_slot is None:
        return [slot]
    slots: list[datetime] = []
    while slot > last_slot and len(slots) < cap:
        slots.append(slot)
        slot -= interval
    return slots[::-1]


def last_slot(session: Session, name: str) -> datetime | None:
    """The latest slot recorded for the job."""
    return as_utc(session.execute(select(func.max(ScheduleRun.due_at)).where(ScheduleRun.name == name)).scalar())


def claim_slot(session: Session, name: str, due_at: datetime, epoch: int) -> int | None:
    """Record the slot as planned by this epoch; return the run id, or None if already planned or we were deposed."""
    newest = session.execute(select(func.max(ScheduleRun.epoch))).scalar()
    if newest is not None and newest > epoch:
        log.warning("refusing %s slot from deposed epoch %s (newest %s)", name, epoch, newest)
        return None
    return insert_ignore(session, ScheduleRun, {
        "name": name, "due_at": due_at.astimezone(timezone.utc), "epoch": epoch, "status": "planned",
        "planned_at": utcnow(),
    }, ["name", "due_at"], ScheduleRun.id)


def unstarted_runs(session: Session, older_than: timedelta, now: datetime | None = None,
                   limit: int = 100) -> list[tuple[int, str]]:
    """(id, job name) of runs planned but never started (a lost enqueue), oldest first."""
    cutoff = (now or utcnow()) - older_than
    return [(run_id, name) for run_id, name in session.execute(
        select(ScheduleRun.id, ScheduleRun.name).where(ScheduleRun.status == "planned", ScheduleRun.planned_at < cutoff)
        .order_by(ScheduleRun.id).limit(limit))]


def run_scheduled(run_id: int) -> None:
    """rq entry point: run one planned slot's job and record how it ended."""
    run_slot(current_services(), run_id)


def run_isolated(run_id: int) -> None:
    """rq entry point for a job whose memory grows with the data: the same as `run_scheduled`, but `scrm worker`
    runs it in a forked work horse, so what it held goes back to the OS when it ends."""
    run_slot(current_services(), run_id)


def run_slot(services: Services, run_id: int,
             resolve: Callable[[str], Callable[[], object]] | None = None) -> str | None:
    """Run the slot's target unless it already finished; return the run's new status."""
    targets = {job.name: job.target for job in schedule_table(services.settings)}
    with services.sessions() as session:
        run = session.get(ScheduleRun, run_id)
        if run is None or run.status == "done":
            return None
        target = targets.get(run.name)
        _settle(session, run_id, "running" if target else "failed", started_at=utcnow(),
                error=None if target else f"no scheduled job named {run.name}")
        if target is None:
            return "failed"
        try:
            (resolve or import_target)(target)()
        except Exception as exc:
            _settle(session, run_id, "failed", finished_at=utcnow(), error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
            log.warning("scheduled run %s (%s) failed: %s", run_id, run.name, type(exc).__name__)
            raise
        _settle(session, run_id, "done", finished_at=utcnow(), error=None)
        return "done"


def record_killed(services: Services, run_id: int, why: str) -> None:
    """Fail a run whose process died under it (it stays `running` otherwise); a finished run is left alone."""
    with services.sessions() as session:
        _settle(session, run_id, "failed", only_from="running", finished_at=utcnow(), error=why[:ERROR_CHARS])


def import_target(path: str) -> Callable[[], object]:
    """Import "package.module.function" (jobs written by other modules are named, not imported here)."""
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def prune_job() -> int:
    """rq entry point: delete finished runs older than a week."""
    return prune_runs(current_services(), utcnow() - KEEP_RUNS)


def prune_runs(services: Services, before: datetime) -> int:
    """Delete finished runs due before `before`; the newest run of each job is kept for catch-up."""
    with services.sessions() as session:
        newest = select(func.max(ScheduleRun.id)).group_by(ScheduleRun.name)
        # Session.execute is typed as returning Result; a DELETE gets a CursorResult (sqlalchemy#9185).
        result = cast(CursorResult, session.execute(delete(ScheduleRun).where(
            ScheduleRun.due_at < before, ScheduleRun.status.in_(["done", "failed"]), ScheduleRun.id.not_in(newest))))
        session.commit()
        return result.rowcount


def _settle(session: Session, run_id: int, status: str, only_from: str | None = None, **values: object) -> None:
    """Set the run's status and values (only while its status is `only_from`, when given) and commit."""
    session.rollback()
    query = update(ScheduleRun).where(ScheduleRun.id == run_id)
    if only_from is not None:
        query = query.where(ScheduleRun.status == only_from)
    session.execute(query.values(status=status, **values))
    session.commit()
