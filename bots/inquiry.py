"""Prospect messages from the archive: detect intent, move the journey, stop nurture on opt-out, alert on hot leads."""
from __future__ import annotations

import logging

from sqlalchemy import select

import app.store.lead_scores as scoring
from app.store import outbox
from app.store.contacts import active_follows, add_activity, change_axis, get_or_create_contact
from app.store.models import ArchivedMessage, Contact, utcnow
from app.store.models.base import as_utc
from bots import effects
from bots.alerts import raise_alert
from bots.intents import classify
from bots.journey import apply_signals
from bots.stage_rules import Signal

log = logging.getLogger(__name__)
OPT_OUT_TAG = ["客户状态", "勿扰"]


def on_messages(services, message_ids: list[int]) -> None:
    """Archive hook: handle newly stored prospect messages, then carry out their alerts and tag syncs right here,
    alerts first, as an event's worker does (jobs.pipeline.actions.run_fast_actions): no queueing behind a backlog."""
    from jobs.pipeline.actions import run_fast_actions, runs_here

    with services.sessions() as session:
        rows = session.execute(select(ArchivedMessage).where(ArchivedMessage.id.in_(message_ids),
                                                             ArchivedMessage.direction == "in")
                               .order_by(ArchivedMessage.msgtime, ArchivedMessage.id)).scalars().all()
        actions = []
        for message in rows:
            actions += handle_message(session, services, message)
        created = outbox.insert_actions(session, actions, run_here=runs_here)
        session.commit()
        run_fast_actions(services, session, created)


def handle_message(session, services, message: ArchivedMessage) -> list:
    """One inbound message: timeline, journey signals, opt-out or hot lead."""
    contact = session.execute(select(Contact).where(Contact.external_userid == message.external_userid)
                              .with_for_update()).scalar_one_or_none()
    if contact is None:
        contact = _first_seen(session, services, message)
    decision = classify(message.text or "", services.content.intents)
    source, at = f"message:{message.msgid}", as_utc(message.msgtime)
    add_activity(session, contact.id, "message", f"客户消息：{(message.text or '')[:200]}", at=at,
                 detail={"msgid": message.msgid, "intent": decision.intent, "hot": decision.hot,
                         "score": decision.score, "reasons": list(decision.reasons)})
    contact.last_activity_at = at
    if decision.intent == "opt_out":
        return opt_out(session, contact, message, decision)
    scoring.record_score_event(session, contact, f"intent_{decision.intent}" if decision.hot else "reply", None,
                       {"msgid": message.msgid}, at, journey=services.content.journey)
    signals = [Signal("replied", at, source=source)]
    if decision.hot:
        signals.append(Signal("intent", at, intent=decision.intent, source=source))
    _, actions = apply_signals(session, contact, signals, services.content.journey, utcnow())
    if not decision.hot:
        return actions
    if contact.lead_status not in ("sql", "customer"):
        change_axis(session, contact, "lead_status", "sql",
                    f"客户主动咨询（{decision.intent}）：{(message.text or '')[:60]}", rule_id="hot_inquiry")
    if contact.nurture_stopped is None:
        contact.nurture_stopped = "hot_lead"
        add_activity(session, contact.id, "nurture_stopped", "成为热线索，停止自动培育，交由销售跟进", at=at)
    recent = [m.text or "" for m in session.execute(
        select(ArchivedMessage).where(ArchivedMessage.external_userid == contact.external_userid,
                                      ArchivedMessage.direction == "in")
        .order_by(ArchivedMessage.msgtime.desc()).limit(3)
    ).scalars()][::-1]
    return actions + raise_alert(session, services, contact, decision.intent, "message", [message.id], recent,
                                 list(decision.reasons), at)


def _first_seen(session, services, message: ArchivedMessage) -> Contact:
    """A message from a contact we have no row for (its add event still queued behind a backlog, or missed): record
    the contact now, owned by the member in the conversation, so a hot inquiry still reaches sales at once; the add
    event, or the nightly reconciliation, fills in channel, relation and welcome."""
    contact, created = get_or_create_contact(session, message.external_userid, services.content.journey.initial_stage,
                                             "客户消息先于添加事件到达，先记录该客户")
    if created:
        log.info("message %s from a contact not yet known: contact recorded first", message.msgid)
    contact.owner_userid = contact.owner_userid or message.userid
    return contact


def opt_out(session, contact: Contact, message: ArchivedMessage, decision) -> list:
    """Stop all nurture for the contact at once, tag them, and tell their owner."""
    contact.nurture_stopped = "opted_out"
    add_activity(session, contact.id, "opted_out", f"客户要求不再接收消息：{(message.text or '')[:100]}",
                 at=as_utc(message.msgtime),
                 detail={"reasons": list(decision.reasons)})
    actions = [effects.app_message(contact.owner_userid or "", f"客户「{contact.name or contact.external_userid}」"
                                   f"要求不再接收推送（“{(message.text or '')[:40]}”），已停止对其自动培育。",
                                   f"opt-out:{message.msgid}", contact.id)]
    for follow in active_follows(session, contact.id):
        actions.append(effects.sync_tags(follow.id, contact.id, f"opt-out:{message.msgid}", [OPT_OUT_TAG]))
    return actions
