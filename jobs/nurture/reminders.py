"""Remind staff of tasks they have not confirmed, and tell their manager when a task stays unconfirmed too long."""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services import Services, current_services
from app.settings import Settings
from app.store import outbox
from app.store.models import Delivery, Staff, utcnow
from app.wecom.errors import WeComError
from bots.effects import Action, app_message
from jobs.nurture.results import Task, merge_result, moment_pending, parse_time, recent_tasks
from jobs.pipeline.actions import enqueue_actions
from jobs.planner.limits import in_span
from jobs.planner.model import SHANGHAI

log = logging.getLogger(__name__)

WECOM_REMINDS_PER_DAY = 3  # remind_groupmsg_send: at most 3 reminders per task per 24 hours
DAY = timedelta(days=1)
LABEL_CHARS = 16


def remind_job() -> int:
    """rq/scheduler entry point: remind senders of unconfirmed mass-send tasks."""
    return remind_unconfirmed(current_services())


def escalate_job() -> int:
    """rq/scheduler entry point: tell managers about tasks left unconfirmed too long."""
    return escalate_unconfirmed(current_services())


def is_quiet(now: datetime, settings: Settings) -> bool:
    """Tell whether `now` falls in quiet hours (Asia/Shanghai wall clock)."""
    return in_span(now.astimezone(SHANGHAI).time(), time.fromisoformat(settings.quiet_start),
                   time.fromisoformat(settings.quiet_end))


def unconfirmed_mass_tasks(session: Session, now: datetime) -> list[Task]:
    """Recent mass-send tasks whose sender has not confirmed and whose deliveries still wait."""
    return [t for t in recent_tasks(session, "mass_send", now, open_only=True)
            if t.result.get("msgid") and not t.result.get("confirmed_at")]


def remind_unconfirmed(services: Services, now: datetime | None = None) -> int:
    """Call remind_groupmsg_send for tasks unconfirmed past remind_after, within the daily and spacing limits."""
    now = now or utcnow()
    settings = services.settings
    if is_quiet(now, settings):
        return 0
    per_day = min(settings.remind_max_per_day, WECOM_REMINDS_PER_DAY)
    after, every = timedelta(minutes=settings.remind_after_minutes), timedelta(minutes=settings.remind_every_minutes)
    with services.sessions() as session:
        due = [t for t in unconfirmed_mass_tasks(session, now) if now - t.created_at >= after]
    reminded = 0
    for task in due:
        if not _reserve(services, task.action_id, now, per_day, every):
            continue
        try:
            services.gateway.sends.remind_groupmsg_send(task.result["msgid"])
        except WeComError as err:  # the reservation stays: an ambiguous reminder may have counted at WeCom
            log.warning("reminder for action %s failed: %s %s", task.action_id, type(err).__name__,
                        getattr(err, "errcode", None))
            continue
        reminded += 1
        log.info("reminded sender %s of action %s", task.payload.get("sender"), task.action_id)
    return reminded


def _reserve(services: Services, action_id: int, now: datetime, per_day: int, every: timedelta) -> bool:
    """Record a reminder at `now` under the row lock if the limits allow one; commit before calling WeCom."""
    allowed = []

    def change(result: dict) -> dict:
        times = [parse_time(t) for t in result.get("reminders") or []]
        recent = [t for t in times if now - t < DAY]
        if len(recent) >= per_day or any(now - t < every for t in times):
            return result
        allowed.append(True)
        return {**result, "reminders": [*(result.get("reminders") or []), now.isoformat()]}

    with services.sessions() as session:
        merge_result(session, action_id, change)
        session.commit()
    return bool(allowed)


def escalate_unconfirmed(services: Services, now: datetime | None = None) -> int:
    """Store and enqueue one app message per task (per Moments sender) left unconfirmed past escalate_after."""
    now = now or utcnow()
    settings = services.settings
    if is_quiet(now, settings):
        return 0
    after = timedelta(minutes=settings.escalate_after_minutes)
    with services.sessions() as session:
        mass = [t for t in unconfirmed_mass_tasks(session, now)
                if now - t.created_at >= after and not t.result.get("escalated_at")]
        moments = [t for t in recent_tasks(session, "moment", now)
                   if now - t.created_at >= after and "published" in t.result]
        waiting = _waiting_counts(session, [t.action_id for t in mass])
        people = {s.userid: s for s in session.execute(select(Staff)).scalars()}
        actions: list[Action] = []
        for task in mass:
            actions.append(_mass_message(task, people, waiting.get(task.action_id, 0), now))
            merge_result(session, task.action_id, lambda r: r if r.get("escalated_at")
                         else {**r, "escalated_at": now.isoformat()})
        for task in moments:
            late = [u for u in moment_pending(task.result, task.payload.get("senders") or [])
                    if u not in (task.result.get("escalated") or {})]
            if late:
                actions += [_moment_message(task, userid, people, now) for userid in late]
                merge_result(session, task.action_id, partial(_escalated, late=late, at=now.isoformat()))
        created = outbox.store_actions(session, actions)
        session.commit()
    enqueue_actions(services, created)
    if created:
        log.info("escalated %d unconfirmed tasks", len(created))
    return len(created)


def _escalated(result: dict, late: list[str], at: str) -> dict:
    """Return a task result that records the late senders as escalated at `at`."""
    return {**result, "escalated": {**(result.get("escalated") or {}), **{u: at for u in late}}}


def _waiting_counts(session: Session, action_ids: list[int]) -> dict[int, int]:
    if not action_ids:
        return {}
    rows = session.execute(select(Delivery.action_id, func.count()).where(
        Delivery.action_id.in_(action_ids), Delivery.status == "unconfirmed").group_by(Delivery.action_id))
    return {action_id: count for action_id, count in rows}


def _recipient(userid: str, people: dict[str, Staff]) -> tuple[str, str]:
    """Whom to tell (the manager, else the staff member) and how to name the staff member."""
    person = people.get(userid)
    name = (person.name if person else None) or userid
    manager = person.manager_userid if person else None
    return (manager, name) if manager and manager != userid else (userid, "")


def _hours(task: Task, now: datetime) -> int:
    return int((now - task.created_at).total_seconds() // 3600)


def _mass_message(task: Task, people: dict[str, Staff], count: int, now: datetime) -> Action:
    sender = task.payload.get("sender") or ""
    touser, name = _recipient(sender, people)
    what = f"1 个群发任务已 {_hours(task, now)} 小时未确认（{label(task.payload)}），涉及 {count} 位客户"
    text = f"{name}有 {what}，请提醒其在企业微信中确认发送。" if name else f"您有 {what}，请在企业微信中确认发送。"
    return app_message(touser, text, f"escalate:{task.action_id}")


def _moment_message(task: Task, userid: str, people: dict[str, Staff], now: datetime) -> Action:
    touser, name = _recipient(userid, people)
    what = f"1 条朋友圈任务已 {_hours(task, now)} 小时未发表（{label(task.payload)}）"
    text = f"{name}有 {what}，请提醒其在企业微信中确认发表。" if name else f"您有 {what}，请在企业微信中确认发表。"
    return app_message(touser, text, f"escalate:{task.action_id}:{userid}")


def label(payload: dict) -> str:
    """Name a task for staff: its link's title, else the start of its text."""
    for attachment in payload.get("attachments") or []:
        title = (attachment.get(attachment.get("msgtype") or "") or {}).get("title")
        if title:
            return str(title)
    text = str(payload.get("text") or "").strip()
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS] + "…"
