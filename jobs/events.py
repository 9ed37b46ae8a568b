"""Process inbox events: claim, parse, dispatch to the bots, mark done."""
from __future__ import annotations

import logging

from datetime import timezone

from app import inbox, outbox
from app.models import utcnow
from app.services import Services, current_services
from app.wecom.envelope import parse_flat_xml
from app.wecom.events import parse_event
from bots import BotContext, dispatch
from jobs.actions import run_fast_actions

log = logging.getLogger(__name__)


def process_event(event_id: int) -> None:
    """rq entry point: process one inbox event; safe to run twice."""
    run_event(current_services(), event_id)


def run_event(services: Services, event_id: int) -> bool:
    """Process the event if we can claim it; return whether we did."""
    settings = services.settings
    with services.sessions() as session:
        row = inbox.claim(session, event_id, settings.inbox_stale_after)
        if row is None:
            log.info("event %s already claimed or finished", event_id)
            return False
        attempts, received_at = row.attempts, row.received_at
        try:
            event = parse_event(parse_flat_xml(row.payload.encode("utf-8")))
            ctx = BotContext(session=session, services=services, event_id=event_id, now=utcnow(),
                             received_at=received_at if received_at.tzinfo else received_at.replace(tzinfo=timezone.utc))
            handled = dispatch(event, ctx)
            created = outbox.store_actions(session, ctx.effects, event_id)
            inbox.finish(session, event_id)
            session.commit()
        except Exception as exc:
            final = attempts > len(settings.job_retry_intervals)
            inbox.fail(session, event_id, f"{type(exc).__name__}: {exc}", final=final)
            log.warning("event %s failed on attempt %d (final=%s): %s", event_id, attempts, final, type(exc).__name__)
            raise
    run_fast_actions(services, created)
    log.info("event %s (%s/%s) processed by %d handlers, %d actions", event_id, event.kind, event.change_type, handled, len(created))
    return True


def enqueue_events(services: Services, items: list[tuple[int, bool]]) -> None:
    """Queue freshly stored events: those with a deadline (`fast_lane`) on `welcome`, the others on `callbacks`."""
    for queue, fast in (("welcome", True), ("callbacks", False)):
        calls = [((event_id,), f"evt-{event_id}") for event_id, on_fast_lane in items if on_fast_lane is fast]
        if calls:
            services.queues.enqueue_many(queue, process_event, calls)


def enqueue_event(services: Services, event_id: int, unless_active: bool = False, retake: int | None = None) -> bool:
    """Queue processing of an inbox event under a stable job id; with unless_active, skip one already queued.

    `retake` (the attempt whose claim went stale) gives the job an id of its own: rq may list the dead
    worker's job as started for minutes.
    """
    job_id = f"evt-{event_id}" if retake is None else f"evt-{event_id}-retake{retake}"
    if unless_active and services.queues.is_active(job_id):
        return False
    return services.queues.enqueue("callbacks", process_event, event_id, job_id=job_id)
