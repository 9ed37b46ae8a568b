"""Staff stop or restart a contact's automatic nurture by hand; recorded on the timeline with who did it."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.store.contacts import add_activity, change_axis
from app.store.models import Contact, Enrollment, utcnow

BY_STAFF = "by_staff"
RESTARTABLE = (None, BY_STAFF, "hot_lead")
REOPENED_EXITS = (BY_STAFF, "hot_lead")


class NurtureRefused(ValueError):
    """The contact cannot be put back into nurture (opted out or lost), with the reason in Chinese."""


def stop_nurture(session: Session, contact: Contact, actor: str) -> bool:
    """Stop nurture now: the planner skips the contact's enrollments. False when it was already stopped."""
    now = utcnow()
    session.execute(update(Enrollment).where(Enrollment.contact_id == contact.id, Enrollment.exited_reason.is_(None))
                    .values(exited_reason=BY_STAFF, exited_at=now))
    if contact.nurture_stopped is not None:
        return False
    contact.nurture_stopped = BY_STAFF
    add_activity(session, contact.id, "nurture_stopped", f"{actor} 手动停止自动培育", at=now, detail={"by": actor})
    return True


def restart_nurture(session: Session, contact: Contact, actor: str) -> bool:
    """Put the contact back into nurture where they left off; NurtureRefused for opted-out or lost contacts.

    A hot lead (SQL) handed back to nurture returns to MQL, or the planner's hot-lead exit would skip them.
    """
    if contact.nurture_stopped not in RESTARTABLE:
        reason = {"opted_out": "客户已要求不再接收消息", "lost": "客户已流失（已删除好友）"}
        raise NurtureRefused(reason.get(contact.nurture_stopped, f"培育已停止：{contact.nurture_stopped}"))
    if contact.nurture_stopped is None and contact.lead_status != "sql":
        return False
    now = utcnow()
    contact.nurture_stopped = None
    session.execute(update(Enrollment).where(Enrollment.contact_id == contact.id,
                                             Enrollment.exited_reason.in_(REOPENED_EXITS))
                    .values(exited_reason=None, exited_at=None))
    if contact.lead_status == "sql":
        change_axis(session, contact, "lead_status", "mql", f"{actor} 将线索交回自动培育", rule_id="restart_nurture",
                    actor=actor, at=now)
    add_activity(session, contact.id, "nurture_restarted", f"{actor} 恢复自动培育", at=now, detail={"by": actor})
    return True
