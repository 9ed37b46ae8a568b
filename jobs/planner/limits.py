"""Caps, quiet hours and send windows as small pure functions; all calendar days are Asia/Shanghai days."""
from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from jobs.planner.model import SHANGHAI, Limits

ONE_DAY = timedelta(days=1)


def cap_period(mode: str, day: date) -> tuple[int, ...]:
    """Return the platform cap period (calendar day, ISO week or calendar month) that `day` falls in."""
    if mode == "per_day":
        return (day.year, day.month, day.day)
    if mode == "per_week":
        iso = day.isocalendar()
        return (iso[0], iso[1])
    return (day.year, day.month)


def cap_limit(mode: str, day: date) -> int:
    """Return how many mass sends one customer may receive in the period of `day`."""
    if mode == "per_day":
        return 1
    if mode == "per_week":
        return 7
    return calendar.monthrange(day.year, day.month)[1]


def period_days(mode: str, day: date) -> Iterator[date]:
    """Yield every day of the cap period `day` falls in."""
    if mode == "per_day":
        start, length = day, 1
    elif mode == "per_week":
        start, length = day - timedelta(days=day.weekday()), 7
    else:
        start, length = day.replace(day=1), calendar.monthrange(day.year, day.month)[1]
    for offset in range(length):
        yield start + timedelta(days=offset)


def in_span(moment: time, start: time, end: time) -> bool:
    """Tell whether a wall-clock time lies in [start, end), a span that may wrap past midnight."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def is_quiet(moment: datetime, limits: Limits) -> bool:
    """Tell whether a moment falls in quiet hours (Shanghai wall clock)."""
    return in_span(moment.astimezone(SHANGHAI).time(), limits.quiet_start, limits.quiet_end)


def in_window(moment: time, at: time, until: time | None) -> bool:
    """Tell whether a wall-clock time is inside a step's daily window [at, until]; no `until`: any time."""
    if until is None:
        return True
    if at <= until:
        return at <= moment <= until
    return moment >= at or moment <= until


def _next(day: date, moment: time, target: time) -> datetime:
    """Return the next `target` wall-clock time at or after `moment` on `day`."""
    when = day if moment < target else day + ONE_DAY
    return datetime.combine(when, target, tzinfo=SHANGHAI)


def next_allowed(moment: datetime, at: time, until: time | None, limits: Limits) -> tuple[datetime | None, str | None]:
    """Return the first moment at or after `moment` outside quiet hours and inside the window, and why it moved."""
    local = moment.astimezone(SHANGHAI)
    why = None
    for _ in range(6):
        clock = local.time()
        if not in_window(clock, at, until):
            local, why = _next(local.date(), clock, at), why or "outside_window"
        elif in_span(clock, limits.quiet_start, limits.quiet_end):
            local, why = _next(local.date(), clock, limits.quiet_end), why or "quiet_hours"
        else:
            return local, why
    return None, why or "outside_window"


def day_start(day: date, at: time, until: time | None, limits: Limits) -> datetime | None:
    """Return the first allowed moment at or after `at` on `day` (it may fall on a later day), or None if none."""
    moment, _ = next_allowed(datetime.combine(day, at, tzinfo=SHANGHAI), at, until, limits)
    return moment


def due_at(anchor: date, offset: int, at: time) -> datetime:
    """Return the Shanghai moment `offset` days after `anchor` at `at`."""
    return datetime.combine(anchor + timedelta(days=offset), at, tzinfo=SHANGHAI)


def deadline(due: datetime, until: time | None, limits: Limits) -> datetime:
    """Return the last moment a send due at `due` may still go: its window's end plus max_lateness."""
    end = due if until is None else datetime.combine(due.date(), until, tzinfo=SHANGHAI)
    if end < due:
        end += ONE_DAY
    return end + limits.max_lateness


def moment_deadline(due: datetime, until: time | None, limits: Limits) -> datetime:
    """Return the last moment a Moments post may still go: like any send, but never after its own day ends.

    A feed catching up yesterday's posts would take today's staff quota and push today's posts to tomorrow,
    for good; a Moments post is timely or it is skipped.
    """
    end_of_day = datetime.combine(due.astimezone(SHANGHAI).date() + ONE_DAY, time(0), tzinfo=SHANGHAI)
    return min(deadline(due, until, limits), end_of_day)


def lookback_days(limits: Limits) -> int:
    """Return how many days back a due step can still be sent (max_lateness plus a day's window)."""
    return limits.max_lateness.days + 2


def cycle_dates(anchor: date, cycle_days: int, day: int, first: date, last: date) -> list[date]:
    """Return the dates in [first, last] on which a feed started on `anchor` is at cycle day `day`."""
    if cycle_days < 1:
        return []
    out = []
    current = max(first, anchor)
    while current <= last:
        if (current - anchor).days % cycle_days == day % cycle_days:
            out.append(current)
        current += ONE_DAY
    return out
