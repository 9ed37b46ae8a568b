"""Result polling: real tasks in the sandbox, confirmed there, tracked back onto our deliveries and actions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.models import Contact, Delivery, OutboxAction
from jobs.results import poll_results
from jobs.staff_sync import sync_staff
from tests.world import World, start_world, stop_world

STAFF = ("zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi", "manager_li")
ROI = [{"msgtype": "link", "link": {"title": "线索培育 ROI 计算器", "url": "https://example.com/roi-calculator"}}]


@pytest.fixture
def world(database_url, redis_url, redis):
    built = start_world(database_url, redis_url, redis, staff=STAFF)
    sync_staff(built.services)
    yield built
    stop_world(built)


def sandbox_now(world: World) -> datetime:
    """The sandbox clock as an aware UTC datetime."""
    return datetime.fromtimestamp(world.state.clock.now(), timezone.utc)


def prospects(world: World, userid: str, n: int) -> list[str]:
    """Add `n` prospects to a staff member in the sandbox (no callbacks)."""
    return [world.state.add_prospect(userid, emit=False)["external_userid"] for _ in range(n)]


def _contact_id(session, external_userid: str) -> int:
    found = session.execute(select(Contact.id).where(Contact.external_userid == external_userid)).scalar()
    if found is None:
        contact = Contact(external_userid=external_userid, stage="need_arises")
        session.add(contact)
        session.flush()
        found = contact.id
    return found


def mass_task(world: World, sender: str, recipients: list[str], created_at: datetime, text: str = "算一笔账",
              attachments: list | None = None) -> tuple[int, str]:
    """Create a real mass-send task through the gateway and the rows the executor would leave; return (id, msgid)."""
    attachments = ROI if attachments is None else attachments
    created = world.services.gateway.add_msg_template(sender, recipients, text, attachments)
    payload = {"sender": sender, "recipients": recipients, "text": text, "attachments": attachments,
               "sequence_key": "saas_nurture_30d", "step_id": "p07_roi"}
    result = {"msgid": created.msgid, "fail_list": list(created.fail_list), "adopted": created.adopted,
              "created_at": created_at.isoformat()}
    with world.services.sessions() as session:
        action = OutboxAction(key=f"mass:{created.msgid}", kind="mass_send", queue="wecom", payload=payload,
                              status="done", result=result, created_at=created_at, done_at=created_at)
        session.add(action)
        session.flush()
        for ext in recipients:
            session.add(Delivery(action_id=action.id, contact_id=_contact_id(session, ext), external_userid=ext,
                                 sequence_key="saas_nurture_30d", step_id="p07_roi", touchpoint="private",
                                 sender=sender, local_date=created_at.date(),
                                 status="failed" if ext in created.fail_list else "unconfirmed"))
        session.commit()
        return action.id, created.msgid


def moment_task(world: World, senders: list[str], created_at: datetime, text: str = "【行业观察】") -> tuple[int, str]:
    """Create a real Moments task through the gateway and its done action; return (id, jobid)."""
    created = world.services.gateway.add_moment_task(text, sender_userids=senders)
    payload = {"text": text, "attachments": [], "senders": senders, "tags": [], "sequence_key": "saas_nurture_30d",
               "step_id": "d00_am"}
    result = {"jobid": created.jobid, "moment_id": created.moment_id, "adopted": created.adopted,
              "created_at": created_at.isoformat()}
    with world.services.sessions() as session:
        action = OutboxAction(key=f"moment:{created.jobid}", kind="moment", queue="wecom", payload=payload,
                              status="done", result=result, created_at=created_at, done_at=created_at)
        session.add(action)
        session.commit()
        return action.id, created.jobid


def statuses(world: World, action_id: int) -> dict[str, str]:
    with world.services.sessions() as session:
        rows = session.execute(select(Delivery.external_userid, Delivery.status).where(Delivery.action_id == action_id))
        return dict(rows.all())


def result_of(world: World, action_id: int) -> dict:
    with world.services.sessions() as session:
        return dict(session.get(OutboxAction, action_id).result)


def snapshot(world: World) -> tuple:
    with world.services.sessions() as session:
        deliveries = session.execute(select(Delivery.id, Delivery.status, Delivery.updated_at)
                                     .order_by(Delivery.id)).all()
        results = session.execute(select(OutboxAction.id, OutboxAction.result).order_by(OutboxAction.id)).all()
        return [tuple(r) for r in deliveries], [tuple(r) for r in results]


def test_poll_records_sent_not_friend_over_limit_and_unconfirmed(world):
    a, b, c, d = prospects(world, "zhangsan", 4)
    waiting = prospects(world, "lisi", 2)
    now = sandbox_now(world)
    first, first_msg = mass_task(world, "zhangsan", [a], now)
    world.state.confirm_mass_task(first_msg, "zhangsan")           # a receives today's one mass message
    second, second_msg = mass_task(world, "zhangsan", [a, b, c, d], now)
    third, _ = mass_task(world, "lisi", waiting, now)
    world.state.delete_follow(c, "zhangsan", emit=False)             # c deletes zhangsan before the confirmation
    world.state.advance(600)
    world.state.confirm_mass_task(second_msg, "zhangsan")

    report = poll_results(world.services, now + timedelta(minutes=15))

    assert (report.mass_tasks, report.confirmed, report.deliveries_updated, report.errors) == (3, 2, 5, 0)
    assert statuses(world, first) == {a: "sent"}
    assert statuses(world, second) == {a: "over_limit", b: "sent", c: "not_friend", d: "sent"}
    assert statuses(world, third) == {ext: "unconfirmed" for ext in waiting}
    confirmed = datetime.fromisoformat(result_of(world, second)["confirmed_at"])
    assert abs((confirmed - now).total_seconds() - 600) <= 2    # WeCom's send_time, not our polling time
    assert "confirmed_at" not in result_of(world, third)


def test_running_twice_changes_nothing_the_second_time(world):
    a, b = prospects(world, "wangwu", 2)
    now = sandbox_now(world)
    action_id, msgid = mass_task(world, "wangwu", [a, b], now)
    world.state.confirm_mass_task(msgid, "wangwu")
    moment_id, jobid = moment_task(world, ["wangwu", "zhaoliu"], now)
    world.state.confirm_moment_task(jobid, "wangwu")
    poll_results(world.services, now + timedelta(minutes=5))
    before = snapshot(world)

    again = poll_results(world.services, now + timedelta(minutes=10))

    assert snapshot(world) == before
    assert (again.confirmed, again.deliveries_updated, again.published) == (0, 0, 0)
    assert statuses(world, action_id) == {a: "sent", b: "sent"}


def test_moments_record_the_post_invalid_senders_and_who_published_when(world):
    now = sandbox_now(world)
    action_id, jobid = moment_task(world, ["zhangsan", "lisi", "ghost"], now)
    world.state.confirm_moment_task(jobid, "zhangsan")
    at_first = now + timedelta(minutes=5)

    poll_results(world.services, at_first)
    result = result_of(world, action_id)
    assert result["moment_id"] == world.state.moment_tasks[jobid].moment_id
    assert result["invalid_senders"] == ["ghost"]
    assert result["published"] == {"zhangsan": at_first.isoformat()}

    world.state.confirm_moment_task(jobid, "lisi")
    report = poll_results(world.services, now + timedelta(minutes=10))
    assert report.published == 1
    published = result_of(world, action_id)["published"]
    assert published == {"zhangsan": at_first.isoformat(), "lisi": (now + timedelta(minutes=10)).isoformat()}

    done = poll_results(world.services, now + timedelta(minutes=15))
    assert done.moments == 0                                          # every valid sender published: not polled


def test_old_and_unsent_tasks_are_left_alone(world):
    (a,) = prospects(world, "sunqi", 1)
    now = sandbox_now(world)
    action_id, _ = mass_task(world, "sunqi", [a], now - timedelta(days=4))
    calls = world.state.calls_to("externalcontact/get_groupmsg_task")
    report = poll_results(world.services, now)
    assert report.mass_tasks == 0
    assert world.state.calls_to("externalcontact/get_groupmsg_task") == calls
    assert statuses(world, action_id) == {a: "unconfirmed"}
