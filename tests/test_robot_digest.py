"""Group-robot alerts: while the robot's minute is full, one deferred alert holds the wake-up for all of them."""
from __future__ import annotations

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from app.store import outbox
from app.store.models import OutboxAction
from bots.effects import Action
from jobs.pipeline.actions import enqueue_actions, run_action
from jobs.pipeline.robot_digest import post_backlog, robot_id

KEYS = ("sales-robot", "service-robot")
pytestmark = pytest.mark.world(robot_keys=KEYS)


def alerts(world, key: str, names: list[str]) -> list[int]:
    with world.services.sessions() as session:
        created = outbox.store_actions(session, [
            Action("robot_alert", f"alert:{key}:{name}", {"key": key, "markdown": f"### 🔥 {name}\n"}, queue="welcome")
            for name in names])
        session.commit()
    enqueue_actions(world.services, created)
    return [action_id for action_id, _ in created]


def fill_the_minute(world, key: str) -> None:
    for i in range(20):
        world.services.gateway.alerts.send_robot(key, "text", f"earlier post {i}")


def scheduled(world) -> list[str]:
    return ScheduledJobRegistry(queue=Queue("welcome", connection=world.redis)).get_job_ids()


def statuses(world, ids: list[int]) -> set[str]:
    with world.services.sessions() as session:
        return set(session.execute(select(OutboxAction.status).where(OutboxAction.id.in_(ids))).scalars())


def test_a_full_minute_schedules_one_wake_up_which_posts_everyone_in_digests(world):
    fill_the_minute(world, "sales-robot")
    ids = alerts(world, "sales-robot", [f"客户{i:02d}" for i in range(10)])

    outcomes = [run_action(world.services, action_id) for action_id in ids]

    assert outcomes == ["deferred"] * 10
    [wake_up] = scheduled(world)
    assert wake_up.startswith(f"robot-backlog-{robot_id('sales-robot')}-"), "one job waits for the robot's next slot"
    assert statuses(world, ids) == {"pending"}

    world.redis.delete(*world.redis.keys("wecom-limits*"))     # the robot's minute passes, for us and for WeCom
    world.state.clock.advance(61)
    assert post_backlog(robot_id("sales-robot")) == "done"      # the wake-up: the oldest alert and seven others
    world.drain()                                                # it queued one more backlog job for the rest

    posts = [m["markdown"]["content"] for m in world.state.messaging.robot_messages("sales-robot")
             if m["msgtype"] == "markdown"]
    assert len(posts) == 2
    assert sorted(len(p.split("### ")) - 1 for p in posts) == [2, 8]
    assert all("".join(posts).count(f"客户{i:02d}") == 1 for i in range(10))
    assert statuses(world, ids) == {"done"}
    with world.services.sessions() as session:
        attempts = session.execute(select(OutboxAction.attempts).where(OutboxAction.id.in_(ids))).scalars().all()
    assert attempts == [2] * 10, "each alert ran once on its own and once in a digest, never again"


def test_a_digest_carries_only_its_own_robots_leads(world):
    sales = alerts(world, "sales-robot", ["张总", "李总"])
    service = alerts(world, "service-robot", ["王工"])

    world.drain()

    assert [m["markdown"]["content"].count("### ") for m in world.state.messaging.robot_messages("sales-robot")] == [2]
    assert ["王工" in m["markdown"]["content"] for m in world.state.messaging.robot_messages("service-robot")] == [True]
    assert statuses(world, sales + service) == {"done"}
