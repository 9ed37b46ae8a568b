"""The inbox: raw callbacks stored once, claimed by one worker at a time, never lost."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import DateTime, bindparam, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.store.models import InboxEvent, utcnow
from app.wecom.envelope import Envelope
from app.wecom.events import event_kind

ERROR_CHARS = 500
COLUMNS = ("dedupe_key", "corp_id", "kind", "change_type", "wecom_create_time", "payload", "status", "attempts",
           "received_at")
# One statement for SQLite (>= 3.35) and PostgreSQL; a plain text statement is compiled once, not per callback.
_INSERT = text(
    f"INSERT INTO inbox_events ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)}) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
).bindparams(bindparam("received_at", type_=DateTime(timezone=True)))
_SELECT_ID = text("SELECT id FROM inbox_events WHERE dedupe_key = :key")


def store_event(conn: Connection, envelope: Envelope) -> tuple[int, bool]:
    """Insert the event unless its dedupe key exists, in the caller's transaction; return (id, newly stored)."""
    fields = envelope.fields
    values = {
        "dedupe_key": envelope.dedupe_key,
        "corp_id": fields.get("ToUserName", ""),
        "kind": event_kind(fields)[:64],
        "change_type": (fields.get("ChangeType") or None) and fields["ChangeType"][:64],
        "wecom_create_time": _int(fields.get("CreateTime")),
        "payload": envelope.xml,
        "status": "pending",
        "attempts": 0,
        "received_at": utcnow(),
    }
    new_id = conn.execute(_INSERT, values).scalar()
    if new_id is not None:
        return new_id, True
    return conn.execute(_SELECT_ID, {"key": values["dedupe_key"]}).scalar_one(), False


def claim(session: Session, event_id: int, stale_after: int, now: datetime | None = None) -> InboxEvent | None:
    """Take the event for processing unless another worker holds a fresh claim or it is finished."""
    claimed = claim_many(session, [event_id], stale_after, now)
    return claimed[0] if claimed else None


def claim_many(session: Session, event_ids: list[int], stale_after: int,
               now: datetime | None = None) -> list[InboxEvent]:
    """Take every listed event that is pending, or claimed longer ago than `stale_after` seconds (its worker died),
    in one statement; return those taken, oldest first."""
    now = now or utcnow()
    stale = now - timedelta(seconds=stale_after)
    claimed = session.scalars(
        update(InboxEvent)
        .where(InboxEvent.id.in_(event_ids))
        .where(or_(InboxEvent.status == "pending",
                   (InboxEvent.status == "processing") & (InboxEvent.claimed_at < stale)))
        .values(status="processing", claimed_at=now, attempts=InboxEvent.attempts + 1)
        .returning(InboxEvent)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(claimed, key=lambda row: row.id)


def finish(session: Session, event_id: int) -> None:
    """Mark the event processed, in the caller's transaction (with what processing it wrote)."""
    session.execute(
        update(InboxEvent).where(InboxEvent.id == event_id)
        .values(status="done", processed_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )


def fail(session: Session, event_id: int, error: str, final: bool) -> None:
    """Record a failed attempt: back to pending for a retry, or failed for good."""
    session.rollback()
    session.execute(
        update(InboxEvent)
        .where(InboxEvent.id == event_id)
        .values(status="failed" if final else "pending", last_error=error[:ERROR_CHARS], claimed_at=None)
    )
    session.commit()


class StaleEvent(NamedTuple):
    """An event to queue again; `abandoned` is the attempt whose claim went stale (None: never picked up)."""

    id: int
    abandoned: int | None


def stale_events(session: Session, pending_after: int, processing_after: int, now: datetime | None = None,
                 limit: int = 500, pending_before: datetime | None = None) -> list[StaleEvent]:
    """Events left pending or claimed too long (lost enqueue, killed worker); with `pending_before`, only pending
    events received before then as well."""
    now = now or utcnow()
    pending_cutoff = now - timedelta(seconds=pending_after)
    if pending_before is not None:
        pending_cutoff = min(pending_cutoff, pending_before)
    rows = session.execute(
        select(InboxEvent.id, InboxEvent.status, InboxEvent.attempts)
        .where(
            or_(
                (InboxEvent.status == "pending") & (InboxEvent.received_at < pending_cutoff),
                (InboxEvent.status == "processing")
                & (InboxEvent.claimed_at < now - timedelta(seconds=processing_after)),
            )
        )
        .order_by(InboxEvent.id)
        .limit(limit)
    )
    return [StaleEvent(row.id, row.attempts if row.status == "processing" else None) for row in rows]


def _int(value: str | None) -> int:
    try:
        number = int(value or 0)
    except ValueError:
        return 0
    return number if 0 <= number < 2**62 else 0
