"""Exits take effect at once, and only contacts in a step's audience get it."""
from __future__ import annotations

from datetime import datetime, time

import pytest

from content.calendar import Audience, Calendar, Sequence, Step, Timing
from jobs.planner import SHANGHAI, Enrollment, Ledger, Limits, plan

NOW = datetime(2026, 3, 2, 10, 5, tzinfo=SHANGHAI)
STAGES = ("need_arises", "deeper_understanding", "product_selection", "onboarding")
ANYONE = Audience()


def person(**extra: object) -> Enrollment:
    """A nurture contact enrolled this morning."""
    fields = {"stage": "need_arises", "lead_status": "new", **extra}
    return Enrollment(1, "wm1", "li", "s", datetime(2026, 3, 2, 9, tzinfo=SHANGHAI), **fields)


def run(contact: Enrollment, seq_exits: tuple[str, ...] = ("replied", "opted_out", "hot_lead", "lost"),
        step_exits: tuple[str, ...] = (), audience: Audience = ANYONE) -> tuple[list[str], list[str]]:
    """Plan one day-0 step; return the planned step ids and the drop codes."""
    step = Step("x", "private", Timing(0, time(10)), "x", audience=audience, exits=step_exits)
    cal = Calendar(sequences=(Sequence("s", "s", (step,), exits=seq_exits),))
    result = plan(cal, [contact], Ledger(), Limits(stage_order=STAGES), NOW)
    assert result.deferred == []
    for drop in result.dropped:
        assert drop.reason
        assert drop.contact_id == 1
        assert drop.step_id == "x"
    return [s.step_id for s in result.sends], [d.code for d in result.dropped]


@pytest.mark.parametrize(("contact", "seq_exits", "step_exits", "code"), [
    (person(exited="replied"), ("replied",), (), "exited:replied"),
    (person(exited="deleted_staff"), (), (), "exited:deleted_staff"),
    (person(opted_out=True), (), (), "opted_out"),  # opting out always exits
    (person(hot=True), ("hot_lead",), (), "hot_lead"),
    (person(hot=True), (), ("hot_lead",), "hot_lead"),  # a step's own exit rule
    (person(hot=True), (), (), None),
    (person(lead_status="lost"), ("lost",), (), "lost"),
    (person(stage="product_selection"), ("stage:product_selection",), (), "stage_reached:product_selection"),
    (person(stage="onboarding"), ("stage:product_selection",), (), "stage_reached:product_selection"),
    (person(stage="deeper_understanding"), ("stage:product_selection",), (), None),
    (person(stage="unknown_stage"), ("stage:product_selection",), (), None),
])
def test_exits_take_effect_at_once(contact: Enrollment, seq_exits: tuple, step_exits: tuple, code: str | None) -> None:
    sends, drops = run(contact, seq_exits, step_exits)
    assert drops == ([code] if code else [])
    assert sends == ([] if code else ["x"])


@pytest.mark.parametrize(("audience", "contact", "fits"), [
    (Audience(stages=("need_arises",)), person(), True),
    (Audience(stages=("onboarding",)), person(), False),
    (Audience(tags=("vip", "big")), person(tags=frozenset({"vip", "other"})), True),
    (Audience(tags=("vip",)), person(tags=frozenset({"other"})), False),
    (Audience(channels=("expo",)), person(channel="expo"), True),
    (Audience(channels=("expo",)), person(channel="web"), False),
    (Audience(), person(lead_status="mql"), True),
    (Audience(), person(lead_status="sql"), False),  # default audience: still in nurture (new, mql)
    (Audience(lead_statuses=("sql",)), person(lead_status="sql"), True),
    (Audience(lead_statuses=()), person(lead_status="customer"), True),
    (Audience(min_score=50), person(score=49.9), False),
    (Audience(min_score=50), person(score=50), True),
    (Audience(max_score=80), person(score=80), True),
    (Audience(max_score=80), person(score=80.1), False),
    (Audience(stages=("need_arises",), tags=("vip",), channels=("expo",), min_score=10, max_score=20),
     person(tags=frozenset({"vip"}), channel="expo", score=15), True),
    (Audience(stages=("need_arises",), tags=("vip",), channels=("expo",), min_score=10, max_score=20),
     person(tags=frozenset({"vip"}), channel="expo", score=25), False),
])
def test_audience_matching(audience: Audience, contact: Enrollment, fits: bool) -> None:
    sends, drops = run(contact, audience=audience)
    assert (sends, drops) == ((["x"], []) if fits else ([], ["audience_mismatch"]))


def test_exit_wins_over_audience_and_later_steps_of_an_exited_contact_never_come() -> None:
    steps = tuple(Step(f"d{d}", "private", Timing(d, time(10)), "x") for d in (0, 1, 2))
    cal = Calendar(sequences=(Sequence("s", "s", steps),))
    contact = person(opted_out=True, lead_status="sql", done_steps=frozenset({"d0"}))
    result = plan(cal, [contact], Ledger(), Limits(), datetime(2026, 3, 3, 10, tzinfo=SHANGHAI))
    assert result.sends == []
    assert [(d.step_id, d.code) for d in result.dropped] == [("d1", "opted_out")]
