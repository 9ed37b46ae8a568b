"""Lead-score events, tracked links and their opens (no raw IP or user agent is stored)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")


class ScoreEventRow(Base):
    """One scored thing a contact did; the score is recomputed from these, decayed."""

    __tablename__ = "score_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_score_events_contact_at", "contact_id", "at"),)


class TrackedLink(Base):
    """A link sent in a task or message, replaced by `{public_base}/r/<token>`."""

    __tablename__ = "tracked_links"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(String(200))
    link_kind: Mapped[str | None] = mapped_column(String(32))
    action_key: Mapped[str | None] = mapped_column(String(200), index=True)
    sequence_key: Mapped[str | None] = mapped_column(String(64))
    step_id: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LinkOpen(Base):
    """One open of a tracked link; the viewer's IP and user agent are kept only as keyed hashes."""

    __tablename__ = "link_opens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ua_hash: Mapped[str] = mapped_column(String(64), default="")
    ip_hash: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_link_opens_token_opened", "token", "opened_at"),)
