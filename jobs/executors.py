"""What each outbox action kind does through the gateway (one function per kind)."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from app.contacts import ACTIVE, add_activity
from app.models import Contact, Follow, OutboxAction, utcnow
from app.tagbook import ensure_tags, store_groups


def welcome(services, session: Session, action: OutboxAction) -> dict:
    """Send the welcome message inside the code's window."""
    payload = action.payload
    sent = services.gateway.send_welcome_msg(payload["code"], payload["text"], payload["attachments"],
                                             deadline=action.not_after.timestamp())
    return {"sent_at": utcnow().isoformat(), "on_earlier_attempt": sent.on_earlier_attempt}


def fetch_contact(services, session: Session, action: OutboxAction) -> dict:
    """Copy the contact's name, type and company from WeCom."""
    details = services.gateway.get_contact(action.payload["external_userid"])
    contact = session.get(Contact, action.contact_id)
    contact.name = details.name or contact.name
    contact.contact_type = details.type
    contact.corp_name = details.profile.get("corp_name") or details.profile.get("corp_full_name") or contact.corp_name
    contact.details_fetched_at = utcnow()
    return {"name_known": bool(details.name)}


def sync_tags(services, session: Session, action: OutboxAction) -> dict:
    """Make the relation carry exactly the contact's current stage tag, plus any tags to add, in one mark_tag."""
    follow = session.get(Follow, action.payload["follow_id"])
    if follow is None or follow.status != ACTIVE:
        return {"skipped": "relation not active"}
    contact = session.get(Contact, follow.contact_id)
    journey = services.content.journey
    stage_names = [stage.name for stage in journey.stages]
    stage_ids = ensure_tags(session, services, journey.tag_group, stage_names)
    target = journey.stage(contact.stage).name
    add = [stage_ids[target]]
    for group, names in _by_group(action.payload.get("add") or []).items():
        add += ensure_tags(session, services, group, names).values()
    remove = [tag_id for name, tag_id in stage_ids.items() if name != target]
    services.gateway.mark_tag(follow.userid, contact.external_userid, add=add, remove=remove)
    add_activity(session, contact.id, "tags", f"企业微信标签已同步：阶段「{target}」", detail={"added": add, "userid": follow.userid})
    return {"stage": contact.stage, "added": add}


def app_message(services, session: Session, action: OutboxAction) -> dict:
    """Send an app message to staff."""
    payload = action.payload
    sent = services.gateway.send_app_message(payload["touser"], payload["msgtype"], payload["content"])
    return {"msgid": sent.msgid, "invalid_users": list(sent.invalid_users)}


def refresh_tags(services, session: Session, action: OutboxAction) -> dict:
    """Reload the whole corp tag catalogue."""
    groups = services.gateway.list_corp_tags()
    store_groups(session, groups, complete=True)
    return {"groups": len(groups)}


def _by_group(pairs: list[list[str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for group, name in pairs:
        grouped.setdefault(group, []).append(name)
    return grouped


EXECUTORS: dict[str, Callable[..., dict]] = {
    "welcome": welcome,
    "fetch_contact": fetch_contact,
    "sync_tags": sync_tags,
    "app_message": app_message,
    "refresh_tags": refresh_tags,
}
