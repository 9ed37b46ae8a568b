"""Read what the planner needs from the database: enrollments as plain views, and the frequency ledger."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import and_, exists, insert, select
from sqlalchemy.orm import Session

from app.store.models import Contact, Delivery, Enrollment, MomentPlan, StageChange
from app.store.models.base import as_utc
from content.calendar import Calendar
from jobs.planner import Enrollment as View
from jobs.planner import Ledger, Limits
from jobs.planner.ledger import local_day
from jobs.planner.limits import lookback_days

COUNTED = ("planned", "unconfirmed", "sent")
VIEW_COLUMNS = (Contact.id, Contact.external_userid, Contact.owner_userid, Contact.stage, Contact.stage_entered_at,
                Contact.lead_status, Contact.channel_state, Contact.score, Contact.name, Contact.corp_name,
                Contact.nurture_stopped)
IN_NURTURE = ("new", "mql")


def limits_from(settings, journey) -> Limits:
    """The planner's limits from settings, with the journey's stage order."""
    return Limits(
        private_per_day=settings.private_per_day, moments_per_day=settings.moments_per_day,
        mass_send_cap=settings.mass_send_cap, moments_visible_per_day=settings.moments_visible_per_day,
        moments_per_staff_per_day=settings.moments_per_staff_per_day,
        quiet_start=time.fromisoformat(settings.quiet_start), quiet_end=time.fromisoformat(settings.quiet_end),
        stage_order=tuple(stage.key for stage in journey.stages),
    )


def enroll(session: Session, calendar: Calendar, version_id: int, now: datetime) -> None:
    """Enroll every contact in nurture who matches a sequence's enrollment audience and is not enrolled yet."""
    for seq in calendar.sequences:
        audience = seq.enroll
        query = select(Contact.id).where(
            Contact.nurture_stopped.is_(None),
            Contact.lead_status.in_(audience.lead_statuses or IN_NURTURE),
            ~exists().where(and_(Enrollment.contact_id == Contact.id, Enrollment.sequence_key == seq.key)),
        )
        if audience.stages:
            query = query.where(Contact.stage.in_(audience.stages))
        if audience.channels:
            query = query.where(Contact.channel_state.in_(audience.channels))
        rows = [{"contact_id": cid, "sequence_key": seq.key, "version_id": version_id, "enrolled_at": now}
                for (cid,) in session.execute(query)]
        if rows:
            session.execute(insert(Enrollment), rows)


def load_views(session: Session, journey, channels) -> list[View]:
    """Every live enrollment as the planner's plain view (stage tag and channel tags as the contact's tags)."""
    done: dict[tuple[int, str], set[str]] = defaultdict(set)
    delivered = select(Delivery.contact_id, Delivery.sequence_key, Delivery.step_id).distinct()
    for cid, seq, step in session.execute(delivered):
        done[cid, seq].add(step)
    milestones: dict[int, dict[str, datetime]] = defaultdict(dict)
    for cid, stage, at in session.execute(select(StageChange.contact_id, StageChange.to_value, StageChange.created_at)
                                          .where(StageChange.axis == "stage").order_by(StageChange.id)):
        milestones[cid].setdefault(stage, as_utc(at))
    stage_names = {stage.key: stage.name for stage in journey.stages}
    views = []
    rows = session.execute(select(Enrollment.sequence_key, Enrollment.enrolled_at, *VIEW_COLUMNS)
                           .join(Contact, Contact.id == Enrollment.contact_id)
                           .where(Enrollment.exited_reason.is_(None)))
    for contact in rows:  # plain rows, not ORM entities: a tick reads every enrolled contact
        channel = channels.for_state(contact.channel_state)
        views.append(View(
            contact_id=contact.id, external_userid=contact.external_userid, owner_userid=contact.owner_userid or "",
            sequence_key=contact.sequence_key, enrolled_at=as_utc(contact.enrolled_at), stage=contact.stage,
            stage_entered_at=as_utc(contact.stage_entered_at), lead_status=contact.lead_status,
            tags=frozenset({stage_names.get(contact.stage, contact.stage), *channel.initial_tags}),
            channel=contact.channel_state or "", score=contact.score, name=contact.name or "",
            company=contact.corp_name or "", done_steps=frozenset(done.get((contact.id, contact.sequence_key), ())),
            opted_out=contact.nurture_stopped == "opted_out",
            hot=contact.nurture_stopped == "hot_lead" or contact.lead_status == "sql",
            milestones=milestones.get(contact.id),
        ))
    return views


def load_ledger(session: Session, views: list[View], limits: Limits, now: datetime) -> Ledger:
    """What every contact and staff member already got in the cap periods that matter now."""
    first = local_day(now) - timedelta(days=lookback_days(limits))
    ledger = Ledger()
    for touchpoint, cid, day in session.execute(
        select(Delivery.touchpoint, Delivery.contact_id, Delivery.local_date)
        .where(Delivery.local_date >= first, Delivery.status.in_(COUNTED))
    ):
        ledger.record("welcome" if touchpoint == "welcome" else "private", cid, day)
    by_owner: dict[str, list[View]] = defaultdict(list)
    for view in views:
        by_owner[view.owner_userid].append(view)
    for plan in session.execute(select(MomentPlan).where(MomentPlan.local_date >= first)).scalars():
        ledger.mark_moment(plan.slot, plan.senders)
        tags = set(plan.tags)
        for sender in plan.senders:
            ledger.record("staff_moment", sender, plan.local_date)
            for view in by_owner.get(sender, ()):
                if not tags or tags & view.tags:
                    ledger.record("moment", view.contact_id, plan.local_date)
    return ledger
