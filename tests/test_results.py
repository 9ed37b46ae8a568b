"""Result polling: real tasks in the sandbox, confirmed there, tracked back onto our deliveries and actions."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.store.models import Delivery, OutboxAction
from jobs.nurture.results import poll_results
from tests.sandbox_tasks import STAFF, mass_task, moment_task, prospects, result_of, sandbox_now
from tests.world import World

pytestmark = pytest.mark.world(staff=STAFF, sync_staff=True)


def statuses(world: World, action_id: int) -> dict[str, str]:
    with world.services.sessions() as session:
        rows = session.execute(select(Delivery.external_userid, Delivery.status).where(Delivery.action_id == action_id))
        return dict(rows.all())


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
    world.state.campaigns.confirm_mass_task(first_msg, "zhangsan")   # a receives today's one mass message
    second, second_msg = mass_task(world, "zhangsan", [a, b, c, d], now)
    third, _ = mass_task(world, "lisi", waiting, now)
    world.state.contacts.delete_follow(c, "zhangsan", emit=False)    # c deletes zhangsan before the confirmation
    world.state.advance(600)
    world.state.campaigns.confirm_mass_task(second_msg, "zhangsan")

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
    world.state.campaigns.confirm_mass_task(msgid, "wangwu")
    moment_id, jobid = moment_task(world, ["wangwu", "zhaoliu"], now)
    world.state.moments.confirm_moment_task(jobid, "wangwu")
    poll_results(world.services, now + timedelta(minutes=5))
    before = snapshot(world)

    again = poll_results(world.services, now + timedelta(minutes=10))

    assert snapshot(world) == before
    assert (again.confirmed, again.deliveries_updated, again.published) == (0, 0, 0)
    assert statuses(world, action_id) == {a: "sent", b: "sent"}


def test_moments_record_the_post_invalid_senders_and_who_published_when(world):
    now = sandbox_now(world)
    action_id, jobid = moment_task(world, ["zhangsan", "lisi", "ghost"], now)
    world.state.moments.confirm_moment_task(jobid, "zhangsan")
    at_first = now + timedelta(minutes=5)

    poll_results(world.services, at_first)
    result = result_of(world, action_id)
    assert result["moment_id"] == world.state.moments.moment_tasks[jobid].moment_id
    assert result["invalid_senders"] == ["ghost"]
    assert result["published"] == {"zhangsan": at_first.isoformat()}

    world.state.moments.confirm_moment_task(jobid, "lisi")
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
    calls = world.state.core.calls_to("externalcontact/get_groupmsg_task")
    report = poll_results(world.services, now)
    assert report.mass_tasks == 0
    assert world.state.core.calls_to("externalcontact/get_groupmsg_task") == calls
    assert statuses(world, action_id) == {a: "unconfirmed"}
