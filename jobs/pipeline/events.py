"""Process inbox events: claim, parse, dispatch to the bots, mark done; one event or a relay's batch per job."""
from __future__ import annotations

import logging

from app.services import Services, current_services
from app.store import inbox, outbox
from app.store.book import SessionBook
from app.store.models import InboxEvent, utcnow
from app.store.models.base import as_utc
from app.wecom.envelope import parse_flat_xml
from app.wecom.events import parse_event
from bots import BotContext, dispatch
from jobs.pipeline.actions import run_fast_actions, runs_here

log = logging.getLogger(__name__)
BATCH = 20  # events per job from the relay: rq's own cost per job is a large share of a small event's
EVENT_QUEUES = ("welcome", "callbacks")  # events with a deadline (the fast lane), then the others


def process_event(event_id: int) -> None:
    """rq entry point: process one inbox event; safe to run twice; a failure is retried by rq."""
    run_event(current_services(), event_id)


def process_events(event_ids: list[int]) -> None:
    """rq entry point: process a batch of inbox events in order; one that fails is retried on its own."""
    run_events(current_services(), event_ids)


def run_event(services: Services, event_id: int) -> bool:
    """Process the event if we can claim it; return whether we did; re-raise a failure (after recording it)."""
    with services.sessions() as session:
        row = inbox.claim(session, event_id, services.settings.inbox_stale_after)
        if row is None:
            log.info("event %s already claimed or finished", event_id)
            return False
        _process(services, session, row)
    return True


def run_events(services: Services, event_ids: list[int]) -> int:
    """Process every event of the batch we can claim, each in its own transaction; return how many succeeded.

    A failed event is recorded and queued again alone after the retry interval for its attempt.
    """
    done = 0
    with services.sessions() as session:
        for row in inbox.claim_many(session, event_ids, services.settings.inbox_stale_after):
            try:
                _process(services, session, row)
                done += 1
            except Exception:  # noqa: BLE001 - recorded by _process; retried below
                _retry_alone(services, row.id, row.attempts)
    return done


def _process(services: Services, session, row: InboxEvent) -> None:
    """Dispatch one claimed event and commit its effects with its done mark; then run its fast actions."""
    settings, event_id, attempts = services.settings, row.id, row.attempts
    try:
        event = parse_event(parse_flat_xml(row.payload.encode("utf-8")))
        ctx = BotContext(book=SessionBook(session), settings=settings, content=services.content, event_id=event_id,
                         now=utcnow(), received_at=as_utc(row.received_at))
        handled = dispatch(event, ctx)
        created = outbox.insert_actions(session, ctx.effects, event_id, runs_here)
        inbox.finish(session, event_id)
        session.commit()
    except Exception as exc:
        final = attempts > len(settings.job_retry_intervals)
        inbox.fail(session, event_id, f"{type(exc).__name__}: {exc}", final=final)
        log.warning("event %s failed on attempt %d (final=%s): %s", event_id, attempts, final, type(exc).__name__)
        raise
    run_fast_actions(services, session, created)
    log.info("event %s (%s/%s) processed by %d handlers, %d actions", event_id, event.kind, event.change_type,
             handled, len(created))


def _retry_alone(services: Services, event_id: int, attempts: int) -> None:
    """Queue a failed event of a batch on its own after its retry interval, unless its attempts are used up."""
    intervals = services.settings.job_retry_intervals
    if attempts > len(intervals):
        return
    services.queues.enqueue_in("callbacks", intervals[attempts - 1], process_event, event_id,
                               job_id=f"evt-{event_id}-retry{attempts}")


def enqueue_events(services: Services, items: list[tuple[int, bool]]) -> None:
    """Queue freshly stored events: those with a deadline (`fast_lane`) on `welcome`, the others on `callbacks`;
    one job per event, or per batch of up to BATCH when the relay hands over several at once."""
    for queue, fast in zip(EVENT_QUEUES, (True, False), strict=True):
        ids = [event_id for event_id, on_fast_lane in items if on_fast_lane is fast]
        batches = [ids[n:n + BATCH] for n in range(0, len(ids), BATCH)]
        singles = [((batch[0],), f"evt-{batch[0]}") for batch in batches if len(batch) == 1]
        groups = [((batch,), f"evts-{batch[0]}-{len(batch)}") for batch in batches if len(batch) > 1]
        if singles:
            services.queues.enqueue_many(queue, process_event, singles)
        if groups:
            services.queues.enqueue_many(queue, process_events, groups)


def enqueue_event(services: Services, event_id: int, unless_active: bool = False, retake: int | None = None) -> bool:
    """Queue processing of an inbox event under a stable job id; with unless_active, skip one already queued.

    `retake` (the attempt whose claim went stale) gives the job an id of its own: rq may list the dead
    worker's job as started for minutes.
    """
    job_id = f"evt-{event_id}" if retake is None else f"evt-{event_id}-retake{retake}"
    if unless_active and services.queues.is_active(job_id):
        return False
    return services.queues.enqueue("callbacks", process_event, event_id, job_id=job_id)
