"""The sweeper: queues are not the source of truth, so re-enqueue what the inbox says is unfinished."""
from __future__ import annotations

import logging
from datetime import timedelta

from redis.exceptions import RedisError

from app.services import Services, current_services
from app.store import inbox
from jobs.pipeline.events import EVENT_QUEUES, enqueue_event
from jobs.pipeline.outbox_sweeper import sweep_outbox

log = logging.getLogger(__name__)


def sweep() -> int:
    """rq/scheduler entry point: re-enqueue stale inbox events."""
    return sweep_inbox(current_services())


def sweep_unfinished(services: Services) -> int:
    """Re-enqueue stale inbox events and outbox actions (the embedded default's in-process sweep)."""
    return sweep_inbox(services) + sweep_outbox(services)


def sweep_inbox(services: Services, pending_after: int = 30) -> int:
    """Re-enqueue events left pending (lost enqueue) or claimed by a dead worker; return the count.

    An event still waits in its queue while jobs queued before it do, so a pending event counts as lost only if
    it is `pending_after` older than the oldest job waiting in the event queues: re-enqueueing events that are
    merely behind a backlog would add jobs exactly when the workers have least time for them.
    """
    try:
        waiting_since = services.queues.oldest_waiting(EVENT_QUEUES)
    except RedisError:
        waiting_since = None
    pending_before = waiting_since - timedelta(seconds=pending_after) if waiting_since else None
    with services.sessions() as session:
        stale = inbox.stale_events(session, pending_after, services.settings.inbox_stale_after,
                                   pending_before=pending_before)
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
