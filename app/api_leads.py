"""JSON API for hot leads: the queue sales works from, and "contacted"."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from app.auth import require_admin_token
from app.contacts import add_activity
from app.models import LeadAlert, utcnow

bp = Blueprint("api_leads", __name__, url_prefix="/api/leads")


def alert_json(alert: LeadAlert) -> dict:
    """An alert with its explanation and whether sales picked it up."""
    return {"id": alert.id, "contact_id": alert.contact_id, "owner": alert.owner_userid, "intent": alert.intent,
            "trigger": alert.trigger, "explanation": alert.explanation, "summary": alert.summary,
            "message_at": alert.message_at.isoformat(), "created_at": alert.created_at.isoformat(),
            "acked_at": alert.acked_at.isoformat() if alert.acked_at else None, "acked_by": alert.acked_by,
            "escalated_at": alert.escalated_at.isoformat() if alert.escalated_at else None}


@bp.get("")
@require_admin_token
def list_leads():
    """Hot-lead alerts, newest first; `?open=1` for those nobody has marked contacted."""
    services = current_app.extensions["scrm"]
    query = select(LeadAlert).order_by(LeadAlert.id.desc()).limit(500)
    if request.args.get("open") == "1":
        query = query.where(LeadAlert.acked_at.is_(None))
    with services.sessions() as session:
        return jsonify(leads=[alert_json(a) for a in session.execute(query).scalars()])


@bp.post("/<int:alert_id>/ack")
@require_admin_token
def ack(alert_id: int):
    """Mark a hot lead as contacted: {"by": userid}; a second ack keeps the first."""
    by = str((request.get_json(silent=True) or {}).get("by") or "")[:64]
    if not by:
        return jsonify(error="'by' (who contacted the lead) is required"), 400
    services = current_app.extensions["scrm"]
    with services.sessions() as session:
        alert = session.get(LeadAlert, alert_id)
        if alert is None:
            return jsonify(error="no such lead alert"), 404
        if alert.acked_at is None:
            alert.acked_at, alert.acked_by = utcnow(), by
            add_activity(session, alert.contact_id, "lead_contacted", f"{by} 已联系该热线索")
            session.commit()
        return jsonify(alert_json(alert))
