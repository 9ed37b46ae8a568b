"""Property: over many ticks, no contact or staff member is ever planned past a cap, and nothing in quiet hours."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content.calendar import Audience, Calendar, MomentPost, Sequence, Step, Timing
from jobs.planner import SHANGHAI, Enrollment, Ledger, Limits, plan
from jobs.planner.limits import cap_limit, is_quiet

BASE = date(2026, 2, 23)
STAGES = ("need_arises", "deeper_understanding", "product_selection")
times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 30]))
windows = st.one_of(st.none(), st.builds(time, st.integers(0, 23), st.just(59)))


@st.composite
def steps(draw: st.DrawFn, key: str) -> tuple[Step, ...]:
    """Draw a sequence's private and moment steps."""
    out = []
    for index in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(["hi {staff}", "hi {name}", "plain"]))
        milestone = draw(st.sampled_from([None, None, "stage:deeper_understanding"]))
        out.append(Step(f"{key}p{index}", "private", Timing(draw(st.integers(0, 4)), draw(times), draw(windows),
                                                            milestone), text))
    for index in range(draw(st.integers(0, 2))):
        audience = Audience(stages=draw(st.sampled_from([(), ("need_arises",), STAGES[1:]])), lead_statuses=())
        out.append(Step(f"{key}m{index}", "moment", Timing(draw(st.integers(0, 2)), draw(times)), "post",
                        audience=audience))
    return tuple(out)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Calendar, list[Enrollment], Ledger, Limits]:
    """Draw a calendar, enrollments, a prior ledger and limits."""
    sequences = tuple(Sequence(k, k, draw(steps(k)), starts_on=BASE, cycle_days=draw(st.integers(1, 3)))
                      for k in ("a", "b"))
    posts = tuple(MomentPost(f"post{i}", BASE + timedelta(days=draw(st.integers(0, 4))), draw(times), "p")
                  for i in range(draw(st.integers(0, 3))))
    people = []
    for cid in range(draw(st.integers(1, 8))):
        owner = draw(st.sampled_from(["li", "wang"]))
        enrolled = datetime.combine(BASE + timedelta(days=draw(st.integers(-2, 2))), draw(times), tzinfo=SHANGHAI)
        stage = draw(st.sampled_from(STAGES))
        for key in draw(st.sets(st.sampled_from(["a", "b"]), min_size=1)):
            people.append(Enrollment(cid, f"wm{cid}", owner, key, enrolled, stage=stage,
                                     stage_entered_at=enrolled + timedelta(hours=draw(st.integers(0, 30))),
                                     name=f"n{cid}"))
    limits = Limits(private_per_day=draw(st.integers(0, 3)), moments_per_day=draw(st.integers(0, 3)),
                    mass_send_cap=draw(st.sampled_from(["per_day", "per_week", "per_month"])),
                    moments_visible_per_day=draw(st.integers(0, 3)), moments_per_staff_per_day=draw(st.integers(0, 3)),
                    quiet_start=draw(st.sampled_from([time(21), time(22), time(12)])),
                    quiet_end=draw(st.sampled_from([time(8), time(7), time(13)])),
                    max_lateness=timedelta(hours=draw(st.integers(0, 72))), welcome_counts=draw(st.booleans()))
    ledger = Ledger()
    for cid in range(8):
        for offset in draw(st.lists(st.integers(-3, 5), max_size=3)):
            ledger.record(draw(st.sampled_from(["private", "welcome", "moment"])), cid, BASE + timedelta(days=offset))
    return Calendar(sequences, posts), people, ledger, limits


def within_caps(ledger: Ledger, limits: Limits, contact: int, day: date) -> bool:
    """Tell whether a contact's private counts on a day respect our cap and the platform's."""
    used = (ledger.count("private", contact, day)
            + (ledger.count("welcome", contact, day) if limits.welcome_counts else 0))
    mode = limits.mass_send_cap
    return used <= limits.private_per_day and ledger.mass(contact, mode, day) <= cap_limit(mode, day)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), tick_hours=st.sampled_from([1, 3, 7]), horizon=st.integers(0, 30))
def test_never_past_a_cap_never_in_quiet_hours(world: tuple, tick_hours: int, horizon: int) -> None:
    calendar, people, ledger, limits = world
    planned: set[tuple[int, str, str]] = set()
    now = datetime.combine(BASE, time(0), tzinfo=SHANGHAI)
    while now < datetime.combine(BASE + timedelta(days=6), time(0), tzinfo=SHANGHAI):
        result = plan(calendar, people, ledger, limits, now, timedelta(hours=horizon))
        for send in result.sends:
            day = send.due_at.date()
            assert not is_quiet(send.due_at, limits)
            assert send.due_at <= now + timedelta(hours=horizon)
            if send.touchpoint == "private":
                for cid in send.contact_ids:
                    assert within_caps(ledger, limits, cid, day)
                    assert (cid, send.sequence_key, send.step_id) not in planned
                    planned.add((cid, send.sequence_key, send.step_id))
            else:
                cap = min(limits.moments_per_day, limits.moments_visible_per_day)
                assert all(ledger.count("moment", cid, day) <= cap for cid in send.contact_ids)
                assert all(ledger.count("staff_moment", s, day) <= limits.moments_per_staff_per_day
                           for s in send.visibility.senders)
        for item in result.deferred:
            assert item.reason
            assert item.next_at > now
            assert not is_quiet(item.next_at, limits)
        assert all(item.reason for item in result.dropped)
        people = [replace(p, done_steps=p.done_steps | {s for c, k, s in planned if c == p.contact_id
                                                        and k == p.sequence_key}) for p in people]
        now += timedelta(hours=tick_hours)
