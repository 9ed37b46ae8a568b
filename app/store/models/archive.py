"""The session archive: a durable cursor per corp and the stored chat messages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")


class ArchiveCursor(Base):
    """How far the archive has been read for one corp: the last stored seq."""

    __tablename__ = "archive_cursor"

    corp_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArchivedMessage(Base):
    """One 1:1 chat message between a staff member and a prospect, read from the archive."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    msgid: Mapped[str] = mapped_column(String(128), unique=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    external_userid: Mapped[str] = mapped_column(String(64))
    userid: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(3))
    msgtime: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    msgtype: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_chat_messages_contact_time", "external_userid", "msgtime"),
                      Index("ix_chat_messages_staff_time", "userid", "msgtime"))
