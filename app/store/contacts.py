"""Contacts, relations, stage changes and the timeline: the state the bots keep (no WeCom calls here)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import Activity, Contact, Follow, StageChange, utcnow
from app.store.models.contacts import LOST, PENDING
from app.store.upsert import insert_ignore


def get_or_create_contact(session: Session, external_userid: str, initial_stage: str, reason: str | None = None,
                          event_id: int | None = None, expect_new: bool = False) -> tuple[Contact, bool]:
    """Return the contact (locked for update on PostgreSQL), creating it at the initial stage if new; with a
    `reason`, a new contact's initial stage change is recorded too. `expect_new` (an add event) tries the insert
    first: one statement for the usual case either way."""
    locked = select(Contact).where(Contact.external_userid == external_userid).with_for_update()
    if not expect_new:
        contact = session.execute(locked).scalar_one_or_none()
        if contact is not None:
            return contact, False
    now = utcnow()
    created = insert_ignore(session, Contact, {
        "external_userid": external_userid, "stage": initial_stage, "lead_status": "new", "score": 0.0,
        "stage_entered_at": now, "created_at": now,
    }, ["external_userid"], Contact)
    if created is None:
        return session.execute(locked).scalar_one(), False
    if reason is not None:
        initial_stage_change(session, created, reason, event_id)
    return created, True


def get_or_create_follow(session: Session, contact: Contact, userid: str, expect_new: bool = False) -> Follow:
    """Return the staff–contact relation (locked for update), creating an empty one if new; `expect_new` tries
    the insert first."""
    locked = select(Follow).where(Follow.contact_id == contact.id, Follow.userid == userid).with_for_update()
    if not expect_new:
        follow = session.execute(locked).scalar_one_or_none()
        if follow is not None:
            return follow
    created = insert_ignore(session, Follow, {
        "contact_id": contact.id, "userid": userid, "status": PENDING, "changed_at": -1,
    }, ["contact_id", "userid"], Follow)
    return created if created is not None else session.execute(locked).scalar_one()


def active_follows(session: Session, contact_id: int) -> list[Follow]:
    """Relations that are still in place, oldest first."""
    return list(session.execute(
        select(Follow).where(Follow.contact_id == contact_id, Follow.status != LOST).order_by(Follow.id)
    ).scalars())


def change_axis(session: Session, contact: Contact, axis: str, to_value: str, reason: str, *,
                rule_id: str | None = None, event_id: int | None = None, actor: str = "system",
                at: datetime | None = None) -> StageChange | None:
    """Move the contact's stage or lead status and record why; None when nothing changed."""
    current = contact.stage if axis == "stage" else contact.lead_status
    if current == to_value:
        return None
    at = at or utcnow()
    if axis == "stage":
        contact.stage = to_value
        contact.stage_entered_at = at
    else:
        contact.lead_status = to_value
    change = StageChange(contact_id=contact.id, axis=axis, from_value=current, to_value=to_value, rule_id=rule_id,
                         reason=reason[:500], event_id=event_id, actor=actor, created_at=at)
    session.add(change)
    session.flush()
    return change


def initial_stage_change(session: Session, contact: Contact, reason: str, event_id: int | None) -> StageChange:
    """Record the stage a new contact starts in."""
    change = StageChange(contact_id=contact.id, axis="stage", from_value=None, to_value=contact.stage,
                         rule_id="initial", reason=reason[:500], event_id=event_id, actor="system", created_at=utcnow())
    session.add(change)
    session.flush()
    return change


def add_activity(session: Session, contact_id: int, kind: str, summary: str, *, event_id: int | None = None,
                 detail: dict | None = None, at: datetime | None = None) -> None:
    """Append a line to the contact's timeline."""
    session.add(Activity(contact_id=contact_id, kind=kind, summary=summary[:500], detail=detail or {},
                         event_id=event_id, at=at or utcnow()))
