"""Reminders stay inside WeCom's limits and our own; a task left unconfirmed reaches the manager exactly once."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.store.models import OutboxAction
from jobs.nurture.reminders import escalate_unconfirmed, remind_unconfirmed
from jobs.nurture.results import poll_results
from jobs.planner.model import SHANGHAI
from tests.sandbox_tasks import STAFF, mass_task, moment_task, prospects, result_of

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
STEP = timedelta(minutes=15)
pytestmark = pytest.mark.world(staff=STAFF, sync_staff=True, start_at=MONDAY_9)


def drive(world, start: datetime, hours: int) -> list[datetime]:
    """Run the reminder job every 15 minutes from `start` with the sandbox clock in step; return when it reminded."""
    reminded, now = [], start
    while now <= start + timedelta(hours=hours):
        if remind_unconfirmed(world.services, now):
            reminded.append(now)
        world.state.advance(STEP.total_seconds())
        now += STEP
    return reminded


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%d %H:%M")


def test_reminders_wait_space_out_and_stop_at_the_daily_limit(world):
    recipients = prospects(world, "zhangsan", 3)
    action_id, msgid = mass_task(world, "zhangsan", recipients, MONDAY_9)

    reminded = drive(world, MONDAY_9, 48)

    assert [local(t) for t in reminded] == ["02 11:00", "02 14:00", "03 11:00", "03 14:00"]
    assert len(world.state.campaigns.mass_tasks[msgid].reminders) == 4
    assert len(result_of(world, action_id)["reminders"]) == 4
    assert world.state.core.violations.get("remind_limit", 0) == 0


def test_no_reminder_in_quiet_hours(world):
    recipients = prospects(world, "lisi", 1)
    evening = world.pin(MONDAY_9.replace(hour=19, minute=30))
    mass_task(world, "lisi", recipients, evening)

    reminded = drive(world, evening, 16)

    assert [local(t) for t in reminded] == ["03 08:00", "03 11:00"]
    assert all(not (t.astimezone(SHANGHAI).hour >= 21 or t.astimezone(SHANGHAI).hour < 8) for t in reminded)


def test_a_setting_above_wecoms_limit_is_held_to_three_a_day(world):
    recipients = prospects(world, "wangwu", 1)
    action_id, _ = mass_task(world, "wangwu", recipients, MONDAY_9)
    world.services.settings = world.services.settings.model_copy(
        update={"remind_max_per_day": 5, "remind_every_minutes": 15, "remind_after_minutes": 0})

    reminded = drive(world, MONDAY_9, 24)

    assert [local(t) for t in reminded] == ["02 09:00", "02 09:15", "02 09:30", "03 09:00"]
    assert world.state.core.violations.get("remind_limit", 0) == 0


def test_confirmed_tasks_are_not_reminded(world):
    recipients = prospects(world, "zhaoliu", 2)
    _, msgid = mass_task(world, "zhaoliu", recipients, MONDAY_9)
    world.state.campaigns.confirm_mass_task(msgid, "zhaoliu")
    poll_results(world.services, MONDAY_9 + timedelta(minutes=5))
    assert remind_unconfirmed(world.services, MONDAY_9 + timedelta(hours=3)) == 0
    assert world.state.campaigns.mass_tasks[msgid].reminders == []


def escalations(world) -> list[OutboxAction]:
    with world.services.sessions() as session:
        return list(session.execute(select(OutboxAction).where(OutboxAction.key.like("escalate:%"))
                                    .order_by(OutboxAction.id)).scalars())


def test_one_app_message_reaches_the_manager(world):
    recipients = prospects(world, "zhangsan", 3)
    action_id, _ = mass_task(world, "zhangsan", recipients, MONDAY_9)

    assert escalate_unconfirmed(world.services, MONDAY_9 + timedelta(hours=5, minutes=45)) == 0
    assert escalate_unconfirmed(world.services, MONDAY_9 + timedelta(hours=6)) == 1
    world.drain()
    assert escalate_unconfirmed(world.services, MONDAY_9 + timedelta(hours=7)) == 0
    world.drain()

    [message] = world.state.messaging.app_messages_for("manager_li")
    assert message["text"]["content"] == ("张三有 1 个群发任务已 6 小时未确认（线索培育 ROI 计算器），涉及 3 位客户，"
                                          "请提醒其在企业微信中确认发送。")
    assert world.state.messaging.app_messages_for("zhangsan") == []
    [action] = escalations(world)
    assert (action.key, action.status) == (f"escalate:{action_id}", "done")
    assert result_of(world, action_id)["escalated_at"] == (MONDAY_9 + timedelta(hours=6)).isoformat()


def test_without_a_manager_the_staff_member_is_told(world):
    recipients = prospects(world, "manager_li", 2)
    mass_task(world, "manager_li", recipients, MONDAY_9, text="季度复盘", attachments=[])
    assert escalate_unconfirmed(world.services, MONDAY_9 + timedelta(hours=7)) == 1
    world.drain()
    [message] = world.state.messaging.app_messages_for("manager_li")
    assert message["text"]["content"] == ("您有 1 个群发任务已 7 小时未确认（季度复盘），涉及 2 位客户，"
                                          "请在企业微信中确认发送。")


def test_no_escalation_in_quiet_hours(world):
    recipients = prospects(world, "sunqi", 1)
    mass_task(world, "sunqi", recipients, world.pin(MONDAY_9.replace(hour=15)))
    assert escalate_unconfirmed(world.services, MONDAY_9.replace(hour=21, minute=30)) == 0
    assert escalate_unconfirmed(world.services, MONDAY_9.replace(hour=8) + timedelta(days=1)) == 1


def test_unpublished_moments_sender_is_escalated_once(world):
    action_id, jobid = moment_task(world, ["zhangsan", "lisi"], MONDAY_9)
    world.state.moments.confirm_moment_task(jobid, "zhangsan")
    poll_results(world.services, MONDAY_9 + timedelta(minutes=5))
    later = MONDAY_9 + timedelta(hours=6)

    assert escalate_unconfirmed(world.services, later) == 1
    assert escalate_unconfirmed(world.services, later + timedelta(minutes=15)) == 0
    world.drain()

    [message] = world.state.messaging.app_messages_for("manager_li")
    assert message["text"]["content"].startswith("李四有 1 条朋友圈任务已 ")
    assert message["text"]["content"].endswith("小时未发表（【行业观察】），请提醒其在企业微信中确认发表。")
    assert [a.key for a in escalations(world)] == [f"escalate:{action_id}:lisi"]
