"""Scheduler slots planned by the leader."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, utcnow


class ScheduleRun(Base):
    """One planned slot of a scheduled job: unique per (name, due_at), so a slot is planned at most once."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    epoch: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("name", "due_at", name="uq_schedule_runs_name_due"),
                      Index("ix_schedule_runs_status_planned", "status", "planned_at"),
                      Index("ix_schedule_runs_epoch", "epoch"))
