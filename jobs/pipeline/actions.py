"""Execute outbox actions through the gateway; every action is safe to run twice."""
from __future__ import annotations

import logging
from datetime import datetime

from app.metrics.actions import record_outcome
from app.services import Services, current_services
from app.store import outbox
from app.store.models import OutboxAction, utcnow
from app.store.models.base import as_utc
from app.wecom.errors import PermanentError, RateLimited
from bots.effects import INLINE_QUEUE, Action

log = logging.getLogger(__name__)
FAST_QUEUE = "welcome"
RUN_HERE_QUEUES = frozenset({FAST_QUEUE, INLINE_QUEUE})
RUN_HERE_KINDS = frozenset({"sync_tags"})  # an event's tag syncs: tags are what sales filter on in WeCom


def runs_here(action: Action) -> bool:
    """Whether an event's worker runs this effect of the event itself, right after the event commits."""
    return action.queue in RUN_HERE_QUEUES or action.kind in RUN_HERE_KINDS


def execute_action(action_id: int) -> None:
    """rq entry point: run one outbox action."""
    run_action(current_services(), action_id)


def run_action(services: Services, action_id: int, now: datetime | None = None) -> str | None:
    """Claim and run the action; return its new status (None when someone else holds it)."""
    with services.sessions() as session:
        action = outbox.claim(session, action_id, services.settings.action_stale_after, now)
        if action is None:
            return None
        return run_claimed(services, session, action, now)


def run_claimed(services: Services, session, action: OutboxAction, now: datetime | None = None) -> str:
    """Run an action this worker holds the claim on; commit its work with its outcome; return the outcome.

    A failure that will be retried is re-raised after it is recorded (the caller's queue retries it).
    """
    action_id, kind, key = action.id, action.kind, action.key
    if action.not_after is not None and as_utc(action.not_after) <= (now or utcnow()):
        outbox.settle(session, action_id, "expired", error="deadline passed before execution")
        log.warning("action %s (%s) expired before execution", action_id, kind)
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
        log.warning("action %s (%s) failed for good: %s %s", action_id, kind, type(err).__name__, err.errcode)
        return record_outcome(session, kind, key, "failed")
    except Exception as err:
        return _retry_or_fail(session, services, action, err)
    return record_outcome(session, kind, key, "done")


def _execute(services: Services, session, action: OutboxAction) -> None:
    """Run the action's executor and commit its work with the outcome in one transaction; our own rate limit being
    full defers the action, it is no failure."""
    try:
        result = services.executors[action.kind](services, session, action)
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


def run_fast_actions(services: Services, session, created: list[OutboxAction]) -> None:
    """Run the event's actions it stored claimed (`runs_here`) right here, in its session, welcome first; queue
    the rest.

    Welcome-queue actions cannot wait in a queue (WeCom's 20-second window); contact reads and tag syncs are
    cheaper done at once than as jobs of their own, and a backlog of callbacks cannot starve them. A worker
    killed before it gets here leaves them claimed: once the claim is stale the outbox sweeper re-queues them (a
    welcome runs only before its deadline).
    """
    enqueue_actions(services, [(a.id, a.queue) for a in created if a.status != "running"])
    mine = [a for a in created if a.status == "running"]
    for action in sorted(mine, key=lambda a: a.queue != FAST_QUEUE):
        try:
            run_claimed(services, session, action)
        except Exception:  # noqa: BLE001 - recorded by run_claimed; the retry goes through the queue
            enqueue_actions(services, [(action.id, action.queue)])
