"""Nurture: content versions, enrollments in sequences, per-contact deliveries and planned Moments posts."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")


class ContentVersion(Base):
    """A validated set of content files, stored whole; exactly one is active."""

    __tablename__ = "content_versions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    files: Mapped[dict] = mapped_column(JSON)
    loaded_by: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    active: Mapped[bool] = mapped_column(default=False)


class Enrollment(Base):
    """A contact in a sequence: enrolled once, keeps its place across content versions, exits with a reason."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    sequence_key: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int | None] = mapped_column(BigInteger)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    exited_reason: Mapped[str | None] = mapped_column(String(64))
    exited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("contact_id", "sequence_key", name="uq_enrollments_contact_sequence"),
                      Index("ix_enrollments_sequence", "sequence_key"))


class Delivery(Base):
    """One contact's share of one mass-send task (or a welcome), tracked to its result."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    action_id: Mapped[int] = mapped_column(BigInteger)
    contact_id: Mapped[int] = mapped_column(BigInteger)
    external_userid: Mapped[str] = mapped_column(String(64))
    sequence_key: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    touchpoint: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(64))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("action_id", "contact_id", name="uq_deliveries_action_contact"),
                      Index("ix_deliveries_contact_date", "contact_id", "local_date"),
                      Index("ix_deliveries_date", "local_date"))


class MomentPlan(Base):
    """A planned Moments post: its slot, day, senders and visibility tags (who can see it is derived from these)."""

    __tablename__ = "moment_plans"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    action_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    slot: Mapped[str] = mapped_column(String(160), index=True)
    local_date: Mapped[date] = mapped_column(Date, index=True)
    senders: Mapped[list] = mapped_column(JSON)
    tags: Mapped[list] = mapped_column(JSON)
