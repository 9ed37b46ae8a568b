"""Caps, quiet hours and windows as pure functions: table-driven."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from jobs.planner.limits import (
    cap_limit,
    cap_period,
    cycle_dates,
    day_start,
    deadline,
    in_span,
    in_window,
    is_quiet,
    next_allowed,
    period_days,
)
from jobs.planner.model import SHANGHAI, Limits

LIMITS = Limits()


def sh(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """Build a Shanghai moment."""
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("mode", "day", "period", "limit"), [
    ("per_day", date(2026, 3, 2), (2026, 3, 2), 1),
    ("per_week", date(2026, 3, 2), (2026, 10), 7),
    ("per_week", date(2026, 3, 8), (2026, 10), 7),
    ("per_week", date(2025, 12, 29), (2026, 1), 7),  # ISO week 1 of 2026 starts in 2025
    ("per_month", date(2026, 2, 14), (2026, 2), 28),
    ("per_month", date(2028, 2, 14), (2028, 2), 29),
    ("per_month", date(2026, 3, 1), (2026, 3), 31),
    ("per_month", date(2026, 4, 30), (2026, 4), 30),
])
def test_cap_period_and_limit(mode: str, day: date, period: tuple, limit: int) -> None:
    assert cap_period(mode, day) == period
    assert cap_limit(mode, day) == limit
    days = list(period_days(mode, day))
    assert day in days
    assert len(days) == {"per_day": 1, "per_week": 7}.get(mode, limit)
    assert all(cap_period(mode, other) == period for other in days)


@pytest.mark.parametrize(("moment", "start", "end", "inside"), [
    (time(22), time(21), time(8), True),
    (time(7, 59), time(21), time(8), True),
    (time(8), time(21), time(8), False),
    (time(20, 59), time(21), time(8), False),
    (time(12, 30), time(12), time(14), True),
    (time(14), time(12), time(14), False),
    (time(3), time(8), time(8), False),
])
def test_in_span(moment: time, start: time, end: time, inside: bool) -> None:
    assert in_span(moment, start, end) is inside


@pytest.mark.parametrize(("moment", "at", "until", "inside"), [
    (time(11), time(10), time(12), True),
    (time(12), time(10), time(12), True),
    (time(12, 1), time(10), time(12), False),
    (time(9, 59), time(10), time(12), False),
    (time(23, 30), time(23), time(1), True),
    (time(2), time(23), time(1), False),
    (time(3), time(10), None, True),
])
def test_in_window(moment: time, at: time, until: time | None, inside: bool) -> None:
    assert in_window(moment, at, until) is inside


@pytest.mark.parametrize(("moment", "at", "until", "expected", "why"), [
    (sh(2026, 3, 2, 22), time(22), None, sh(2026, 3, 3, 8), "quiet_hours"),
    (sh(2026, 3, 2, 7, 30), time(7, 30), None, sh(2026, 3, 2, 8), "quiet_hours"),
    (sh(2026, 3, 2, 10), time(10), None, sh(2026, 3, 2, 10), None),
    (sh(2026, 3, 2, 13), time(10), time(12), sh(2026, 3, 3, 10), "outside_window"),
    (sh(2026, 3, 2, 9), time(10), time(12), sh(2026, 3, 2, 10), "outside_window"),
    (sh(2026, 3, 2, 20, 30), time(20), time(22), sh(2026, 3, 2, 20, 30), None),
    (sh(2026, 3, 2, 21, 30), time(20), time(22), sh(2026, 3, 3, 20), "quiet_hours"),
    (sh(2026, 3, 2, 22), time(22), time(23), None, "quiet_hours"),  # the whole window is quiet: never
])
def test_next_allowed(moment: datetime, at: time, until: time | None, expected: datetime | None,
                      why: str | None) -> None:
    got, reason = next_allowed(moment, at, until, LIMITS)
    assert got == expected
    assert reason == why
    if got is not None:
        assert not is_quiet(got, LIMITS)
        assert in_window(got.time(), at, until)


def test_next_allowed_reads_utc_moments_in_shanghai() -> None:
    utc = datetime(2026, 3, 2, 14, tzinfo=timezone.utc)  # 22:00 in Shanghai
    assert next_allowed(utc, time(0), None, LIMITS) == (sh(2026, 3, 3, 8), "quiet_hours")


@pytest.mark.parametrize(("due", "until", "lateness", "expected"), [
    (sh(2026, 3, 2, 10), None, timedelta(hours=24), sh(2026, 3, 3, 10)),
    (sh(2026, 3, 2, 10), time(12), timedelta(hours=24), sh(2026, 3, 3, 12)),
    (sh(2026, 3, 2, 23), time(1), timedelta(0), sh(2026, 3, 3, 1)),
    (sh(2026, 3, 2, 10), None, timedelta(days=7), sh(2026, 3, 9, 10)),
])
def test_deadline(due: datetime, until: time | None, lateness: timedelta, expected: datetime) -> None:
    assert deadline(due, until, Limits(max_lateness=lateness)) == expected


def test_day_start_skips_quiet_hours() -> None:
    assert day_start(date(2026, 3, 3), time(7), None, LIMITS) == sh(2026, 3, 3, 8)
    assert day_start(date(2026, 3, 3), time(10), time(12), LIMITS) == sh(2026, 3, 3, 10)
    assert day_start(date(2026, 3, 3), time(22), time(23), LIMITS) is None


@pytest.mark.parametrize(("anchor", "cycle", "day", "first", "last", "expected"), [
    (date(2026, 3, 1), 3, 1, date(2026, 3, 1), date(2026, 3, 8),
     [date(2026, 3, 2), date(2026, 3, 5), date(2026, 3, 8)]),
    (date(2026, 3, 1), 30, 0, date(2026, 3, 1), date(2026, 3, 31), [date(2026, 3, 1), date(2026, 3, 31)]),
    (date(2026, 3, 10), 3, 0, date(2026, 3, 1), date(2026, 3, 11), [date(2026, 3, 10)]),  # nothing before the start
    (date(2026, 3, 1), 0, 0, date(2026, 3, 1), date(2026, 3, 11), []),
])
def test_cycle_dates(anchor: date, cycle: int, day: int, first: date, last: date, expected: list[date]) -> None:
    assert cycle_dates(anchor, cycle, day, first, last) == expected


@pytest.mark.parametrize(("field", "value"), [("mass_send_cap", "per_year"), ("private_per_day", -1),
                                          ("max_recipients", 0), ("max_lateness", timedelta(-1))])
def test_limits_reject_bad_settings(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{field} "):
        Limits(**{field: value})
