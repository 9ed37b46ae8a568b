"""Hot-lead posts to a group robot: several leads per message, and one wake-up per robot while its minute is full.

A robot takes 20 messages a minute. An alert that finds the minute full waits, pending, without a job of its
own; the first of them arranges one backlog job for the robot's next free slot. That job posts the oldest
waiting alert with up to `DIGEST - 1` others, and queues itself again while more are waiting, so a burst of
alerts costs a job per post, not a job per alert per slot.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import Services, current_services
from app.store import outbox
from app.store.models import OutboxAction, utcnow
from app.wecom.errors import RateLimited
from jobs.pipeline.actions import run_action

DIGEST = 8
SCAN = 500  # pending robot alerts looked at per digest (all robots together)
QUEUE = "welcome"


def robot_alert(services: Services, session: Session, action: OutboxAction) -> dict:
    """Post this hot lead, and others waiting for the same robot, in one message."""
    key = action.payload["key"]
    wait = services.gateway.alerts.robot_wait(key)
    if wait > 0:
        _wake_later(services, key, wait)
        raise outbox.Deferred(wait, "robot rate limit", arranged=True)
    waiting = [i for i, _key in pending_for(session, robot_id(key)) if i != action.id]
    batch = [action] + [claimed for claimed in (outbox.claim(session, i, services.settings.action_stale_after)
                                                for i in waiting[:DIGEST - 1]) if claimed is not None]
    try:
        services.gateway.alerts.send_robot(key, "markdown",
                                           {"content": "\n".join(a.payload["markdown"] for a in batch)})
    except RateLimited as full:
        session.rollback()
        for other in batch[1:]:
            outbox.settle(session, other.id, "pending", error="waiting for the robot's next slot")
        delay = max(full.retry_after or 0.0, 1.0)
        _wake_later(services, key, delay)
        raise outbox.Deferred(delay, "robot rate limit", arranged=True) from full
    for other in batch[1:]:
        outbox.settle(session, other.id, "done", {"sent_with": action.id, "done_at": utcnow().isoformat()})
    if len(waiting) >= DIGEST:
        services.queues.enqueue(QUEUE, post_backlog, robot_id(key), job_id=f"robot-backlog-after-{action.id}")
    return {"leads": len(batch), "sent_at": utcnow().isoformat()}


def robot_id(key: str) -> str:
    """Name a robot without its key (the key is the robot's only credential)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def pending_for(session: Session, robot: str) -> list[tuple[int, str]]:
    """(id, key) of the alerts waiting for this robot, oldest first."""
    rows = session.execute(select(OutboxAction.id, OutboxAction.payload).where(
        OutboxAction.kind == "robot_alert", OutboxAction.status == "pending")
        .order_by(OutboxAction.id).limit(SCAN)).all()
    keys = [(i, (payload or {}).get("key", "")) for i, payload in rows]
    return [(i, key) for i, key in keys if robot_id(key) == robot]


def post_backlog(robot: str) -> str | None:
    """rq entry point: post the oldest alert still waiting for this robot (with the others that fit).

    While alerts are still waiting afterwards it queues its own successor (whatever any hold says), so none is
    left behind.
    """
    services = current_services()
    status = None
    with services.sessions() as session:
        waiting = pending_for(session, robot)
    for action_id, _key in waiting:
        status = run_action(services, action_id)
        if status is not None:
            break
    with services.sessions() as session:
        left = pending_for(session, robot)
    if left:
        key = left[0][1]
        _schedule_backlog(services, robot, max(services.gateway.alerts.robot_wait(key), 1.0))
    return status


def _wake_later(services: Services, key: str, delay: float) -> None:
    """Arrange one backlog job at the robot's next slot, unless one is already arranged."""
    robot = robot_id(key)
    if services.queues.hold(f"robot-backlog:{robot}", delay):
        _schedule_backlog(services, robot, delay)


def _schedule_backlog(services: Services, robot: str, delay: float) -> None:
    services.queues.enqueue_in(QUEUE, delay, post_backlog, robot, job_id=f"robot-backlog-{robot}-{utcnow():%H%M%S%f}")
