"""Moments: cycle days, dated posts, visibility by sender and tag, and the customer and staff daily caps."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from content.calendar import Audience, Calendar, MomentPost, Sequence, Step, Timing
from jobs.planner import SHANGHAI, Enrollment, Ledger, Limits, plan

NAMES = {"need_arises": "需求萌生", "onboarding": "上线使用"}
NEED_ARISES = Audience(stages=("need_arises",))


def sh(d: int, h: int = 9, mi: int = 5) -> datetime:
    """A Shanghai moment in March 2026."""
    return datetime(2026, 3, d, h, mi, tzinfo=SHANGHAI)


def feed(day: int = 1, cycle: int = 3, at: time = time(9), audience: Audience = NEED_ARISES,
         executor: str = "owner") -> Calendar:
    """A sequence whose only step is a moment post on cycle day `day`, starting 1 March."""
    step = Step("m", "moment", Timing(day, at), "案例分享", audience=audience, executor=executor)
    return Calendar(sequences=(Sequence("s", "s", (step,), starts_on=date(2026, 3, 1), cycle_days=cycle),))


def crowd() -> list[Enrollment]:
    """li: 3 contacts at need_arises; wang: 2 (one tagged vip); zhao: 1 at onboarding; li's #7 in another sequence."""
    rows = [(1, "li", "need_arises", ()), (2, "li", "need_arises", ()), (3, "li", "need_arises", ()),
            (4, "wang", "need_arises", ("vip",)), (5, "wang", "need_arises", ()), (6, "zhao", "onboarding", ())]
    out = [Enrollment(cid, f"wm{cid}", owner, "s", sh(1), stage=stage, tags=frozenset(tags))
           for cid, owner, stage, tags in rows]
    return out + [Enrollment(7, "wm7", "li", "other", sh(1), stage="need_arises", lead_status="customer")]


@pytest.mark.parametrize(("now", "posted"), [(sh(2), True), (sh(3), False), (sh(4), False), (sh(5), True),
                                         (sh(5, 8, 59), False), (sh(1), False)])
def test_moment_steps_follow_the_cycle(now: datetime, posted: bool) -> None:
    result = plan(feed(), crowd(), Ledger(), Limits(max_lateness=timedelta(hours=1)), now, stage_names=NAMES)
    assert bool(result.sends) is posted


def test_visibility_is_senders_and_stage_tags_and_counts_every_viewer() -> None:
    ledger = Ledger()
    result = plan(feed(), crowd(), ledger, Limits(), sh(2), stage_names=NAMES)
    [task] = result.sends
    assert task.visibility.senders == ("li", "wang")
    assert task.visibility.tags == ("需求萌生",)
    assert sorted(task.contact_ids) == [1, 2, 3, 4, 5, 7]
    assert task.recipients == tuple(f"wm{c}" for c in task.contact_ids)
    assert ledger.count("moment", 7, date(2026, 3, 2)) == 1  # not in the audience, but carries the tag: sees it
    assert ledger.count("moment", 6, date(2026, 3, 2)) == 0
    assert ledger.count("staff_moment", "li", date(2026, 3, 2)) == 1
    assert task.key.startswith("moment:s:m:")
    assert task.touchpoint == "moment"
    assert task.executor is None


def test_tag_visibility_only_reaches_tagged_contacts() -> None:
    result = plan(feed(audience=Audience(tags=("vip",), lead_statuses=())), crowd(), Ledger(), Limits(), sh(2),
                  stage_names=NAMES)
    [task] = result.sends
    assert task.visibility.senders == ("wang",)
    assert task.contact_ids == (4,)


CAP_CASES = [
    ("moment", 2, 3, Limits(), "moments_visible_cap", (2,)),
    ("moment", 2, 1, Limits(moments_per_day=1), "moments_cap_ours", (2,)),
    ("moment", 2, 1, Limits(moments_per_day=1, moments_visible_per_day=1), "moments_visible_cap", (2,)),
    ("staff_moment", "li", 3, Limits(), "staff_moments_cap", ()),
    ("staff_moment", "li", 1, Limits(moments_per_staff_per_day=1), "staff_moments_cap", ()),
]


def dated(on: date = date(2026, 3, 2), at: time = time(9)) -> Calendar:
    """A Moments-calendar post for need_arises contacts, owners as senders."""
    return Calendar(moments=(MomentPost("post", on, at, "案例分享", audience=Audience(stages=("need_arises",))),))


@pytest.mark.parametrize(("kind", "who", "count", "limits", "code", "blocking"), CAP_CASES)
def test_dated_post_defers_the_blocked_sender_only(kind: str, who: object, count: int, limits: Limits, code: str,
                                                   blocking: tuple) -> None:
    ledger = Ledger()
    ledger.record(kind, who, date(2026, 3, 2), count)
    result = plan(dated(), crowd(), ledger, limits, sh(2), stage_names=NAMES)
    assert [s.visibility.senders for s in result.sends] == [("wang",)]
    [deferral] = result.deferred
    assert (deferral.code, deferral.executor, deferral.blocking) == (code, "li", blocking)
    assert deferral.next_at == sh(3, 9, 0)
    assert deferral.reason
    assert ledger.count("moment", 1, date(2026, 3, 2)) == 0  # li's contacts were not counted


@pytest.mark.parametrize(("kind", "who", "count", "limits", "code", "blocking"), CAP_CASES)
def test_feed_post_skips_the_blocked_sender_for_the_day(kind: str, who: object, count: int, limits: Limits, code: str,
                                                        blocking: tuple) -> None:
    ledger = Ledger()
    ledger.record(kind, who, date(2026, 3, 2), count)
    result = plan(feed(), crowd(), ledger, limits, sh(2), stage_names=NAMES)
    assert [s.visibility.senders for s in result.sends] == [("wang",)]
    assert result.deferred == []
    [drop] = result.dropped
    assert (drop.code, drop.executor) == (code, "li")
    assert "too late" in drop.reason
    assert ledger.count("moment", 1, date(2026, 3, 2)) == 0


def test_feed_never_catches_up_yesterday() -> None:
    ledger = Ledger()
    ledger.record("staff_moment", "li", date(2026, 3, 2), 3)
    plan(feed(), crowd(), ledger, Limits(), sh(2), stage_names=NAMES)
    next_day = plan(feed(), crowd(), ledger, Limits(), sh(3, 9, 0), stage_names=NAMES)
    assert next_day.sends == []
    assert plan(feed(day=2), crowd(), Ledger(), Limits(), sh(3, 9, 0), stage_names=NAMES).sends != []


def test_deferred_dated_post_goes_the_next_day_and_only_once() -> None:
    ledger = Ledger()
    ledger.record("staff_moment", "li", date(2026, 3, 2), 3)
    plan(dated(), crowd(), ledger, Limits(), sh(2), stage_names=NAMES)
    next_day = plan(dated(), crowd(), ledger, Limits(), sh(3, 9, 0), stage_names=NAMES)
    assert [s.visibility.senders for s in next_day.sends] == [("li",)]
    assert plan(dated(), crowd(), ledger, Limits(), sh(3, 9, 30), stage_names=NAMES).sends == []


def test_posts_on_one_day_share_the_visible_cap() -> None:
    posts = tuple(MomentPost(f"p{i}", date(2026, 3, 2), time(9, i), f"第{i}条") for i in range(4))
    result = plan(Calendar(moments=posts), crowd(), Ledger(), Limits(moments_per_day=5, moments_per_staff_per_day=9),
                  sh(2, 10), stage_names=NAMES)
    assert [s.step_id for s in result.sends] == ["p0", "p1", "p2"]
    assert {(d.step_id, d.code) for d in result.deferred} == {("p3", "moments_visible_cap")}
    assert {d.executor for d in result.deferred} == {"li", "wang", "zhao"}


def test_dated_post_with_named_executors_and_quiet_hours() -> None:
    post = MomentPost("launch", date(2026, 3, 2), time(22), "新品发布", executors=("boss",))
    late = plan(Calendar(moments=(post,)), crowd(), Ledger(), Limits(), sh(2, 22, 0))
    assert [(d.code, d.next_at) for d in late.deferred] == [("quiet_hours", sh(3, 8, 0))]
    morning = plan(Calendar(moments=(post,)), crowd(), Ledger(), Limits(), sh(3, 8, 0))
    [task] = morning.sends
    assert task.visibility.senders == ("boss",)
    assert task.recipients == ()
    assert task.visibility.tags == ()


def test_named_executor_moment_step_and_window_passed() -> None:
    result = plan(feed(executor="boss"), crowd(), Ledger(), Limits(), sh(2))
    assert [s.visibility.senders for s in result.sends] == [("boss",)]
    missed = plan(feed(), crowd(), Ledger(), Limits(), sh(3, 9, 1))
    assert [(d.code, d.step_id, d.contact_id) for d in missed.dropped] == [("window_passed", "m", None)]


def test_replanning_a_posted_slot_yields_nothing() -> None:
    ledger = Ledger()
    first = plan(feed(), crowd(), ledger, Limits(), sh(2), stage_names=NAMES)
    again = plan(feed(), crowd(), ledger, Limits(), sh(2, 15), stage_names=NAMES)
    assert len(first.sends) == 1
    assert (again.sends, again.deferred, again.dropped) == ([], [], [])
    fresh = plan(feed(), crowd(), Ledger(), Limits(), sh(2, 15), stage_names=NAMES)
    assert [s.key for s in fresh.sends] == [s.key for s in first.sends]


def test_exited_contacts_do_not_make_their_owner_a_sender() -> None:
    people = [Enrollment(1, "wm1", "li", "s", sh(1), stage="need_arises", opted_out=True),
              Enrollment(2, "wm2", "wang", "s", sh(1), stage="need_arises")]
    [task] = plan(feed(), people, Ledger(), Limits(), sh(2), stage_names=NAMES).sends
    assert task.visibility.senders == ("wang",)
