"""The nurture tick: enroll, plan (pure), store the plan as outbox actions with their deliveries, enqueue."""
from __future__ import annotations

import gc
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Callable

from redis.exceptions import LockError
from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from app.services import Services, current_services
from app.store import outbox
from app.store.content_versions import active_version, calendar_of
from app.store.links import link_tracker
from app.store.models import Delivery, Enrollment, MomentPlan, utcnow
from bots.effects import Action
from content.calendar import Calendar
from jobs.nurture.state import enroll, limits_from, load_ledger, load_views
from jobs.pipeline.actions import enqueue_actions
from jobs.planner import Plan, PlannedSend, plan
from jobs.planner.ledger import local_day

log = logging.getLogger(__name__)
EXIT_PREFIXES = ("opted_out", "hot_lead", "lost", "exited:", "stage_reached:")
_tick_lock = threading.Lock()
TICK_LOCK_SECONDS = 1800  # a tick longer than this is presumed dead and the next one may start


@dataclass
class TickReport:
    """What one nurture tick did."""

    version_id: int | None = None
    enrolled: int = 0
    tasks: int = 0
    recipients: int = 0
    deferred: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)


def nurture_job() -> None:
    """rq entry point (scheduled): run one nurture tick now, unless the previous one is still running.

    Two ticks planning at once would both count the same per-contact caps; a skipped tick loses nothing, since
    every tick plans whatever is due.
    """
    services = current_services()
    guard = services.redis.lock("scrm:nurture-tick", timeout=TICK_LOCK_SECONDS) if services.redis else _tick_lock
    if not guard.acquire(blocking=False):
        log.info("nurture tick skipped: the previous tick is still running")
        return
    try:
        report = plan_nurture(services)
    finally:
        try:
            guard.release()
        except LockError:
            log.warning("nurture tick outlived its %d s lock; the next tick may have started", TICK_LOCK_SECONDS)
    log.info("nurture tick: %d tasks for %d recipients, deferred %s, dropped %s", report.tasks, report.recipients,
             dict(report.deferred), dict(report.dropped))


def calendar_for(services: Services, version) -> Calendar:
    """The calendar of a content version (parsed once per process, in the content cache)."""
    content = services.content
    return content.version_calendar(
        (version.id, version.content_hash, version.loaded_at.isoformat()),
        lambda: anchored(calendar_of(version, journey=content.journey, channels=content.channels()),
                         local_day(version.loaded_at)))


def anchored(calendar: Calendar, loaded_on: date) -> Calendar:
    """Give sequences without `starts_on` the day their version was loaded (day 0 of their Moments feed)."""
    sequences = tuple(seq if seq.starts_on else replace(seq, starts_on=loaded_on) for seq in calendar.sequences)
    return replace(calendar, sequences=sequences)


def plan_nurture(services: Services, now: datetime | None = None) -> TickReport:
    """Plan what is due now and store it; safe to run twice (the outbox keys make a repeat a no-op)."""
    now = now or utcnow()
    report = TickReport()
    journey, channels = services.content.journey, services.content.channels()
    with services.sessions() as session:
        version = active_version(session)
        if version is None:
            return report
        report.version_id = version.id
        calendar = calendar_for(services, version)
        enroll(session, calendar, version.id, now)
        session.flush()
        gc.disable()
        try:
            views = load_views(session, journey, channels)
            limits = limits_from(services.settings, journey)
            ledger = load_ledger(session, views, limits, now)
            result = plan(calendar, views, ledger, limits, now, stage_names={s.key: s.name for s in journey.stages})
        finally:
            gc.enable()
        created = store_plan(session, result, now, track=link_tracker(services, session))
        session.commit()
    enqueue_actions(services, created)
    report.enrolled = len(views)
    report.tasks, report.recipients = len(created), sum(len(s.recipients) for s in result.sends)
    report.deferred.update(d.code for d in result.deferred)
    report.dropped.update(d.code for d in result.dropped)
    return report


def store_plan(session: Session, result: Plan, now: datetime,
               track: Callable[[Action], Action] | None = None) -> list[tuple[int, str]]:
    """Store each planned task with its deliveries (or Moments visibility) in one transaction; mark exits."""
    created: list[tuple[int, str]] = []
    for send in result.sends:
        action = _action(send)
        new = outbox.store_actions(session, [track(action) if track else action])
        if not new:
            continue
        created += new
        action_id, day = new[0][0], local_day(send.due_at)
        if send.touchpoint == "private":
            session.execute(insert(Delivery), [
                {"action_id": action_id, "contact_id": cid, "external_userid": ext, "sequence_key": send.sequence_key,
                 "step_id": send.step_id, "touchpoint": "private", "sender": send.executor, "local_date": day,
                 "status": "planned", "updated_at": now}
                for cid, ext in zip(send.contact_ids, send.recipients, strict=True)])
        else:
            assert send.visibility is not None  # the planner gives every Moments send its visibility
            session.execute(insert(MomentPlan).values(
                action_id=action_id, slot=f"{send.sequence_key}:{send.step_id}:{day.isoformat()}", local_date=day,
                senders=list(send.visibility.senders), tags=list(send.visibility.tags)))
    for drop in result.dropped:
        if drop.contact_id is not None and drop.code.startswith(EXIT_PREFIXES):
            session.execute(update(Enrollment).where(
                Enrollment.contact_id == drop.contact_id, Enrollment.sequence_key == drop.sequence_key,
                Enrollment.exited_reason.is_(None)).values(exited_reason=drop.code[:64], exited_at=now))
    return created


def _action(send: PlannedSend) -> Action:
    attachments = [a.to_wecom() for a in send.attachments]
    common = {"text": send.text, "attachments": attachments, "sequence_key": send.sequence_key, "step_id": send.step_id,
              "due_at": send.due_at.isoformat()}
    if send.touchpoint == "private":
        return Action("mass_send", send.key, {**common, "sender": send.executor, "recipients": list(send.recipients)})
    assert send.visibility is not None  # the planner gives every Moments send its visibility
    return Action("moment", send.key,
                  {**common, "senders": list(send.visibility.senders), "tags": list(send.visibility.tags)})
