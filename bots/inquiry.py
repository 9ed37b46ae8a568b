"""Prospect messages from the archive: detect intent, move the journey, stop nurture on opt-out, alert on hot leads."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from app.store.models.base import as_utc
from bots import effects
from bots.alerts import raise_alert
from bots.context import ContactBook, Content
from bots.intents import Decision, classify
from bots.journey import apply_signals
from bots.stage_rules import Signal

if TYPE_CHECKING:
    from app.settings import Settings
    from app.store.models import ArchivedMessage, Contact

log = logging.getLogger(__name__)
OPT_OUT_TAG = ["客户状态", "勿扰"]


def handle_message(book: ContactBook, content: Content, settings: Settings, message: ArchivedMessage,
                   now: datetime) -> list[effects.Action]:
    """One inbound message: timeline, journey signals, opt-out or hot lead; returns the effects to carry out."""
    contact = book.known_contact(message.external_userid) or _first_seen(book, content, message)
    decision = classify(message.text or "", content.intents)
    source, at = f"message:{message.msgid}", as_utc(message.msgtime)
    book.add_activity(contact.id, "message", f"客户消息：{(message.text or '')[:200]}", at=at,
                      detail={"msgid": message.msgid, "intent": decision.intent, "hot": decision.hot,
                              "score": decision.score, "reasons": list(decision.reasons)})
    contact.last_activity_at = at
    if decision.intent == "opt_out":
        return opt_out(book, contact, message, decision)
    book.record_score(contact, f"intent_{decision.intent}" if decision.hot else "reply", {"msgid": message.msgid},
                      at, content)
    signals = [Signal("replied", at, source=source)]
    if decision.hot:
        signals.append(Signal("intent", at, intent=decision.intent, source=source))
    _, actions = apply_signals(book, contact, signals, content.journey, now)
    if not decision.hot:
        return actions
    if contact.lead_status not in ("sql", "customer"):
        book.change_axis(contact, "lead_status", "sql",
                         f"客户主动咨询（{decision.intent}）：{(message.text or '')[:60]}", rule_id="hot_inquiry")
    if contact.nurture_stopped is None:
        contact.nurture_stopped = "hot_lead"
        book.add_activity(contact.id, "nurture_stopped", "成为热线索，停止自动培育，交由销售跟进", at=at)
    recent = book.recent_inbound(contact.external_userid, 3)
    return actions + raise_alert(book, settings, content, contact, decision.intent, "message", [message.id], recent,
                                 list(decision.reasons), at, now)


def _first_seen(book: ContactBook, content: Content, message: ArchivedMessage) -> Contact:
    """A message from a contact we have no row for (its add event still queued behind a backlog, or missed): record
    the contact now, owned by the member in the conversation, so a hot inquiry still reaches sales at once; the add
    event, or the nightly reconciliation, fills in channel, relation and welcome."""
    contact = book.contact(message.external_userid, content.journey.initial_stage,
                           "客户消息先于添加事件到达，先记录该客户")
    log.info("message %s from a contact not yet known: contact recorded first", message.msgid)
    contact.owner_userid = contact.owner_userid or message.userid
    return contact


def opt_out(book: ContactBook, contact: Contact, message: ArchivedMessage, decision: Decision) -> list[effects.Action]:
    """Stop all nurture for the contact at once, tag them, and tell their owner."""
    contact.nurture_stopped = "opted_out"
    book.add_activity(contact.id, "opted_out", f"客户要求不再接收消息：{(message.text or '')[:100]}",
                      at=as_utc(message.msgtime), detail={"reasons": list(decision.reasons)})
    actions = [effects.app_message(contact.owner_userid or "", f"客户「{contact.name or contact.external_userid}」"
                                   f"要求不再接收推送（“{(message.text or '')[:40]}”），已停止对其自动培育。",
                                   f"opt-out:{message.msgid}", contact.id)]
    for follow in book.live_follows(contact.id):
        actions.append(effects.sync_tags(follow.id, contact.id, f"opt-out:{message.msgid}", [OPT_OUT_TAG]))
    return actions
