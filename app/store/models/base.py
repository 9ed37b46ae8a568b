"""The declarative base and the clock every model uses."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import overload

from sqlalchemy.orm import DeclarativeBase


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """Read a stored time as aware UTC (SQLite hands back naive datetimes)."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def iso(value: datetime | None) -> str | None:
    """A stored time as ISO 8601 in UTC with its offset, the same from SQLite (naive) and PostgreSQL (session zone)."""
    utc = as_utc(value)
    return utc.astimezone(timezone.utc).isoformat() if utc is not None else None


class Base(DeclarativeBase):
    """Declarative base shared by every model."""
