"""Secrets at rest: each value encrypted with Fernet under the newest SCRM_SECRET_KEYS key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, utcnow


class StoredSecret(Base):
    """One named secret (e.g. WECOM_SECRET): its Fernet token and the id of the key that made it."""

    __tablename__ = "secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
