"""Platform limits as small pure functions over plain data."""
from __future__ import annotations

import calendar
from collections import deque
from typing import Iterable, Sequence

from sandbox.clock import shanghai_date
from sandbox.errors import ApiError

ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video", "file")
MAX_ATTACHMENTS = 9


def cap_period(mode: str, ts: float) -> tuple[int, ...]:
    """Return the Shanghai calendar period (day, ISO week or month) that `ts` falls in."""
    d = shanghai_date(ts)
    if mode == "per_day":
        return (d.year, d.month, d.day)
    if mode == "per_week":
        iso = d.isocalendar()
        return (iso[0], iso[1])
    return (d.year, d.month)


def cap_limit(mode: str, ts: float) -> int:
    """Return how many mass messages one customer may receive in the period of `ts`."""
    if mode == "per_day":
        return 1
    if mode == "per_week":
        return 7
    d = shanghai_date(ts)
    return calendar.monthrange(d.year, d.month)[1]


def over_cap(mode: str, received: Iterable[float], now: float) -> bool:
    """Tell whether a customer who received mass messages at `received` is at the cap now."""
    period = cap_period(mode, now)
    count = sum(1 for t in received if cap_period(mode, t) == period)
    return count >= cap_limit(mode, now)


def same_day_count(times: Iterable[float], now: float) -> int:
    """Count the timestamps that fall on the same Shanghai calendar day as `now`."""
    today = shanghai_date(now)
    return sum(1 for t in times if shanghai_date(t) == today)


def check_text(content: object, limit: int, *, by_bytes: bool = False, required: bool = False) -> str:
    """Validate a text body against a length limit (characters or UTF-8 bytes)."""
    if content is None or content == "":
        if required:
            raise ApiError(44004)
        return ""
    if not isinstance(content, str):
        raise ApiError(40058, "invalid text content")
    size = len(content.encode("utf-8")) if by_bytes else len(content)
    if size > limit:
        raise ApiError(45002, "invalid text size")
    return content


def check_attachments(attachments: object) -> list[dict]:
    """Validate the attachments of a welcome message or a mass-send task."""
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        raise ApiError(40058, "attachments must be a list")
    if len(attachments) > MAX_ATTACHMENTS:
        raise ApiError(41064)
    for item in attachments:
        kind = item.get("msgtype") if isinstance(item, dict) else None
        if kind not in ATTACHMENT_TYPES or not isinstance(item.get(kind), dict):
            raise ApiError(41065)
    return list(attachments)


def check_moment_attachments(attachments: object) -> list[dict]:
    """Validate Moments attachments: up to 9 images, or 1 video, or 1 link, never mixed."""
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        raise ApiError(40058, "attachments must be a list")
    kinds = []
    for item in attachments:
        kind = item.get("msgtype") if isinstance(item, dict) else None
        if kind not in ("image", "video", "link") or not isinstance(item.get(kind), dict):
            raise ApiError(41065, "invalid attachments msgtype")
        kinds.append(kind)
    if len(set(kinds)) > 1:
        raise ApiError(40058, "invalid attachments msgtype")
    limit = 9 if kinds and kinds[0] == "image" else 1
    if len(kinds) > limit:
        raise ApiError(41064, "invalid attachments size")
    return list(attachments)


def check_list(value: object, limit: int, name: str) -> list:
    """Validate an optional JSON list field against a maximum length."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(40058, f"{name} must be a list")
    if len(value) > limit:
        raise ApiError(40058, f"{name} exceeds {limit} items")
    return value


def page(items: Sequence, cursor: str | int | None, limit: str | int | None, *, default: int,
         maximum: int) -> tuple[list, str]:
    """Slice `items` at an opaque numeric cursor; return the page and the next cursor ('' at the end)."""
    try:
        start = int(cursor) if cursor not in (None, "") else 0
        size = int(limit) if limit not in (None, "", 0) else default
    except (TypeError, ValueError):
        raise ApiError(40058, "invalid cursor or limit") from None
    if size < 1 or size > maximum or start < 0:
        raise ApiError(40058, f"limit must be 1..{maximum}")
    chunk = list(items[start:start + size])
    return chunk, (str(start + size) if start + size < len(items) else "")


class WindowCounter:
    """Count events per key inside a sliding time window (not thread-safe: callers hold a lock)."""

    def __init__(self, span: float) -> None:
        self.span = span
        self._hits: dict[object, deque[float]] = {}

    def count(self, key: object, now: float) -> int:
        """Return how many events for `key` fall inside the window ending at `now`."""
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.span:
            hits.popleft()
        return len(hits)

    def add(self, key: object, now: float) -> int:
        """Record one event for `key` at `now` and return the count including it."""
        n = self.count(key, now) + 1
        self._hits[key].append(now)
        return n
