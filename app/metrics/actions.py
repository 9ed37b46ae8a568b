"""Outbox outcomes and hot-lead alert latency, recorded when an action run ends."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.metrics.registry import ALERT_LATENCY, JOB_FAILURES, OUTBOX_ACTIONS
from app.store.models import ArchivedMessage, LeadAlert, utcnow
from app.store.models.base import as_utc


def record_outcome(session: Session, kind: str, key: str, outcome: str) -> str:
    """Count the action's outcome; an owner's hot-lead alert that went out also records its latency."""
    OUTBOX_ACTIONS.labels(kind, outcome).inc()
    if outcome == "done" and kind == "app_message" and key.startswith("alert:") and key.endswith(":owner"):
        reached = alert_reached_at(session, int(key.split(":")[1]))
        if reached is not None:
            ALERT_LATENCY.observe(max(0.0, (utcnow() - reached).total_seconds()))
    return outcome


def alert_reached_at(session: Session, alert_id: int) -> datetime | None:
    """When the alert's trigger reached us: its first stored message, or the alert itself for a link open."""
    alert = session.get(LeadAlert, alert_id)
    if alert is None:
        return None
    first = None
    if alert.message_ids:
        first = session.scalar(select(func.min(ArchivedMessage.created_at))
                               .where(ArchivedMessage.id.in_([int(i) for i in alert.message_ids])))
    return as_utc(first or alert.created_at)


def count_job_failure(job, exc_type, exc_value, traceback) -> bool:
    """rq exception handler: count the failed job by queue and exception class, then let rq go on handling it."""
    JOB_FAILURES.labels(job.origin or "unknown", getattr(exc_type, "__name__", "Exception")).inc()
    return True


def count_killed_horse(job) -> None:
    """Count a job whose forked work horse died before it could report (rq runs no exception handler then)."""
    JOB_FAILURES.labels(job.origin or "unknown", "WorkHorseKilled").inc()
