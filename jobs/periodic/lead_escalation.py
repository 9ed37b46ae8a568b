"""Escalate hot leads nobody marked contacted in time to the owner's manager."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.services import Services, current_services
from app.store import outbox
from app.store.models import LeadAlert, Staff, utcnow
from app.store.models.base import as_utc
from bots import effects
from jobs.pipeline.actions import enqueue_actions


def escalate_leads_job() -> int:
    """rq/scheduler entry point: escalate overdue hot leads now."""
    return escalate_unacked_leads(current_services())


def escalate_unacked_leads(services: Services, now: datetime | None = None) -> int:
    """Send one app message per overdue alert to the owner's manager (or the owner); return how many."""
    now = now or utcnow()
    due = now - timedelta(minutes=services.settings.lead_ack_minutes)
    with services.sessions() as session:
        alerts = session.execute(select(LeadAlert).where(
            LeadAlert.acked_at.is_(None), LeadAlert.escalated_at.is_(None), LeadAlert.created_at <= due)
            .with_for_update(skip_locked=True)).scalars().all()
        actions = []
        for alert in alerts:
            staff = session.get(Staff, alert.owner_userid)
            manager = staff.manager_userid if staff and staff.manager_userid else alert.owner_userid
            who = alert.explanation.get("who", "")
            minutes = int((now - as_utc(alert.created_at)).total_seconds() // 60)
            said = "；".join(alert.explanation.get("messages", []))[:80]
            text = (f"热线索「{who}」（{alert.explanation.get('company', '')}）"
                    f"已提醒 {alert.owner_userid} {minutes} 分钟，仍未标记为已联系。客户说：{said}。请跟进。")
            actions.append(effects.app_message(manager, text, f"escalate-lead:{alert.id}", alert.contact_id))
            alert.escalated_at = now
        created = outbox.store_actions(session, actions)
        session.commit()
    enqueue_actions(services, created)
    return len(actions)
