"""The sweeper: queues are not the source of truth, so re-enqueue what the inbox says is unfinished."""
from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app import inbox
from app.services import Services, current_services
from jobs.events import enqueue_event

log = logging.getLogger(__name__)


def sweep() -> int:
    """rq/scheduler entry point: re-enqueue stale inbox events."""
    return sweep_inbox(current_services())


def sweep_inbox(services: Services, pending_after: int = 30) -> int:
    """Re-enqueue events left pending (lost enqueue) or claimed by a dead worker; return the count."""
    with services.sessions() as session:
        stale = inbox.stale_events(session, pending_after, services.settings.inbox_stale_after)
    count = 0
    for event in stale:
        try:
            count += enqueue_event(services, event.id, unless_active=True, retake=event.abandoned)
        except RedisError:
            log.warning("sweeper cannot reach the queue; stale events wait for the next sweep")
            break
    if stale:
        log.info("sweeper re-enqueued %d of %d stale events", count, len(stale))
    return count
