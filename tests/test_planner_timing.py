"""Timing: quiet hours, send windows, lateness and milestone-timed steps."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from content.calendar import Calendar, Sequence, Step, Timing
from jobs.planner import SHANGHAI, Enrollment, Ledger, Limits, plan


def sh(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """Build a Shanghai moment."""
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


def one_step(timing: Timing) -> Calendar:
    """A sequence with one private step and a later day-2 step at 10:00."""
    return Calendar(sequences=(Sequence("s", "s", (Step("x", "private", timing, "x"),
                                                   Step("later", "private", Timing(2, time(10)), "later"))),))


def person(**extra: object) -> Enrollment:
    """A nurture contact enrolled on 2 March at 09:00."""
    fields = {"stage": "need_arises", **extra}
    return Enrollment(1, "wm1", "li", "s", sh(2026, 3, 2, 9), **fields)


@pytest.mark.parametrize(("timing", "now", "horizon", "outcome", "code", "when"), [
    (Timing(0, time(22)), sh(2026, 3, 2, 22), 0, "deferred", "quiet_hours", sh(2026, 3, 3, 8)),
    (Timing(1, time(7, 30)), sh(2026, 3, 3, 7, 30), 0, "deferred", "quiet_hours", sh(2026, 3, 3, 8)),
    (Timing(1, time(7, 30)), sh(2026, 3, 3, 7, 30), 1, "planned", None, sh(2026, 3, 3, 8)),
    (Timing(1, time(7, 30)), sh(2026, 3, 3, 8, 10), 0, "planned", None, sh(2026, 3, 3, 8, 10)),
    (Timing(0, time(10), time(12)), sh(2026, 3, 2, 11), 0, "planned", None, sh(2026, 3, 2, 11)),
    (Timing(0, time(10), time(12)), sh(2026, 3, 2, 13), 0, "deferred", "outside_window", sh(2026, 3, 3, 10)),
    (Timing(0, time(10), time(12)), sh(2026, 3, 3, 10, 30), 0, "planned", None, sh(2026, 3, 3, 10, 30)),
    (Timing(0, time(10), time(12)), sh(2026, 3, 3, 13), 0, "dropped", "window_passed", None),
    (Timing(0, time(10)), sh(2026, 3, 2, 9, 59), 0, "nothing", None, None),
    (Timing(0, time(10)), sh(2026, 3, 2, 9), 1, "planned", None, sh(2026, 3, 2, 10)),
    (Timing(0, time(10)), sh(2026, 3, 3, 10), 0, "planned", None, sh(2026, 3, 3, 10)),  # late, within a day
    (Timing(0, time(10)), sh(2026, 3, 3, 10, 1), 0, "dropped", "window_passed", None),
    (Timing(0, time(20), time(23)), sh(2026, 3, 2, 21, 30), 0, "deferred", "quiet_hours", sh(2026, 3, 3, 20)),
    (Timing(0, time(22), time(23)), sh(2026, 3, 2, 22), 0, "dropped", "window_passed", None),  # window all quiet
])
def test_quiet_hours_windows_and_lateness(timing: Timing, now: datetime, horizon: int, outcome: str,
                                          code: str | None, when: datetime | None) -> None:
    result = plan(one_step(timing), [person()], Ledger(), Limits(), now, horizon=timedelta(hours=horizon))
    sends = [s for s in result.sends if s.step_id == "x"]
    got = "planned" if sends else "deferred" if result.deferred else "dropped" if result.dropped else "nothing"
    assert got == outcome
    if outcome == "planned":
        assert sends[0].due_at == when
    if outcome == "deferred":
        assert (result.deferred[0].code, result.deferred[0].next_at, result.deferred[0].contact_id) == (code, when, 1)
    if outcome == "dropped":
        assert result.dropped[0].code == code
        assert "stays in the sequence" in result.dropped[0].reason


def test_max_lateness_is_a_setting() -> None:
    result = plan(one_step(Timing(0, time(10))), [person()], Ledger(), Limits(max_lateness=timedelta(days=2)),
                  sh(2026, 3, 3, 15))
    assert [s.step_id for s in result.sends] == ["x"]


def test_contact_stays_in_the_sequence_after_a_dropped_step() -> None:
    result = plan(one_step(Timing(0, time(10), time(12))), [person()], Ledger(), Limits(), sh(2026, 3, 4, 10))
    assert [(d.step_id, d.code) for d in result.dropped] == [("x", "window_passed")]
    assert [s.step_id for s in result.sends] == ["later"]


def milestone_calendar() -> Calendar:
    """A step one day after the contact entered product_selection, at 10:00."""
    step = Step("sel1", "private", Timing(1, time(10), milestone="stage:product_selection"), "sel")
    return Calendar(sequences=(Sequence("s", "s", (step,)),))


@pytest.mark.parametrize(("contact", "now", "planned"), [
    (person(stage="product_selection", stage_entered_at=sh(2026, 3, 5, 15)), sh(2026, 3, 6, 9, 59), False),
    (person(stage="product_selection", stage_entered_at=sh(2026, 3, 5, 15)), sh(2026, 3, 6, 10), True),
    (person(stage="product_selection", stage_entered_at=sh(2026, 3, 5, 23, 30)), sh(2026, 3, 6, 10), True),
    (person(stage="product_selection", stage_entered_at=datetime(2026, 3, 5, 16, 30, tzinfo=SHANGHAI.__class__(
        "UTC"))), sh(2026, 3, 6, 10), False),  # 00:30 on 6 March in Shanghai: due on the 7th
    (person(stage="deeper_understanding", stage_entered_at=sh(2026, 3, 5, 15)), sh(2026, 3, 6, 10), False),
    (person(stage="onboarding", stage_entered_at=sh(2026, 3, 6, 8),
            milestones={"product_selection": sh(2026, 3, 5, 15)}), sh(2026, 3, 6, 10), True),
])
def test_milestone_timing_counts_from_the_day_the_stage_was_entered(contact: Enrollment, now: datetime,
                                                                   planned: bool) -> None:
    result = plan(milestone_calendar(), [contact], Ledger(), Limits(), now)
    assert len(result.sends) == int(planned)
    assert result.deferred == []
    assert result.dropped == []


def test_welcome_steps_are_left_to_the_welcome_job() -> None:
    cal = Calendar(sequences=(Sequence("s", "s", (Step("w", "welcome", Timing(0, time(0)), "hello"),)),))
    result = plan(cal, [person()], Ledger(), Limits(), sh(2026, 3, 2, 10))
    assert (result.sends, result.deferred, result.dropped) == ([], [], [])


def test_nothing_is_planned_for_a_day_before_lookback() -> None:
    result = plan(one_step(Timing(0, time(10))), [person()], Ledger(), Limits(), sh(2026, 4, 2, 10))
    assert (result.sends, result.deferred, result.dropped) == ([], [], [])
