"""Staff, channels, tags, contacts, relations, stage changes and the timeline."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, utcnow

ACTIVE, PENDING, LOST = "active", "pending", "lost"  # a relation's status


class Staff(Base):
    """A WeCom member who follows external contacts (a follow user)."""

    __tablename__ = "staff"

    userid: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(128))
    manager_userid: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)


class Channel(Base):
    """An acquisition channel: a contact way (QR code) identified by its `state`."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    owner_userids: Mapped[list] = mapped_column(JSON, default=list)
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    welcome_attachments: Mapped[list] = mapped_column(JSON, default=list)
    initial_tags: Mapped[list] = mapped_column(JSON, default=list)
    initial_stage: Mapped[str | None] = mapped_column(String(64))
    config_id: Mapped[str | None] = mapped_column(String(128))
    qr_code: Mapped[str | None] = mapped_column(String(500))
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Tag(Base):
    """Our copy of one WeCom corp tag."""

    __tablename__ = "tags"

    tag_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[str] = mapped_column(String(64))
    group_name: Mapped[str] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_tags_group_name", "group_name", "name"),)


class Contact(Base):
    """An external contact (prospect or customer) and where they stand."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    external_userid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    corp_name: Mapped[str | None] = mapped_column(String(128))
    contact_type: Mapped[int | None] = mapped_column(Integer)
    channel_state: Mapped[str | None] = mapped_column(String(30), index=True)
    owner_userid: Mapped[str | None] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(64), index=True)
    lead_status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    nurture_stopped: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    stage_entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    details_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Follow(Base):
    """One staff–contact relation; history is kept when it is lost."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    userid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(30))
    lost_reason: Mapped[str | None] = mapped_column(String(32))
    changed_at: Mapped[int] = mapped_column(BigInteger, default=0)
    added_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("contact_id", "userid", name="uq_follows_contact_user"),
                      Index("ix_follows_userid", "userid"))


class StageChange(Base):
    """One change of a contact's stage or lead status, with what caused it."""

    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    axis: Mapped[str] = mapped_column(String(16))
    from_value: Mapped[str | None] = mapped_column(String(64))
    to_value: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(80), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Activity(Base):
    """A line in a contact's timeline: an event, a message, a tag change, a send."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_activities_contact_at", "contact_id", "at"),)
