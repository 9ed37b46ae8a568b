"""A contact as the JSON API and the console show it: relations, stage and the full timeline (one shape for both)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import Activity, Contact, Follow, OutboxAction, StageChange
from app.store.models.base import iso
from content.journey import Journey


def contact_json(session: Session, contact: Contact, journey: Journey) -> dict:
    """The contact, its relations and its timeline, newest last."""
    follows = session.execute(select(Follow).where(Follow.contact_id == contact.id).order_by(Follow.id)).scalars()
    timeline = [
        {"at": iso(a.at), "type": a.kind, "summary": a.summary, "event_id": a.event_id, "detail": a.detail}
        for a in session.execute(select(Activity).where(Activity.contact_id == contact.id)).scalars()
    ] + [
        {"at": iso(c.created_at), "type": f"{c.axis}_change", "summary": c.reason, "event_id": c.event_id,
         "detail": {"from": c.from_value, "to": c.to_value, "rule": c.rule_id, "actor": c.actor}}
        for c in session.execute(select(StageChange).where(StageChange.contact_id == contact.id)).scalars()
    ] + [
        {"at": iso(o.created_at), "type": "send", "summary": f"{o.kind}: {o.status}", "event_id": o.event_id,
         "detail": {"action_id": o.id, "kind": o.kind, "status": o.status, "attempts": o.attempts,
                    "result": o.result, "error": o.error, "done_at": iso(o.done_at)}}
        for o in session.execute(select(OutboxAction).where(OutboxAction.contact_id == contact.id)).scalars()
    ]
    stage = journey.stage(contact.stage)
    return {
        "id": contact.id, "external_userid": contact.external_userid, "name": contact.name,
        "corp_name": contact.corp_name,
        "channel": contact.channel_state, "owner": contact.owner_userid,
        "stage": {"key": stage.key, "name": stage.name, "entered_at": iso(contact.stage_entered_at)},
        "lead_status": contact.lead_status, "nurture_stopped": contact.nurture_stopped, "score": contact.score,
        "relations": [{"userid": f.userid, "status": f.status, "state": f.state, "lost_reason": f.lost_reason}
                      for f in follows],
        "timeline": sorted(timeline, key=lambda item: item["at"] or ""),
    }
