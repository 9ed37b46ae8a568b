"""Contact lifecycle: new contacts are stored, welcomed, attributed and staged; lost ones leave nurture."""
from __future__ import annotations

from datetime import datetime, timezone

from app.store.models.base import as_utc
from app.store.models.contacts import ACTIVE, LOST, PENDING
from app.wecom.events import ContactAdded, ContactDeleted, ContactEdited, ContactEvent, TransferFailed
from bots import effects
from bots.context import BotContext
from bots.router import Router
from bots.welcome import welcome_action

router = Router("contacts")
LOST_REASONS = {"del_external_contact": "员工删除了客户", "del_follow_user": "客户删除了员工"}


@router.on("change_external_contact", "add_external_contact")
@router.on("change_external_contact", "add_half_external_contact")
def contact_added(event: ContactAdded, ctx: BotContext) -> None:
    """Store the relation, attribute the channel, set the first stage, queue welcome, details and tags."""
    channel = ctx.channels.for_state(event.state)
    contact = _contact(ctx, event, f"通过渠道「{channel.name}」添加员工 {event.userid}，进入初始阶段",
                       channel.initial_stage, expect_new=True)
    follow = ctx.book.follow(contact, event.userid, expect_new=True)
    if contact.channel_state is None and event.state:
        contact.channel_state = event.state
        if channel.initial_stage and contact.stage == ctx.journey.initial_stage:
            ctx.book.change_axis(contact, "stage", channel.initial_stage,
                              f"渠道「{channel.name}」的初始阶段", rule_id="channel", event_id=ctx.event_id)
    contact.owner_userid = contact.owner_userid or event.userid
    if event.create_time < follow.changed_at:
        return
    was_active = follow.status == ACTIVE
    follow.status = PENDING if event.half else ACTIVE
    follow.state, follow.changed_at, follow.lost_reason = event.state or follow.state, event.create_time, None
    follow.added_at = follow.added_at or _event_time(event)
    contact.last_activity_at = ctx.now
    if contact.owner_userid not in _live_userids(ctx, contact.id):
        contact.owner_userid = event.userid
    if contact.lead_status == "lost":
        ctx.book.change_axis(contact, "lead_status", "new", f"客户重新添加了员工 {event.userid}",
                          event_id=ctx.event_id)
        contact.nurture_stopped = None
    ctx.book.add_activity(contact.id, "added", f"添加了员工 {event.userid}（渠道：{channel.name}）",
                       event_id=ctx.event_id, detail={"userid": event.userid, "state": event.state, "half": event.half})
    ctx.book.flush()
    if event.welcome_code:  # even if reconciliation recorded the relation first: the code's deadline decides
        ctx.record(welcome_action(ctx.channels, ctx.settings, event, ctx.received_at, contact.id))
    ctx.record(effects.fetch_contact(event.external_userid, contact.id, f"event{ctx.event_id}"), contact)
    tags = [[ctx.channels.tag_group, name] for name in channel.initial_tags] if not was_active else []
    ctx.record(effects.sync_tags(follow.id, contact.id, f"event{ctx.event_id}", tags), follow)


@router.on("change_external_contact", "edit_external_contact")
def contact_edited(event: ContactEdited, ctx: BotContext) -> None:
    """Record the edit; refresh the contact's details from WeCom unless they were fetched within
    `details_fresh_for`: a staff edit changes the staff's remark and tags, not the prospect's own name or company,
    and a get per edit would spend the corp's per-API quota (10,000 calls a minute) on nothing new."""
    contact = _contact(ctx, event, "员工编辑客户资料时首次记录该客户")
    ctx.book.add_activity(contact.id, "edited", f"员工 {event.userid} 编辑了客户资料", event_id=ctx.event_id)
    fetched = contact.details_fetched_at
    if fetched is None or ctx.now - as_utc(fetched) >= ctx.settings.details_fresh_for:
        ctx.record(effects.fetch_contact(event.external_userid, contact.id, f"event{ctx.event_id}"), contact)


@router.on("change_external_contact", "del_external_contact")
@router.on("change_external_contact", "del_follow_user")
def relation_lost(event: ContactEvent, ctx: BotContext) -> None:
    """Mark the relation lost (history kept); with no relation left the contact is lost and leaves nurture."""
    by_transfer = isinstance(event, ContactDeleted) and event.by_transfer
    contact = _contact(ctx, event, "删除事件先于添加事件到达，先记录该客户")
    follow = ctx.book.follow(contact, event.userid)
    if event.create_time < follow.changed_at:
        return
    follow.status, follow.changed_at = LOST, event.create_time
    follow.lost_reason = "transfer" if by_transfer else event.change_type
    assert event.change_type is not None  # routed here by its change type
    reason = "客户已转接给其他员工" if by_transfer else LOST_REASONS[event.change_type]
    ctx.book.add_activity(contact.id, "lost", f"{reason}（{event.userid}）", event_id=ctx.event_id,
                       detail={"userid": event.userid, "change_type": event.change_type})
    ctx.book.flush()
    live = _live_userids(ctx, contact.id)
    if live:
        if contact.owner_userid not in live:
            contact.owner_userid = live[0]
        return
    if not by_transfer:
        ctx.book.change_axis(contact, "lead_status", "lost", reason, rule_id=event.change_type,
                          event_id=ctx.event_id)
        contact.nurture_stopped = "lost"


@router.on("change_external_contact", "transfer_fail")
def transfer_failed(event: TransferFailed, ctx: BotContext) -> None:
    """Record the failed transfer and tell the staff member."""
    contact = _contact(ctx, event, "转接事件中首次记录该客户")
    why = {"customer_refused": "客户拒绝了转接",
           "customer_limit_exceed": "接替员工的客户数已达上限"}.get(event.fail_reason, event.fail_reason)
    ctx.book.add_activity(contact.id, "transfer_failed", f"转接失败：{why}", event_id=ctx.event_id,
                       detail={"userid": event.userid, "fail_reason": event.fail_reason})
    name = contact.name or contact.external_userid
    ctx.record(effects.app_message(event.userid, f"客户「{name}」转接失败：{why}。请跟进该客户。",
                                   f"transfer-fail:{ctx.event_id}", contact.id))


def _contact(ctx: BotContext, event: ContactEvent, reason: str, stage: str | None = None, expect_new: bool = False):
    return ctx.book.contact(event.external_userid, stage or ctx.journey.initial_stage, reason, ctx.event_id,
                            expect_new)


def _live_userids(ctx: BotContext, contact_id: int) -> list[str]:
    return [f.userid for f in ctx.book.live_follows(contact_id)]


def _event_time(event: ContactEvent) -> datetime:
    return datetime.fromtimestamp(event.create_time, timezone.utc)

