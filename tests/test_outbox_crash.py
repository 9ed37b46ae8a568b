"""A worker that dies between calling WeCom and recording the result: the retry looks before it creates."""
from __future__ import annotations

from datetime import timedelta

from app.store import outbox
from app.store.models import OutboxAction, utcnow
from bots.effects import Action
from jobs.pipeline.actions import run_action

TEXT = "您好，这是一份行业报告，供参考。"


def store(world, action: Action) -> int:
    with world.services.sessions() as session:
        [(action_id, _)] = outbox.store_actions(session, [action])
        session.commit()
        assert outbox.claim(session, action_id, stale_after=120) is not None
    return action_id


def accepted(state, path: str) -> int:
    return sum(1 for call in state.core.calls if call["path"] == path and call["errcode"] == 0)


def test_mass_send_of_a_dead_worker_is_adopted_not_created_twice(world):
    ext = world.state.contacts.add_prospect("zhangsan", emit=False)["external_userid"]
    action_id = store(world, Action("mass_send", "crash-mass", {"sender": "zhangsan", "recipients": [ext], "text": TEXT,
                                                                "attachments": []}))
    world.services.gateway.sends.add_msg_template("zhangsan", [ext], TEXT)
    assert run_action(world.services, action_id, now=utcnow() + timedelta(minutes=10)) == "done"
    with world.services.sessions() as session:
        result = session.get(OutboxAction, action_id).result
    assert result["adopted"] is True
    assert [result["msgid"]] == list(world.state.campaigns.mass_tasks)
    assert accepted(world.state, "externalcontact/add_msg_template") == 1


def test_moment_of_a_dead_worker_is_adopted_not_created_twice(world):
    action_id = store(world, Action("moment", "crash-moment", {"text": TEXT, "attachments": [], "senders": ["lisi"],
                                                               "tags": []}))
    world.services.gateway.moments.add_moment_task(TEXT, sender_userids=["lisi"])
    assert run_action(world.services, action_id, now=utcnow() + timedelta(minutes=10)) == "done"
    with world.services.sessions() as session:
        assert session.get(OutboxAction, action_id).result["adopted"] is True
    assert accepted(world.state, "externalcontact/add_moment_task") == 1
    assert len(world.state.moments.moment_tasks) == 1


def test_claimed_action_is_not_run_by_a_second_worker_while_fresh(world):
    action_id = store(world, Action("moment", "fresh-claim", {"text": TEXT, "attachments": [], "senders": ["lisi"],
                                                              "tags": []}))
    assert run_action(world.services, action_id) is None
    assert accepted(world.state, "externalcontact/add_moment_task") == 0
