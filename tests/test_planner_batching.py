"""Batching into a handful of tasks, text rendering, idempotency keys and re-planning."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, time, timedelta

from content.calendar import Attachment, Calendar, Sequence, Step, Timing
from jobs.planner import SHANGHAI, Enrollment, Ledger, Limits, plan

NOW = datetime(2026, 3, 2, 10, 5, tzinfo=SHANGHAI)
LINK = Attachment("link", {"title": "案例", "url": "https://example.com/c"})


def calendar(text: str = "您好，我是{staff}", executor: str = "owner") -> Calendar:
    """One sequence with a day-0 step at 10:00 and a day-1 step."""
    steps = (Step("d0", "private", Timing(0, time(10)), text, (LINK,), executor=executor),
             Step("d1", "private", Timing(1, time(10)), "第二天"))
    return Calendar(sequences=(Sequence("s", "s", steps),))


def people(count: int, owners: tuple[str, ...] = ("li",), **extra: object) -> list[Enrollment]:
    """Contacts enrolled this morning, owners in turn."""
    return [Enrollment(i, f"wm{i:06d}", owners[i % len(owners)], "s", datetime(2026, 3, 2, 9, tzinfo=SHANGHAI),
                       stage="need_arises", channel="expo", name=f"客户{i}", company=f"公司{i % 2}", **extra)
            for i in range(count)]


def test_one_task_per_executor() -> None:
    result = plan(calendar(), people(9, ("li", "wang", "zhao")), Ledger(), Limits(), NOW,
                  staff_names={"li": "李雷"})
    assert sorted((s.executor, len(s.recipients)) for s in result.sends) == [("li", 3), ("wang", 3), ("zhao", 3)]
    texts = {s.executor: s.text for s in result.sends}
    assert texts == {"li": "您好，我是李雷", "wang": "您好，我是wang", "zhao": "您好，我是zhao"}
    assert all(s.attachments == (LINK,) and s.note == "" and len(s.contact_ids) == 3 for s in result.sends)


def test_named_executor_sends_for_everyone() -> None:
    result = plan(calendar(executor="boss"), people(6, ("li", "wang")), Ledger(), Limits(), NOW)
    assert [(s.executor, len(s.recipients)) for s in result.sends] == [("boss", 6)]


def test_chunks_at_max_recipients() -> None:
    result = plan(calendar(), people(25_000), Ledger(), Limits(), NOW)
    assert [len(s.recipients) for s in result.sends] == [10_000, 10_000, 5_000]
    assert len({s.key for s in result.sends}) == 3
    assert [s.key.split(":")[6] for s in result.sends] == ["0", "1", "2"]
    every = [r for s in result.sends for r in s.recipients]
    assert len(every) == len(set(every)) == 25_000


def test_per_contact_placeholders_split_the_batch() -> None:
    result = plan(calendar("{name}（{company}）您好，来自{channel}"), people(4), Ledger(), Limits(), NOW)
    assert sorted(s.text for s in result.sends) == ["客户0（公司0）您好，来自expo", "客户1（公司1）您好，来自expo",
                                                    "客户2（公司0）您好，来自expo", "客户3（公司1）您好，来自expo"]
    assert all(len(s.recipients) == 1 and "{name}" in s.note for s in result.sends)


def test_keys_are_stable_across_runs_input_order_and_missed_ticks() -> None:
    crowd = people(300, ("li", "wang"))
    first = plan(calendar(), crowd, Ledger(), Limits(), NOW)
    shuffled = crowd[:]
    random.Random(7).shuffle(shuffled)
    again = plan(calendar(), shuffled, Ledger(), Limits(), NOW)
    late = plan(calendar(), crowd, Ledger(), Limits(), NOW + timedelta(hours=5))  # ticks missed, then caught up
    assert [s.key for s in first.sends] == [s.key for s in again.sends] == [s.key for s in late.sends]
    assert [s.recipients for s in first.sends] == [s.recipients for s in again.sends]
    assert first.sends[0].key.startswith("private:s:d0:li:2026-03-02:")


def test_a_contact_due_later_in_the_same_slot_gets_its_own_key() -> None:
    early, late = people(2)
    first = plan(calendar(), [early], Ledger(), Limits(), NOW)
    second = plan(calendar(), [replace(early, done_steps=frozenset({"d0"})), late], Ledger(), Limits(), NOW)
    assert first.sends[0].key != second.sends[0].key
    assert second.sends[0].recipients == (late.external_userid,)


def test_replanning_after_marking_steps_done_yields_nothing_new() -> None:
    ledger, crowd = Ledger(), people(50, ("li", "wang"))
    first = plan(calendar(), crowd, ledger, Limits(), NOW)
    done = {cid for s in first.sends for cid in s.contact_ids}
    assert len(done) == 50
    marked = [replace(p, done_steps=p.done_steps | {"d0"}) for p in crowd]
    again = plan(calendar(), marked, ledger, Limits(), NOW + timedelta(minutes=30))
    assert (again.sends, again.deferred, again.dropped) == ([], [], [])
    tomorrow = plan(calendar(), marked, ledger, Limits(), NOW + timedelta(days=1))
    assert {s.step_id for s in tomorrow.sends} == {"d1"}
    assert tomorrow.deferred == []


def test_horizon_plans_ahead_with_distinct_slots() -> None:
    result = plan(calendar(), people(4), Ledger(), Limits(private_per_day=2, mass_send_cap="per_week"), NOW,
                  horizon=timedelta(days=1))
    assert [(s.step_id, s.due_at) for s in result.sends] == [
        ("d0", NOW), ("d1", datetime(2026, 3, 3, 10, tzinfo=SHANGHAI))]
    assert result.api_calls == 2
