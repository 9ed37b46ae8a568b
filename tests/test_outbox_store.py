"""Storing outbox actions: one statement per event's actions, a key stored once, big batches in chunks."""
from __future__ import annotations

from sqlalchemy import func, select

from app.store import outbox
from app.store.models import OutboxAction
from bots.effects import Action


def tag_sync(key: str, queue: str = "wecom") -> Action:
    return Action("sync_tags", key, {"follow_id": 1, "add": []}, queue=queue)


def test_new_keys_are_stored_once_in_order_and_claimed_when_run_here(services):
    with services.sessions() as session:
        assert outbox.store_actions(session, [tag_sync("old")]) != []
        session.commit()
        actions = [tag_sync("b", "welcome"), tag_sync("old"), tag_sync("a"), tag_sync("b", "welcome")]
        rows = outbox.insert_actions(session, actions, event_id=7, run_here=lambda a: a.queue == "welcome")
        session.commit()
        assert [(r.key, r.status, r.attempts, r.event_id) for r in rows] == [
            ("b", "running", 1, 7), ("a", "pending", 0, 7)]
        assert rows[0].claimed_at is not None
        assert rows[1].claimed_at is None
        assert session.scalar(select(func.count()).select_from(OutboxAction)) == 3


def test_a_batch_larger_than_one_statement_is_stored_whole(services):
    keys = [f"k{n}" for n in range(1_234)]
    with services.sessions() as session:
        stored = outbox.store_actions(session, [tag_sync(key) for key in keys])
        session.commit()
        assert len(stored) == len(keys)
        assert len({action_id for action_id, _ in stored}) == len(keys)
        assert set(session.scalars(select(OutboxAction.key))) == set(keys)
