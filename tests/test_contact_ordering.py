"""Duplicate and out-of-order callbacks leave the same final state as the tidy sequence."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.store.models import Contact, Follow, InboxEvent, OutboxAction
from demo.report import stage_tag_counts

STAFF, STATE = "zhangsan", "webinar_0302"


def add_and_leave(world) -> tuple[dict, dict]:
    """A prospect adds staff, then deletes them; the sandbox fires no callbacks (the test posts them)."""
    added = world.state.contacts.add_prospect(STAFF, state=STATE, emit=False)
    now = int(world.state.clock.now())
    ext = added["external_userid"]
    add = {"CreateTime": now, "ChangeType": "add_external_contact", "UserID": STAFF, "ExternalUserID": ext,
           "State": STATE, "WelcomeCode": added["welcome_code"]}
    leave = {"CreateTime": now + 1, "ChangeType": "del_follow_user", "UserID": STAFF, "ExternalUserID": ext}
    return add, leave


def final_state(world) -> dict:
    with world.services.sessions() as session:
        contacts = session.execute(select(Contact)).scalars().all()
        follows = session.execute(select(Follow)).scalars().all()
        return {
            "contacts": [(c.channel_state, c.stage, c.lead_status, c.owner_userid, c.nurture_stopped)
                         for c in contacts],
            "follows": [(f.userid, f.status, f.lost_reason) for f in follows],
        }


EXPECTED_LEFT = {
    "contacts": [(STATE, "need_arises", "lost", STAFF, "lost")],
    "follows": [(STAFF, "lost", "del_follow_user")],
}


@pytest.mark.parametrize("order", [
    ["add", "leave"],
    ["leave", "add"],
    ["add", "add", "add", "leave"],
    ["leave", "add", "leave", "add"],
])
def test_final_state_does_not_depend_on_order_or_duplicates(world, order):
    add, leave = add_and_leave(world)
    for name in order:
        world.post(add if name == "add" else leave)
        world.drain()
    assert final_state(world) == EXPECTED_LEFT
    with world.services.sessions() as session:
        assert len(session.execute(select(InboxEvent)).scalars().all()) == 2
        welcomes = session.execute(select(OutboxAction).where(OutboxAction.kind == "welcome")).scalars().all()
    assert len(welcomes) == (1 if order[0] == "add" else 0)
    assert len(world.state.contacts.welcome_messages_for(add["ExternalUserID"])) == len(welcomes)
    assert world.state.core.violation_total() == 0


def test_same_add_three_times_welcomes_and_tags_once(world):
    add, _ = add_and_leave(world)
    world.state.contacts.add_prospect(STAFF, state=STATE, external_userid=add["ExternalUserID"], emit=False)
    add["WelcomeCode"] = world.state.contacts.welcome_codes and next(
        c.code for c in world.state.contacts.welcome_codes.values()
        if c.external_userid == add["ExternalUserID"] and not c.used)
    for _ in range(3):
        world.post(add)
        world.drain()
    with world.services.sessions() as session:
        [contact] = session.execute(select(Contact)).scalars().all()
        assert (contact.channel_state, contact.stage, contact.lead_status) == (STATE, "need_arises", "new")
        kinds = sorted(a.kind for a in session.execute(select(OutboxAction)).scalars())
    assert kinds == ["fetch_contact", "sync_tags", "welcome"]
    assert len(world.state.contacts.welcome_messages_for(add["ExternalUserID"])) == 1
    assert stage_tag_counts(world.services, world.state) == {1: 1}
    assert world.state.core.violation_total() == 0
