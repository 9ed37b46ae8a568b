"""The outbox: every outbound effect is a row with a unique key before any API call."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.store.models import OutboxAction, utcnow
from app.store.upsert import insert_ignore_many

if TYPE_CHECKING:
    from bots.effects import Action

ERROR_CHARS = 500


class Deferred(Exception):
    """Raised by an executor that cannot act yet (e.g. a robot's minute is full): run again after `delay` seconds.

    `arranged`: the executor has arranged the wake-up itself (a robot digest serves many alerts with one job).
    """

    def __init__(self, delay: float, why: str, arranged: bool = False) -> None:
        super().__init__(why)
        self.delay, self.why, self.arranged = delay, why, arranged


def store_actions(session: Session, actions: list["Action"], event_id: int | None = None) -> list[tuple[int, str]]:
    """Insert actions whose key is new (in the caller's transaction); return (id, queue) of the new ones."""
    return [(row.id, row.queue) for row in insert_actions(session, actions, event_id)]


def insert_actions(session: Session, actions: list["Action"], event_id: int | None = None,
                   run_here: Callable[["Action"], bool] = lambda action: False) -> list[OutboxAction]:
    """Insert actions whose key is new (in the caller's transaction); return the new rows.

    Those `run_here` accepts are stored already claimed (running, first attempt) by the caller, who runs them
    once the transaction commits; if it dies first, the claim goes stale and the sweeper queues them.
    """
    now, here = utcnow(), [run_here(action) for action in actions]
    rows = insert_ignore_many(session, OutboxAction, [{
        "key": action.key, "kind": action.kind, "queue": action.queue, "payload": action.payload,
        "status": "running" if mine else "pending", "attempts": 1 if mine else 0,
        "claimed_at": now if mine else None, "contact_id": action.contact_id, "event_id": event_id,
        "not_after": action.not_after, "created_at": now,
    } for action, mine in zip(actions, here, strict=True)], ["key"])
    order: dict[str, int] = {}
    for n, action in enumerate(actions):
        order.setdefault(action.key, n)
    return sorted(rows, key=lambda row: order[row.key])


def claim(session: Session, action_id: int, stale_after: int, now: datetime | None = None) -> OutboxAction | None:
    """Take the action unless it is finished or freshly claimed by another worker."""
    now = now or utcnow()
    claimed = session.scalars(
        update(OutboxAction)
        .where(OutboxAction.id == action_id)
        .where(or_(
            OutboxAction.status == "pending",
            (OutboxAction.status == "running") & (OutboxAction.claimed_at < now - timedelta(seconds=stale_after)),
        ))
        .values(status="running", claimed_at=now, attempts=OutboxAction.attempts + 1)
        .returning(OutboxAction)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).one_or_none()
    session.commit()
    return claimed


def settle(session: Session, action_id: int, status: str, result: dict | None = None, error: str | None = None,
           keep: bool = False) -> None:
    """Record the action's outcome: done, failed, expired, or back to pending for a retry.

    The caller's uncommitted work is rolled back first, unless `keep`: then it commits with the outcome.
    """
    if not keep:
        session.rollback()
    values: dict[str, Any] = {"status": status, "error": error[:ERROR_CHARS] if error else None}
    if result is not None:
        values["result"] = result
    if status != "pending":
        values["done_at"] = utcnow()
    session.execute(update(OutboxAction).where(OutboxAction.id == action_id).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()


class StaleAction(NamedTuple):
    """An action to queue again; `abandoned` is the attempt whose claim went stale (None: never picked up)."""

    id: int
    queue: str
    abandoned: int | None


def stale_actions(session: Session, pending_after: int, running_after: int, now: datetime | None = None,
                  limit: int = 500) -> list[StaleAction]:
    """Actions left pending or running too long (a lost enqueue, a dead worker)."""
    now = now or utcnow()
    rows = session.execute(
        select(OutboxAction.id, OutboxAction.queue, OutboxAction.status, OutboxAction.attempts)
        .where(or_(
            (OutboxAction.status == "pending") & (OutboxAction.created_at < now - timedelta(seconds=pending_after)),
            (OutboxAction.status == "running") & (OutboxAction.claimed_at < now - timedelta(seconds=running_after)),
        ))
        .order_by(OutboxAction.id).limit(limit)
    )
    return [StaleAction(row.id, row.queue, row.attempts if row.status == "running" else None) for row in rows]
