"""The outbox sweeper: re-enqueue actions the outbox says are unfinished (the queue may have lost them)."""
from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app.services import Services, current_services
from app.store import outbox
from jobs.pipeline.actions import execute_action

log = logging.getLogger(__name__)


def sweep() -> int:
    """rq/scheduler entry point: re-enqueue stale outbox actions."""
    return sweep_outbox(current_services())


def sweep_outbox(services: Services, pending_after: int = 30) -> int:
    """Re-enqueue actions left pending or claimed by a dead worker, unless their job is still queued; return the
    count."""
    with services.sessions() as session:
        stale = outbox.stale_actions(session, pending_after, services.settings.action_stale_after)
    count = 0
    for action in stale:
        # A stale claim means its worker died, yet rq may list that worker's job as started for minutes:
        # the retake gets a job id of its own (claim() lets exactly one run take the action over).
        job_id = f"act-{action.id}" if action.abandoned is None else f"act-{action.id}-retake{action.abandoned}"
        try:
            if services.queues.is_active(job_id):
                continue
            count += bool(services.queues.enqueue(action.queue, execute_action, action.id, job_id=job_id))
        except RedisError:
            log.warning("outbox sweeper cannot reach the queue; stale actions wait for the next sweep")
            break
    if stale:
        log.info("outbox sweeper re-enqueued %d of %d stale actions", count, len(stale))
    return count
