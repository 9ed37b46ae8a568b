"""The hot-lead queue and "contacted": the one implementation behind the JSON API and the console."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.contacts import add_activity
from app.store.models import LeadAlert, utcnow
from app.web.console.scope import Principal, visible_alerts

QUEUE_LIMIT = 500


def lead_alerts(session: Session, principal: Principal, open_only: bool = False,
                contact_id: int | None = None) -> list[LeadAlert]:
    """Alerts the principal may see, newest first; open ones only when asked."""
    query = visible_alerts(select(LeadAlert).order_by(LeadAlert.id.desc()).limit(QUEUE_LIMIT), principal)
    if open_only:
        query = query.where(LeadAlert.acked_at.is_(None))
    if contact_id is not None:
        query = query.where(LeadAlert.contact_id == contact_id)
    return list(session.execute(query).scalars())


def ack_alert(session: Session, alert: LeadAlert, by: str) -> bool:
    """Mark the alert contacted by `by`; a second ack keeps the first. True when this call acked it."""
    if alert.acked_at is not None:
        return False
    alert.acked_at, alert.acked_by = utcnow(), by[:64]
    add_activity(session, alert.contact_id, "lead_contacted", f"{by[:64]} 已联系该热线索")
    return True


def ack_contact(session: Session, contact_id: int, by: str) -> int:
    """Mark every open alert of a contact contacted; return how many were open."""
    alerts = session.execute(select(LeadAlert).where(LeadAlert.contact_id == contact_id,
                                                     LeadAlert.acked_at.is_(None))).scalars().all()
    return sum(ack_alert(session, alert, by) for alert in alerts)
