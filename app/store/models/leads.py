"""Hot-lead alerts: one per contact per cool-down, with what triggered it and whether sales picked it up."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")


class LeadAlert(Base):
    """An alert to sales about a hot lead, explainable and acknowledged."""

    __tablename__ = "lead_alerts"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    owner_userid: Mapped[str] = mapped_column(String(64))
    intent: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(16))
    message_ids: Mapped[list] = mapped_column(JSON)
    explanation: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    message_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acked_by: Mapped[str | None] = mapped_column(String(64))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_lead_alerts_contact_created", "contact_id", "created_at"),
                      Index("ix_lead_alerts_open", "acked_at", "created_at"))
