"""Execute outbox actions through the gateway; every action is safe to run twice."""
from __future__ import annotations

import logging
from datetime import datetime

from app import outbox
from app.metrics.actions import record_outcome
from app.models import OutboxAction, utcnow
from app.services import Services, current_services
from app.wecom.errors import PermanentError, RateLimited
from bots.effects import INLINE_QUEUE
from jobs.executors import EXECUTORS
from app.models.base import as_utc

log = logging.getLogger(__name__)
FAST_QUEUE = "welcome"


def execute_action(action_id: int) -> None:
    """rq entry point: run one outbox action."""
    run_action(current_services(), action_id)


def run_action(services: Services, action_id: int, now: datetime | None = None) -> str | None:
    """Claim and run the action; return its new status (None when someone else holds it)."""
    with services.sessions() as session:
        action = outbox.claim(session, action_id, services.settings.action_stale_after, now)
        if action is None:
            return None
        kind, key = action.kind, action.key
        if action.not_after is not None and as_utc(action.not_after) <= (now or utcnow()):
            outbox.settle(session, action_id, "expired", error="deadline passed before execution")
            log.warning("action %s (%s) expired before execution", action_id, action.kind)
            return record_outcome(session, kind, key, "expired")
        try:
            _execute(services, session, action)
        except outbox.Deferred as later:
            outbox.settle(session, action_id, "pending", error=f"deferred {later.delay:.0f}s: {later.why}")
            if not later.arranged:
                services.queues.enqueue_in(action.queue, later.delay, execute_action, action_id,
                                           job_id=f"act-{action_id}-later{action.attempts}")
            return record_outcome(session, kind, key, "deferred")
        except PermanentError as err:
            outbox.settle(session, action_id, "failed", {"outcome": type(err).__name__, "errcode": err.errcode}, str(err))
            log.warning("action %s (%s) failed for good: %s %s", action_id, action.kind, type(err).__name__, err.errcode)
            return record_outcome(session, kind, key, "failed")
        except Exception as err:
            return _retry_or_fail(session, services, action, err)
        return record_outcome(session, kind, key, "done")


def _execute(services: Services, session, action: OutboxAction) -> None:
    """Run the action's executor and commit its work with the outcome in one transaction; our own rate limit being
    full defers the action, it is no failure."""
    try:
        result = EXECUTORS[action.kind](services, session, action)
    except RateLimited as full:
        if not full.local:
            raise
        session.rollback()
        raise outbox.Deferred(max(full.retry_after or 0.0, 1.0), f"client-side limit on {full.endpoint}") from full
    outbox.settle(session, action.id, "done", {**(result or {}), "done_at": utcnow().isoformat()}, keep=True)


def _retry_or_fail(session, services: Services, action: OutboxAction, err: Exception) -> str:
    """Record the failure; retry through the queue unless attempts are used up or the action has a deadline."""
    final = action.attempts > len(services.settings.job_retry_intervals) or action.not_after is not None
    detail = {"outcome": type(err).__name__, "errcode": getattr(err, "errcode", None)}
    outbox.settle(session, action.id, "failed" if final else "pending", detail, f"{type(err).__name__}: {err}")
    log.warning("action %s (%s) attempt %d failed (%s)%s", action.id, action.kind, action.attempts,
                type(err).__name__, "" if final else "; will retry")
    record_outcome(session, action.kind, action.key, "failed" if final else "retry")
    if final:
        return "failed"
    raise err


def enqueue_actions(services: Services, created: list[tuple[int, str]]) -> None:
    """Queue freshly stored actions on their queues."""
    for action_id, queue in created:
        services.queues.enqueue(queue, execute_action, action_id, job_id=f"act-{action_id}")


def run_fast_actions(services: Services, created: list[tuple[int, str]]) -> None:
    """Run an event's actions on the fast and inline queues right here, fast first; queue the rest.

    Welcome-queue actions cannot wait in a queue (WeCom's 20-second window); inline ones are reads the event
    needs, cheaper done at once than as a job of their own. A worker killed before it gets here leaves the action
    pending: the outbox sweeper re-queues it on its queue, where it runs (a welcome only before its deadline).
    """
    enqueue_actions(services, [(i, q) for i, q in created if q not in (FAST_QUEUE, INLINE_QUEUE)])
    for lane in (FAST_QUEUE, INLINE_QUEUE):
        for action_id, queue in created:
            if queue != lane:
                continue
            try:
                run_action(services, action_id)
            except Exception:  # noqa: BLE001 - recorded by run_action; the retry goes through the queue
                enqueue_actions(services, [(action_id, queue)])
