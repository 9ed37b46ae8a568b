"""The pure part of the nightly reconciliation: which relations to add, re-tag or mark lost, and how to chunk staff."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.store.models.contacts import ACTIVE, LOST, PENDING
from jobs.periodic.repair_plan import ADD, TAGS, Known, Listed, chunk_userids, plan_lost, plan_repairs

STAGE_TAGS = {"need_arises": "t-need", "deeper_understanding": "t-deeper", "onboarding": "t-onboard"}
OTHER = "t-channel"


def known(status: str = ACTIVE, changed_at: int = 100, stage: str = "need_arises", ext: str = "wm1",
          userid: str = "li") -> Known:
    return Known(7, 3, ext, userid, status, changed_at, stage)


def listed(tags: set[str] = frozenset({"t-need"}), createtime: int = 100, ext: str = "wm1",
           userid: str = "li") -> Listed:
    return Listed(ext, userid, "webinar_0302", createtime, frozenset(tags))


def plan(row: Listed, ours: Known | None, stage_tags: dict[str, str] = STAGE_TAGS) -> list[tuple[str, Known | None]]:
    mapping = {(ours.external_userid, ours.userid): ours} if ours else {}
    return [(r.kind, r.known) for r in plan_repairs(mapping, [row], stage_tags)]


def test_a_relation_we_do_not_have_is_added():
    assert plan(listed(), None) == [(ADD, None)]


def test_a_relation_lost_before_wecom_says_it_was_added_again_is_re_added():
    ours = known(LOST, changed_at=100)
    assert plan(listed(createtime=101), ours) == [(ADD, ours)]


@pytest.mark.parametrize("createtime", [50, 100])
def test_a_loss_newer_than_the_listed_add_is_kept(createtime):
    assert plan(listed(createtime=createtime), known(LOST, changed_at=100)) == []


@pytest.mark.parametrize(("tags", "repair"), [
    ({"t-need"}, False),
    ({"t-need", OTHER}, False),
    (set(), True),
    ({OTHER}, True),
    ({"t-deeper"}, True),
    ({"t-need", "t-deeper"}, True),
    ({"t-deeper", "t-onboard", OTHER}, True),
])
def test_an_active_relation_is_re_tagged_unless_it_carries_exactly_its_stage_tag(tags, repair):
    ours = known(ACTIVE)
    assert plan(listed(tags), ours) == ([(TAGS, ours)] if repair else [])


def test_a_stage_whose_tag_wecom_does_not_have_yet_is_always_re_tagged():
    ours = known(ACTIVE, stage="adoption")
    assert plan(listed({"t-need"}), ours) == [(TAGS, ours)]
    assert plan(listed(set()), ours) == [(TAGS, ours)]


def test_pending_relations_are_left_alone():
    assert plan(listed(set()), known(PENDING)) == []


def test_every_combination_gives_at_most_one_repair_of_the_right_kind():
    tag_sets = [frozenset(c) for n in range(3) for c in itertools.combinations([*STAGE_TAGS.values(), OTHER], n)]
    for status, stage, tags, createtime, have in itertools.product(
            (ACTIVE, PENDING, LOST), (*STAGE_TAGS, "adoption"), tag_sets, (99, 100, 101), (True, False)):
        ours = known(status, 100, stage) if have else None
        got = plan(listed(tags, createtime), ours)
        exact = tags & set(STAGE_TAGS.values()) == {STAGE_TAGS.get(stage)}
        if not have or (status == LOST and createtime > 100):
            assert got == [(ADD, ours)]
        elif status == ACTIVE and not exact:
            assert got == [(TAGS, ours)]
        else:
            assert got == []


def test_relations_are_matched_by_contact_and_staff_member():
    ours = {("wm1", "li"): known(ext="wm1", userid="li"), ("wm2", "li"): known(ext="wm2", userid="li")}
    rows = [listed(ext="wm1", userid="li"), listed(ext="wm1", userid="wang"), listed(set(), ext="wm2", userid="li")]
    assert [(r.kind, r.listed.external_userid, r.listed.userid) for r in plan_repairs(ours, rows, STAGE_TAGS)] == [
        (ADD, "wm1", "wang"), (TAGS, "wm2", "li")]


def test_lost_are_live_relations_wecom_no_longer_lists_that_predate_the_listing():
    live = [known(ACTIVE, 90, ext="wm1"), known(PENDING, 90, ext="wm2"), known(ACTIVE, 90, ext="wm3"),
            known(ACTIVE, 200, ext="wm4"), known(LOST, 90, ext="wm5")]
    assert [k.external_userid for k in plan_lost(live, {"wm3"}, started=150.5)] == ["wm1", "wm2"]


def test_a_relation_changed_in_the_listing_second_counts_as_before_it():
    assert plan_lost([known(ACTIVE, 150)], set(), started=150.2) == [known(ACTIVE, 150)]


def test_staff_are_chunked_by_100_and_by_their_known_relations():
    userids = [f"u{i}" for i in range(250)]
    assert [len(c) for c in chunk_userids(userids, {})] == [100, 100, 50]
    counts = {"u0": 5, "u1": 30, "u2": 1, "u3": 1}
    assert chunk_userids(userids[:4], counts, max_relations=10) == [["u0"], ["u1"], ["u2", "u3"]]
    assert chunk_userids([], {}) == []


@given(st.lists(st.integers(0, 50), max_size=60), st.integers(1, 7), st.integers(1, 80))
def test_chunks_keep_order_and_respect_both_budgets(loads, max_users, max_relations):
    userids = [f"u{i}" for i in range(len(loads))]
    counts = dict(zip(userids, loads, strict=True))
    chunks = chunk_userids(userids, counts, max_users, max_relations)
    assert [u for chunk in chunks for u in chunk] == userids
    for chunk in chunks:
        assert 0 < len(chunk) <= max_users
        assert len(chunk) == 1 or sum(counts[u] for u in chunk) <= max_relations
