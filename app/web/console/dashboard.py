"""Dashboard figures: the journey funnel, conversion over a period, hot leads and response times, nurture sends
against the limits, staff confirmation and opt-outs; every figure limited to what the principal may see."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services import Services
from app.store.models import Activity, Contact, Delivery, LeadAlert, MomentPlan, StageChange
from app.store.models.base import as_utc
from app.web.console.scope import Principal, visible_contacts
from jobs.nurture.confirmation import confirmation_report
from jobs.planner import SHANGHAI

PERIOD_DAYS = (1, 7, 30, 90)


class PeriodError(ValueError):
    """A period the dashboard does not offer."""


def parse_period(raw: str | None) -> int:
    """The period in days from `?days=`; PeriodError unless it is one of PERIOD_DAYS."""
    value = (raw or "7").strip()
    if not value.isdigit() or int(value) not in PERIOD_DAYS:
        raise PeriodError(f"days must be one of {', '.join(map(str, PERIOD_DAYS))}")
    return int(value)


def dashboard(session: Session, services: Services, principal: Principal, days: int, channel: str | None,
              now: datetime) -> dict:
    """Everything the dashboard shows, as plain data (also the /api/dashboard answer)."""
    journey, channels = services.content.journey, services.content.channels()
    since = now - timedelta(days=days)
    today = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    scoped = visible_contacts(select(Contact.id), principal)
    if channel:
        scoped = scoped.where(Contact.channel_state == channel)
    ids = scoped
    stages = [stage.key for stage in journey.stages]
    names = {stage.key: stage.name for stage in journey.stages}
    per_stage = dict(session.execute(select(Contact.stage, func.count()).where(Contact.id.in_(ids))
                                     .group_by(Contact.stage)).all())
    by_channel: dict[str, Counter] = defaultdict(Counter)
    for state, stage, count in session.execute(select(Contact.channel_state, Contact.stage, func.count())
                                               .where(Contact.id.in_(ids))
                                               .group_by(Contact.channel_state, Contact.stage)):
        by_channel[state or ""][stage] += count
    return {
        "period_days": days, "channel": channel or None, "generated_at": now.isoformat(),
        "funnel": [{"stage": key, "name": names[key], "contacts": per_stage.get(key, 0)} for key in stages],
        "conversion": _conversion(session, ids, stages, names, since),
        "by_channel": [{"channel": state or None, "name": channels.for_state(state or None).name,
                        "total": sum(counts.values()), "stages": {key: counts.get(key, 0) for key in stages}}
                       for state, counts in sorted(by_channel.items(), key=lambda item: -sum(item[1].values()))],
        "hot_leads": _hot_leads(session, ids, today, now),
        "nurture_today": _nurture_today(session, services.settings, principal, ids, today),
        "confirmation": _confirmation(session, principal, since, now),
        "opt_outs": {"total": session.scalar(select(func.count()).select_from(Contact).where(
            Contact.id.in_(ids), Contact.nurture_stopped == "opted_out")),
            "in_period": session.scalar(select(func.count(func.distinct(Activity.contact_id))).where(
                Activity.contact_id.in_(ids), Activity.kind == "opted_out", Activity.at >= since))},
    }


def _conversion(session: Session, ids, stages: list[str], names: dict, since: datetime) -> list[dict]:
    """Of the contacts who reached a stage in the period, the share that went on to the next one (or further)."""
    rank = {key: i for i, key in enumerate(stages)}
    furthest: dict[int, int] = {}
    for cid, to_value in session.execute(select(StageChange.contact_id, StageChange.to_value).where(
            StageChange.axis == "stage", StageChange.created_at >= since, StageChange.contact_id.in_(ids))):
        if to_value in rank:
            furthest[cid] = max(furthest.get(cid, -1), rank[to_value])
    reached = [sum(1 for r in furthest.values() if r >= i) for i in range(len(stages))]
    return [{"from": stages[i], "to": stages[i + 1], "from_name": names[stages[i]], "to_name": names[stages[i + 1]],
             "reached": reached[i], "moved_on": reached[i + 1],
             "rate": round(reached[i + 1] / reached[i], 3) if reached[i] else None} for i in range(len(stages) - 1)]


def _hot_leads(session: Session, ids, today: datetime, now: datetime) -> dict:
    """Alerts raised today, how many are still open and how fast sales answered (minutes)."""
    alerts = session.execute(select(LeadAlert).where(LeadAlert.contact_id.in_(ids),
                                                     LeadAlert.created_at >= today.astimezone(timezone.utc))
                             ).scalars().all()
    minutes = [(as_utc(a.acked_at) - as_utc(a.created_at)).total_seconds() / 60 for a in alerts if a.acked_at]
    waiting = [(now - as_utc(a.created_at)).total_seconds() / 60 for a in alerts if not a.acked_at]
    return {"today": len(alerts), "open": len(waiting), "contacted": len(minutes),
            "median_response_minutes": round(median(minutes), 1) if minutes else None,
            "max_response_minutes": round(max(minutes), 1) if minutes else None,
            "longest_waiting_minutes": round(max(waiting), 1) if waiting else None}


def _nurture_today(session: Session, settings, principal: Principal, ids, today: datetime) -> dict:
    """1:1 sends planned for today by status and contacts at their daily cap; Moments posts per staff vs the limit."""
    day = today.date()
    statuses = dict(session.execute(select(Delivery.status, func.count()).where(
        Delivery.local_date == day, Delivery.touchpoint == "private", Delivery.contact_id.in_(ids))
        .group_by(Delivery.status)).all())
    per_contact = session.execute(select(Delivery.contact_id, func.count()).where(
        Delivery.local_date == day, Delivery.touchpoint != "welcome", Delivery.contact_id.in_(ids))
        .group_by(Delivery.contact_id)).all()
    posts: Counter = Counter()
    for (senders,) in session.execute(select(MomentPlan.senders).where(MomentPlan.local_date == day)):
        posts.update(s for s in senders or () if principal.sees_all or s in (principal.owners or ()))
    return {"private_sends": sum(statuses.values()), "by_status": statuses,
            "contacts_reached": len(per_contact),
            "contacts_at_cap": sum(1 for _, n in per_contact if n >= settings.private_per_day),
            "private_per_day": settings.private_per_day,
            "moments_per_staff": [{"userid": u, "posts": n, "limit": settings.moments_per_staff_per_day}
                                  for u, n in sorted(posts.items())],
            "moments_per_staff_per_day": settings.moments_per_staff_per_day}


def _confirmation(session: Session, principal: Principal, since: datetime, now: datetime) -> dict:
    """Staff confirmation of mass-send and Moments tasks over the period (the principal's team only)."""
    rows = [r for r in confirmation_report(session, since, now)
            if principal.sees_all or r.userid in (principal.owners or ())]
    tasks, confirmed = sum(r.tasks for r in rows), sum(r.confirmed for r in rows)
    return {"tasks": tasks, "confirmed": confirmed, "rate": round(confirmed / tasks, 3) if tasks else None,
            "staff": [{"userid": r.userid, "name": r.name, "tasks": r.tasks, "confirmed": r.confirmed, "rate": r.rate,
                       "median_minutes_to_confirm": r.median_minutes_to_confirm} for r in rows]}
