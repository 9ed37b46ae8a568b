"""Poll WeCom for what became of our mass-send and Moments tasks and record it on deliveries and actions."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, Callable, cast

from sqlalchemy import CursorResult, exists, select, update
from sqlalchemy.orm import Session

from app.services import Services, current_services
from app.store.models import Delivery, OutboxAction, utcnow
from app.store.models.base import as_utc
from app.wecom.errors import WeComError

log = logging.getLogger(__name__)

WINDOW = timedelta(days=3)
SETTLED = timedelta(hours=1)  # after confirmation, late per-contact results are read for this long
BATCH = 200
IN_CHUNK = 500
OUTCOMES = {1: "sent", 2: "not_friend", 3: "over_limit"}


@dataclass
class PollReport:
    """What one polling run saw and changed."""

    mass_tasks: int = 0
    confirmed: int = 0
    deliveries_updated: int = 0
    moments: int = 0
    published: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Task:
    """A done mass_send or moment action, read into plain values."""

    action_id: int
    kind: str
    payload: dict
    result: dict
    created_at: datetime


def poll_results_job() -> PollReport:
    """rq/scheduler entry point: poll task results as of now."""
    return poll_results(current_services())


def poll_results(services: Services, now: datetime | None = None, limit: int = BATCH) -> PollReport:
    """Read results of recent tasks still waiting on WeCom; safe to run twice (the second run changes nothing)."""
    now = now or utcnow()
    report = PollReport()
    with services.sessions() as session:
        mass = [t for t in recent_tasks(session, "mass_send", now, open_only=True) if _mass_open(t, now)][:limit]
        moments = [t for t in recent_tasks(session, "moment", now) if _moment_open(t)][:limit]
    for task in mass:
        _guard(report, task, partial(_poll_mass, services, task, now, report))
    for task in moments:
        _guard(report, task, partial(_poll_moment, services, task, now, report))
    log.info("results: %d mass tasks (%d newly confirmed, %d deliveries), %d moments (%d new posts), %d errors",
             report.mass_tasks, report.confirmed, report.deliveries_updated, report.moments, report.published,
             report.errors)
    return report


def recent_tasks(session: Session, kind: str, now: datetime, open_only: bool = False,
                 window: timedelta = WINDOW) -> list[Task]:
    """Done actions of `kind` finished in the window; `open_only`: with deliveries still unconfirmed."""
    query = select(OutboxAction).where(OutboxAction.kind == kind, OutboxAction.status == "done",
                                       OutboxAction.done_at >= (now - window).astimezone(timezone.utc))
    if open_only:
        query = query.where(exists().where(Delivery.action_id == OutboxAction.id, Delivery.status == "unconfirmed"))
    rows = session.execute(query.order_by(OutboxAction.id)).scalars()
    return [Task(a.id, a.kind, dict(a.payload or {}), dict(a.result or {}), task_created_at(a)) for a in rows]


def task_created_at(action: OutboxAction) -> datetime:
    """When WeCom got the task: the executor's created_at, else when the action finished."""
    raw = (action.result or {}).get("created_at")
    return parse_time(raw) if raw else as_utc(action.done_at or action.created_at)


def parse_time(raw: str) -> datetime:
    """Parse an ISO time written by this project (naive means UTC)."""
    return as_utc(datetime.fromisoformat(raw))


def merge_result(session: Session, action_id: int, change: Callable[[dict], dict]) -> bool:
    """Apply `change` to the action's result under a row lock; write and return True only if it changed."""
    query = select(OutboxAction).where(OutboxAction.id == action_id).with_for_update()
    action = session.execute(query.execution_options(populate_existing=True)).scalar_one()
    old = dict(action.result or {})
    new = change(dict(old))
    if new == old:
        return False
    action.result = new
    return True


def moment_pending(result: dict, senders: list[str]) -> list[str]:
    """Senders of a Moments task who are valid and have not published yet."""
    invalid = set(result.get("invalid_senders") or ())
    published = result.get("published") or {}
    return [s for s in senders if s not in invalid and s not in published]


def _guard(report: PollReport, task: Task, poll: Callable[[], None]) -> None:
    try:
        poll()
    except WeComError as err:
        report.errors += 1
        log.warning("results: polling %s action %s failed: %s %s", task.kind, task.action_id, type(err).__name__,
                    getattr(err, "errcode", None))


def _mass_open(task: Task, now: datetime) -> bool:
    confirmed = task.result.get("confirmed_at")
    return bool(task.result.get("msgid")) and (not confirmed or now - parse_time(confirmed) < SETTLED)


def _moment_open(task: Task) -> bool:
    if not (task.result.get("jobid") or task.result.get("moment_id")):
        return False
    return "published" not in task.result or bool(moment_pending(task.result, task.payload.get("senders") or []))


def _poll_mass(services: Services, task: Task, now: datetime, report: PollReport) -> None:
    msgid = task.result["msgid"]
    report.mass_tasks += 1
    sent = [s for s in services.gateway.sends.get_groupmsg_task(msgid) if s.status == 2]
    outcomes: dict[str, list[str]] = {}
    for sender in sent:
        for row in services.gateway.sends.get_groupmsg_send_result(msgid, sender.userid):
            if row.status in OUTCOMES:
                outcomes.setdefault(OUTCOMES[row.status], []).append(row.external_userid)
    if not sent:
        return
    send_time = min((s.send_time for s in sent if s.send_time), default=0)
    confirmed_at = datetime.fromtimestamp(send_time, timezone.utc) if send_time else now
    with services.sessions() as session:
        for status, members in outcomes.items():
            for start in range(0, len(members), IN_CHUNK):
                chunk = members[start:start + IN_CHUNK]
                # Session.execute is typed as returning Result; an UPDATE gets a CursorResult (sqlalchemy#9185).
                updated = cast(CursorResult, session.execute(
                    update(Delivery).where(Delivery.action_id == task.action_id, Delivery.status == "unconfirmed",
                                           Delivery.external_userid.in_(chunk))
                    .values(status=status, updated_at=now)))
                report.deliveries_updated += updated.rowcount
        if merge_result(session, task.action_id, lambda r: r if r.get("confirmed_at")
                        else {**r, "confirmed_at": confirmed_at.isoformat()}):
            report.confirmed += 1
        session.commit()


def _poll_moment(services: Services, task: Task, now: datetime, report: PollReport) -> None:
    report.moments += 1
    found: dict[str, Any] = {}
    moment_id = task.result.get("moment_id")
    if not moment_id:
        job = services.gateway.moments.get_moment_task_result(task.result["jobid"])
        if job.status != 3 or not job.moment_id:
            return
        moment_id = job.moment_id
        found = {"moment_id": moment_id, "invalid_senders": list(job.invalid_senders),
                 "invalid_tags": list(job.invalid_tags)}
    status = services.gateway.moments.publish_status(moment_id)
    stamp = now.isoformat()

    def change(result: dict) -> dict:
        published = dict(result.get("published") or {})
        for userid, publish_status in sorted(status.items()):
            if publish_status == 1 and userid not in published:
                published[userid] = stamp
        report.published += len(published) - len(result.get("published") or {})
        return {**result, **found, "published": published}

    with services.sessions() as session:
        merge_result(session, task.action_id, change)
        session.commit()
