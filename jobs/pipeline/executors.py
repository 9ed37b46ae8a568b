"""What each outbox action kind does through the gateway (one function per kind)."""
from __future__ import annotations

from typing import Mapping

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.services import Executor, Services
from app.store.contacts import add_activity
from app.store.models import Contact, Delivery, Follow, OutboxAction, utcnow
from app.store.models.base import as_utc
from app.store.models.contacts import ACTIVE
from app.store.tagbook import ensure_tag_groups, ensure_tags, store_groups
from app.wecom.errors import InvalidTag, WelcomeCodeUsed
from app.wecom.results import MomentTaskCreated, MsgTemplateCreated
from jobs.pipeline import archive_pull
from jobs.pipeline.robot_digest import robot_alert


def welcome(services: Services, session: Session, action: OutboxAction) -> dict:
    """Send the welcome message inside the code's window."""
    payload = action.payload
    assert action.not_after is not None  # a welcome is always stored with its code's deadline
    try:
        sent = services.gateway.sends.send_welcome_msg(payload["code"], payload["text"], payload["attachments"],
                                                 deadline=as_utc(action.not_after).timestamp())
    except WelcomeCodeUsed:
        if _earlier_attempt(action) is None:
            raise
        return {"sent_at": None, "on_earlier_attempt": True}
    return {"sent_at": utcnow().isoformat(), "on_earlier_attempt": sent.on_earlier_attempt}


def fetch_contact(services: Services, session: Session, action: OutboxAction) -> dict:
    """Copy the contact's name, type and company from WeCom."""
    details = services.gateway.directory.get_contact(action.payload["external_userid"])
    contact = session.get(Contact, action.contact_id)
    assert contact is not None  # a fetch names its contact, and contacts are never deleted
    contact.name = details.name or contact.name
    contact.contact_type = details.type
    contact.corp_name = details.profile.get("corp_name") or details.profile.get("corp_full_name") or contact.corp_name
    contact.details_fetched_at = utcnow()
    return {"name_known": bool(details.name)}


def sync_tags(services: Services, session: Session, action: OutboxAction) -> dict:
    """Make the relation carry exactly the contact's current stage tag, plus any tags to add, in one mark_tag."""
    follow = session.get(Follow, action.payload["follow_id"])
    if follow is None or follow.status != ACTIVE:
        return {"skipped": "relation not active"}
    contact = session.get(Contact, follow.contact_id)
    assert contact is not None  # a relation's contact (foreign key)
    journey = services.content.journey
    stage_names = [stage.name for stage in journey.stages]
    extra = _by_group(action.payload.get("add") or [])
    wanted = {journey.tag_group: list(stage_names)}
    for group, names in extra.items():
        wanted.setdefault(group, []).extend(names)
    target = journey.stage(contact.stage).name

    def mark() -> list[str]:
        ids = ensure_tag_groups(session, services, wanted)
        stage_ids = {name: ids[journey.tag_group][name] for name in stage_names}
        add = [stage_ids[target]] + [ids[group][name] for group, names in extra.items()
                                     for name in dict.fromkeys(names)]
        remove = [tag_id for name, tag_id in stage_ids.items() if name != target]
        services.gateway.directory.mark_tag(follow.userid, contact.external_userid, add=add, remove=remove)
        return add

    try:
        add = mark()
    except InvalidTag:  # a tag we know was deleted in WeCom without reaching us: reload the catalogue, once
        store_groups(session, services.gateway.directory.list_corp_tags(), complete=True)
        add = mark()
    add_activity(session, contact.id, "tags", f"企业微信标签已同步：阶段「{target}」",
                 detail={"added": add, "userid": follow.userid})
    return {"stage": contact.stage, "added": add}


def app_message(services: Services, session: Session, action: OutboxAction) -> dict:
    """Send an app message to staff."""
    payload = action.payload
    sent = services.gateway.alerts.send_app_message(payload["touser"], payload["msgtype"], payload["content"])
    return {"msgid": sent.msgid, "invalid_users": list(sent.invalid_users)}


def refresh_tags(services: Services, session: Session, action: OutboxAction) -> dict:
    """Reload the whole corp tag catalogue."""
    groups = services.gateway.directory.list_corp_tags()
    store_groups(session, groups, complete=True)
    return {"groups": len(groups)}


def mass_send(services: Services, session: Session, action: OutboxAction) -> dict:
    """Create the 1:1 mass-send task the sender confirms in WeCom; its deliveries wait for confirmation."""
    payload = action.payload
    since = _earlier_attempt(action)
    found = since and services.gateway.sends.find_msg_template(payload["sender"], payload["text"], since)
    created = MsgTemplateCreated(found, adopted=True) if found else services.gateway.sends.add_msg_template(
        payload["sender"], payload["recipients"], payload["text"], payload["attachments"])
    failed = set(created.fail_list)
    unconfirmed = [e for e in payload["recipients"] if e not in failed]
    for status, members in (("unconfirmed", unconfirmed), ("failed", list(failed))):
        if members:
            session.execute(update(Delivery)
                            .where(Delivery.action_id == action.id, Delivery.external_userid.in_(members))
                            .values(status=status, updated_at=utcnow()))
    return {"msgid": created.msgid, "fail_list": list(created.fail_list), "adopted": created.adopted,
            "created_at": utcnow().isoformat()}


def moment(services: Services, session: Session, action: OutboxAction) -> dict:
    """Create the Moments task its senders confirm, visible to customers carrying the audience's tags."""
    payload = action.payload
    journey = services.content.journey
    stage_names = {stage.name for stage in journey.stages}
    wanted = list(payload.get("tags") or [])
    tag_ids = list(ensure_tags(session, services, journey.tag_group, [t for t in wanted if t in stage_names]).values())
    others = [t for t in wanted if t not in stage_names]
    if others:
        book = services.content.channels()
        tag_ids += ensure_tags(session, services, book.tag_group, others).values()
    since = _earlier_attempt(action)
    found = since and services.gateway.moments.find_moment(payload["text"], payload["senders"], since)
    created = MomentTaskCreated(None, found, adopted=True) if found else services.gateway.moments.add_moment_task(
        payload["text"], payload["attachments"], sender_userids=payload["senders"], tag_ids=tag_ids)
    return {"jobid": created.jobid, "moment_id": created.moment_id, "adopted": created.adopted, "tag_ids": tag_ids,
            "created_at": utcnow().isoformat()}


def pull_archive(services: Services, session: Session, action: OutboxAction) -> dict:
    """Pull new messages from the session archive and report the counts."""
    return archive_pull.pull_archive(services).counts()


def _earlier_attempt(action: OutboxAction) -> float | None:
    """When an earlier attempt of this create call may have reached WeCom (then look before creating again)."""
    if action.attempts <= 1:
        return None
    created = as_utc(action.created_at)
    return created.timestamp()


def _by_group(pairs: list[list[str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for group, name in pairs:
        grouped.setdefault(group, []).append(name)
    return grouped


EXECUTORS: Mapping[str, Executor] = {
    "welcome": welcome,
    "fetch_contact": fetch_contact,
    "sync_tags": sync_tags,
    "app_message": app_message,
    "refresh_tags": refresh_tags,
    "mass_send": mass_send,
    "moment": moment,
    "pull_archive": pull_archive,
    "robot_alert": robot_alert,
}
