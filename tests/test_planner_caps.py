"""Per-contact caps: the platform's mass-send cap in all three modes and our own private cap across sequences."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from content.calendar import Calendar, Sequence, Step, Timing
from jobs.planner import SHANGHAI, Enrollment, Ledger, Limits, plan


def sh(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """Build a Shanghai moment."""
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


def calendar(*keys: str) -> Calendar:
    """One sequence per key, each with a day-0 private step at 10:00."""
    return Calendar(sequences=tuple(Sequence(k, k, (Step(f"{k}0", "private", Timing(0, time(10)), "hi"),))
                                    for k in keys))


def person(seq: str, enrolled: datetime, cid: int = 1) -> Enrollment:
    """A nurture contact of staff li."""
    return Enrollment(cid, f"wm{cid}", "li", seq, enrolled, stage="need_arises")


def history(*days: date, kind: str = "private", cid: int = 1) -> Ledger:
    """A ledger with one send per listed day."""
    ledger = Ledger()
    for day in days:
        ledger.record(kind, cid, day)
    return ledger


@pytest.mark.parametrize(("mode", "prior", "now", "lateness", "outcome", "next_at"), [
    ("per_day", [], sh(2026, 3, 4, 10), 1, "planned", None),
    ("per_day", [date(2026, 3, 3)], sh(2026, 3, 4, 10), 1, "planned", None),
    ("per_day", [date(2026, 3, 4)], sh(2026, 3, 4, 10), 1, "deferred", sh(2026, 3, 5, 10)),
    ("per_week", [date(2026, 3, d) for d in (2, 3, 3, 4, 4, 4)], sh(2026, 3, 4, 10), 1, "planned", None),
    ("per_week", [date(2026, 3, d) for d in (2, 3, 3, 4, 4, 4, 4)], sh(2026, 3, 4, 10), 7, "deferred",
     sh(2026, 3, 9, 10)),
    ("per_week", [date(2026, 3, d) for d in (2, 3, 3, 4, 4, 4, 4)], sh(2026, 3, 4, 10), 1, "dropped", None),
    ("per_week", [date(2025, 12, d) for d in (29, 29, 30, 30, 31, 31, 31)], sh(2026, 1, 2, 10), 7, "deferred",
     sh(2026, 1, 5, 10)),  # ISO week 2026-W01 began on 2025-12-29
    ("per_week", [date(2025, 12, d) for d in (22, 23, 24, 25, 26, 27, 28)], sh(2026, 1, 2, 10), 7, "planned", None),
    ("per_month", [date(2026, 2, 1 + d % 19) for d in range(27)], sh(2026, 2, 20, 10), 10, "planned", None),
    ("per_month", [date(2026, 2, 1 + d % 19) for d in range(28)], sh(2026, 2, 20, 10), 10, "deferred",
     sh(2026, 3, 1, 10)),  # February has 28 days
    ("per_month", [date(2026, 3, 1 + d % 19) for d in range(28)], sh(2026, 3, 20, 10), 10, "planned", None),
    ("per_month", [date(2026, 3, 1 + d % 19) for d in range(30)], sh(2026, 3, 20, 10), 10, "planned", None),
    ("per_month", [date(2026, 3, 1 + d % 19) for d in range(31)], sh(2026, 3, 20, 10), 15, "deferred",
     sh(2026, 4, 1, 10)),  # March has 31
])
def test_platform_mass_send_cap(mode: str, prior: list[date], now: datetime, lateness: int, outcome: str,
                                next_at: datetime | None) -> None:
    limits = Limits(private_per_day=50, mass_send_cap=mode, max_lateness=timedelta(days=lateness))
    result = plan(calendar("a"), [person("a", now.replace(hour=9))], history(*prior), limits, now)
    assert {"planned": len(result.sends), "deferred": len(result.deferred), "dropped": len(result.dropped)} == {
        "planned": int(outcome == "planned"), "deferred": int(outcome == "deferred"),
        "dropped": int(outcome == "dropped")}
    for item in result.deferred + result.dropped:
        assert item.code == "mass_send_cap_platform"
        assert mode in item.reason
    if next_at is not None:
        assert result.deferred[0].next_at == next_at


@pytest.mark.parametrize(("private_per_day", "mode", "codes"), [
    (1, "per_day", ["private_cap_ours"]),
    (2, "per_day", ["mass_send_cap_platform"]),
    (2, "per_week", []),
    (2, "per_month", []),
])
def test_our_private_cap_counts_across_sequences(private_per_day: int, mode: str, codes: list[str]) -> None:
    now = sh(2026, 3, 4, 10, 5)
    people = [person("a", sh(2026, 3, 4, 9)), person("b", sh(2026, 3, 4, 9))]
    result = plan(calendar("a", "b"), people, Ledger(), Limits(private_per_day=private_per_day, mass_send_cap=mode),
                  now)
    assert [d.code for d in result.deferred] == codes
    assert [s.sequence_key for s in result.sends] == (["a"] if codes else ["a", "b"])  # older/first sequence wins
    if codes:
        assert result.deferred[0].step_id == "b0"
        assert result.deferred[0].next_at == sh(2026, 3, 5, 10)


@pytest.mark.parametrize(("counts", "private_before", "deferred"), [(True, 0, True), (False, 0, False)])
def test_welcome_message_counts_against_our_cap_when_set(counts: bool, private_before: int, deferred: bool) -> None:
    now = sh(2026, 3, 4, 10, 5)
    ledger = history(date(2026, 3, 4), kind="welcome")
    result = plan(calendar("a"), [person("a", sh(2026, 3, 4, 9))], ledger, Limits(welcome_counts=counts), now)
    assert [d.code for d in result.deferred] == (["private_cap_ours"] if deferred else [])
    assert len(result.sends) == int(not deferred)


def test_ledger_is_updated_so_two_steps_in_one_run_cannot_share_the_last_slot() -> None:
    cal = Calendar(sequences=(Sequence("a", "a", (Step("x", "private", Timing(0, time(10)), "x"),
                                                  Step("y", "private", Timing(0, time(10)), "y"))),))
    ledger = Ledger()
    result = plan(cal, [person("a", sh(2026, 3, 4, 9))], ledger, Limits(), sh(2026, 3, 4, 10))
    assert [s.step_id for s in result.sends] == ["x"]
    assert [(d.step_id, d.code) for d in result.deferred] == [("y", "private_cap_ours")]
    assert ledger.count("private", 1, date(2026, 3, 4)) == 1
    assert ledger.mass(1, "per_week", date(2026, 3, 4)) == 1
    assert ledger.mass(1, "per_month", date(2026, 3, 4)) == 1


def test_cap_deferral_within_horizon_is_planned_on_the_next_allowed_day() -> None:
    ledger = history(date(2026, 3, 4))
    result = plan(calendar("a"), [person("a", sh(2026, 3, 4, 9))], ledger, Limits(), sh(2026, 3, 4, 10),
                  horizon=timedelta(days=1))
    assert [s.due_at for s in result.sends] == [sh(2026, 3, 5, 10)]
    assert result.deferred == []
    assert ledger.count("private", 1, date(2026, 3, 5)) == 1
