"""Pure slot logic: which slots are due after downtime, a clock going backwards, nightly catch-up only once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.settings import Settings
from jobs.schedule.ticks import DAY, UNIX_EPOCH, due_slots, latest_slot, schedule_table

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVERY = timedelta(seconds=30)
NIGHTLY = datetime(2000, 1, 1, 2, 30, tzinfo=SHANGHAI)


def at(h: int, m: int, s: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, h, m, s, tzinfo=SHANGHAI)


def test_latest_slot_is_aligned_to_the_interval():
    assert latest_slot(at(9, 0, 0), EVERY) == at(9, 0, 0)
    assert latest_slot(at(9, 0, 29), EVERY) == at(9, 0, 0)
    assert latest_slot(at(9, 0, 31), EVERY) == at(9, 0, 30)


def test_first_run_plans_only_the_latest_slot():
    assert due_slots(None, at(9, 0, 45), EVERY, cap=5) == [at(9, 0, 30)]
    assert due_slots(None, at(9, 0), DAY, NIGHTLY) == [at(2, 30)]


def test_nothing_due_within_the_same_slot():
    assert due_slots(at(9, 0, 30), at(9, 0, 59), EVERY, cap=5) == []


def test_next_slot_is_due_once_reached():
    assert due_slots(at(9, 0, 30), at(9, 1, 0), EVERY, cap=5) == [at(9, 1, 0)]


def test_missed_ticks_are_caught_up_oldest_first_up_to_the_cap():
    assert due_slots(at(9, 0), at(9, 1, 40), EVERY, cap=5) == [at(9, 0, 30), at(9, 1), at(9, 1, 30)]
    assert due_slots(at(9, 0), at(12, 0, 10), EVERY, cap=3) == [at(11, 59), at(11, 59, 30), at(12, 0)]


def test_clock_going_backwards_plans_nothing():
    assert due_slots(at(9, 5), at(9, 0), EVERY, cap=5) == []
    assert due_slots(at(2, 30, day=3), at(23, 0, day=2), DAY, NIGHTLY) == []


def test_nightly_before_the_hour_is_not_due_yet():
    assert due_slots(at(2, 30, day=1), at(2, 29, 59), DAY, NIGHTLY) == []
    assert due_slots(at(2, 30, day=1), at(2, 30), DAY, NIGHTLY) == [at(2, 30)]


def test_nightly_after_days_of_downtime_runs_only_once():
    slots = due_slots(at(2, 30, day=1), at(10, 0, day=6), DAY, NIGHTLY)
    assert slots == [at(2, 30, day=6)]
    assert due_slots(slots[-1], at(23, 59, day=6), DAY, NIGHTLY) == []


def test_nightly_slot_is_shanghai_wall_clock_whatever_zone_now_is_in():
    now_utc = datetime(2026, 3, 1, 18, 31, tzinfo=timezone.utc)
    assert due_slots(None, now_utc, DAY, NIGHTLY) == [at(2, 30)]


def test_unaligned_last_slot_still_yields_aligned_slots():
    assert due_slots(at(9, 0, 7), at(9, 1, 5), EVERY, cap=5) == [at(9, 0, 30), at(9, 1)]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="cap must be at least 1 and interval positive"):
        due_slots(None, at(9, 0), EVERY, cap=0)
    with pytest.raises(ValueError, match="cap must be at least 1 and interval positive"):
        due_slots(None, at(9, 0), timedelta(0))


def test_schedule_table_follows_the_settings():
    table = {job.name: job
             for job in schedule_table(Settings(_env_file=None, sweep_interval_seconds=5, nightly_at="03:15"))}
    assert table["sweep_inbox"].interval == timedelta(seconds=5)
    assert not table["sweep_inbox"].nightly
    assert table["nightly_reconcile"].target == "jobs.periodic.reconcile.reconcile_job"
    nightly = table["nightly_inactivity"]
    assert nightly.nightly
    assert nightly.catch_up == 1
    assert (nightly.anchor.hour, nightly.anchor.minute) == (3, 15)


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc))


@given(last=st.none() | moments, now=moments, seconds=st.sampled_from([1, 30, 60, 3600, 86400]), cap=st.integers(1, 10))
def test_due_slots_properties(last, now, seconds, cap):
    interval = timedelta(seconds=seconds)
    slots = due_slots(last, now, interval, UNIX_EPOCH, cap)
    assert len(slots) <= cap
    assert slots == sorted(set(slots))
    assert all(s <= now and (s - UNIX_EPOCH) % interval == timedelta(0) for s in slots)
    if last is not None:
        assert all(s > last for s in slots)
        if slots:
            assert slots[-1] == latest_slot(now, interval)
            assert due_slots(slots[-1], now, interval, UNIX_EPOCH, cap) == []
        missed = 0 if now < last else (latest_slot(now, interval) - latest_slot(last, interval)) // interval
        assert len(slots) == min(cap, max(missed, 0))
    else:
        assert slots == [latest_slot(now, interval)]
