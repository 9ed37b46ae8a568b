"""Prospect messages through the archive: opt-outs stop nurture at once; hot leads alert once per cool-down."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from rq import Queue
from sqlalchemy import select

from app.store.content_versions import store_version
from app.store.models import Activity, Contact, Delivery, Follow, LeadAlert, OutboxAction
from content.calendars import DEFAULT_CALENDAR
from jobs.nurture.sends import plan_nurture
from jobs.periodic.lead_escalation import escalate_unacked_leads
from jobs.pipeline.archive_pull import pull_archive
from jobs.planner import SHANGHAI
from jobs.queues import QUEUE_NAMES
from tests.settings import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def contact(world, ext: str) -> Contact:
    with world.services.sessions() as session:
        return session.execute(select(Contact).where(Contact.external_userid == ext)).scalar_one()


def test_opt_out_stops_nurture_at_once_and_is_visible(world):
    quiet, other = world.known_prospects(2)
    day0 = datetime.now(SHANGHAI).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    with world.services.sessions() as session:
        store_version(session, [Path(DEFAULT_CALENDAR)], "test", now=day0)
        session.commit()
    world.say(quiet, "不需要，请不要打扰")
    opted = contact(world, quiet)
    assert opted.nurture_stopped == "opted_out"
    assert any("不再接收推送" in m["text"]["content"] for m in world.state.messaging.app_messages_for("zhangsan"))
    with world.services.sessions() as session:
        tag_names = {name for (name,) in session.execute(select(Activity.summary)
                                                         .where(Activity.contact_id == opted.id))}
    assert any("客户要求不再接收消息" in s for s in tag_names)
    for when in (day0, day0 + timedelta(days=1, hours=2, minutes=30)):
        world.state.clock.advance_to(when.timestamp())
        plan_nurture(world.services, when)
        world.drain()
    with world.services.sessions() as session:
        received = {c for (c,) in session.execute(select(Delivery.contact_id))}
    assert contact(world, other).id in received
    assert opted.id not in received


def test_hot_lead_alerts_once_per_cooldown_and_escalates_when_nobody_calls(world):
    [ext] = world.known_prospects(1)
    world.say(ext, "你们这个系统一年多少钱？")
    world.say(ext, "能发个报价单吗？我们有 50 个销售")
    lead = contact(world, ext)
    assert (lead.lead_status, lead.nurture_stopped, lead.stage) == ("sql", "hot_lead", "product_selection")
    with world.services.sessions() as session:
        [alert] = session.execute(select(LeadAlert)).scalars().all()
    assert len(alert.message_ids) == 2
    assert alert.explanation["intent"] == "询价"
    assert {"who", "company", "channel", "stage", "days_in_nurture", "touches", "messages", "score", "reasons",
            "next_step"} <= set(alert.explanation)
    cards = [m for m in world.state.messaging.app_messages_for("zhangsan") if m["msgtype"] == "textcard"]
    assert len(cards) == 1
    assert len(world.state.messaging.robot_messages("sandbox-robot-key")) == 1
    assert escalate_unacked_leads(world.services, datetime.now(SHANGHAI) + timedelta(hours=1)) == 1
    assert escalate_unacked_leads(world.services, datetime.now(SHANGHAI) + timedelta(hours=2)) == 0
    leads = world.client.get("/api/leads?open=1", headers=AUTH).get_json()["leads"]
    assert [lead["id"] for lead in leads] == [alert.id]
    assert world.client.post(f"/api/leads/{alert.id}/ack", headers=AUTH, json={}).status_code == 400
    acked = world.client.post(f"/api/leads/{alert.id}/ack", headers=AUTH, json={"by": "zhangsan"}).get_json()
    assert acked["acked_by"] == "zhangsan"
    assert world.client.get("/api/leads?open=1", headers=AUTH).get_json()["leads"] == []
    assert world.client.post("/api/leads/999/ack", headers=AUTH, json={"by": "x"}).status_code == 404


def test_the_pull_itself_alerts_sales_and_syncs_the_stage_tag_with_no_job_left_queued(world):
    [ext] = world.known_prospects(1)
    world.state.contacts.record_message(ext, "zhangsan", "你们这个系统一年多少钱？")
    pull_archive(world.services)
    assert [m["msgtype"] for m in world.state.messaging.app_messages_for("zhangsan")] == ["textcard"]
    assert len(world.state.messaging.robot_messages("sandbox-robot-key")) == 1
    lead = contact(world, ext)
    with world.services.sessions() as session:
        follow = session.execute(select(Follow).where(Follow.contact_id == lead.id)).scalar_one()
        actions = session.execute(select(OutboxAction.kind, OutboxAction.status)
                                  .where(OutboxAction.contact_id == lead.id,
                                         OutboxAction.kind != "fetch_contact")).all()
    assert {kind for kind, _ in actions} >= {"app_message", "robot_alert", "sync_tags"}
    assert {status for _, status in actions} == {"done"}
    stage_tags = {world.state.tags.tags[t].name for t in world.state.contacts.tags_of(ext, follow.userid)}
    assert "选择产品" in stage_tags
    assert sum(len(Queue(q, connection=world.redis)) for q in QUEUE_NAMES) == 0


def test_negated_price_talk_is_not_a_hot_lead(world):
    [ext] = world.known_prospects(1)
    world.say(ext, "不用发报价了，我们不买")
    lead = contact(world, ext)
    assert lead.nurture_stopped is None
    assert lead.lead_status == "new"
    with world.services.sessions() as session:
        assert session.execute(select(LeadAlert)).scalars().all() == []


def test_a_price_question_from_a_contact_whose_add_is_not_processed_yet_still_alerts_and_the_add_completes_it(world):
    added = world.state.contacts.add_prospect("zhangsan", state="webinar_0302", emit=False)
    ext = added["external_userid"]
    world.say(ext, "你们这个系统一年多少钱？")
    lead = contact(world, ext)
    assert (lead.owner_userid, lead.lead_status, lead.nurture_stopped) == ("zhangsan", "sql", "hot_lead")
    cards = [m for m in world.state.messaging.app_messages_for("zhangsan") if m["msgtype"] == "textcard"]
    assert len(cards) == 1

    world.post({"CreateTime": int(world.state.clock.now()), "ChangeType": "add_external_contact", "UserID": "zhangsan",
                "ExternalUserID": ext, "State": "webinar_0302", "WelcomeCode": added["welcome_code"]})
    world.drain()
    lead = contact(world, ext)
    assert (lead.channel_state, lead.lead_status) == ("webinar_0302", "sql")
    assert len(world.state.contacts.welcome_messages_for(ext)) == 1
    with world.services.sessions() as session:
        assert [f.status for f in session.execute(select(Follow)).scalars()] == ["active"]
