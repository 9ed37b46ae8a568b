"""Nightly inactivity: idle contacts move back with the rule's reason and a tag sync in the outbox."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rq.job import Job
from sqlalchemy import select

from app.store.models import Contact, Follow, OutboxAction, StageChange
from jobs.periodic.inactivity import evaluate_inactivity

NOW = datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc)


def add_contact(services, external_userid: str, idle_days: int, stage: str = "deeper_understanding",
                lead_status: str = "mql") -> int:
    with services.sessions() as session:
        last = NOW - timedelta(days=idle_days)
        contact = Contact(external_userid=external_userid, stage=stage, lead_status=lead_status, score=0.0,
                          stage_entered_at=last - timedelta(days=1), last_activity_at=last, created_at=last)
        session.add(contact)
        session.flush()
        session.add(Follow(contact_id=contact.id, userid="li", status="active", changed_at=1))
        session.commit()
        return contact.id


def state(services, contact_id: int) -> tuple[Contact, list[StageChange], list[OutboxAction]]:
    with services.sessions() as session:
        contact = session.get(Contact, contact_id)
        changes = session.execute(select(StageChange).where(StageChange.contact_id == contact_id)).scalars().all()
        actions = session.execute(select(OutboxAction).where(OutboxAction.contact_id == contact_id)).scalars().all()
        return contact, changes, actions


def test_idle_31_days_moves_back_with_the_reason_and_a_tag_sync(services, redis):
    idle = add_contact(services, "wm_idle31", 31)
    fresh = add_contact(services, "wm_idle29", 29)
    assert evaluate_inactivity(services, NOW) == 1

    contact, [change], [action] = state(services, idle)
    assert contact.stage == "need_arises"
    assert (change.from_value, change.to_value, change.rule_id) == ("deeper_understanding", "need_arises", "went_quiet")
    assert "31 天" in change.reason
    assert action.kind == "sync_tags"
    assert action.status == "pending"
    assert Job.fetch(f"act-{action.id}", connection=redis).origin == "wecom"

    contact, changes, actions = state(services, fresh)
    assert contact.stage == "deeper_understanding"
    assert changes == []
    assert actions == []


def test_running_twice_changes_nothing_more(services, redis):
    idle = add_contact(services, "wm_twice", 45, stage="product_selection")
    assert evaluate_inactivity(services, NOW) == 1
    assert evaluate_inactivity(services, NOW + timedelta(minutes=5)) == 0
    contact, changes, actions = state(services, idle)
    assert contact.stage == "need_arises"
    assert len(changes) == 1
    assert len(actions) == 1


def test_pages_cover_every_watched_contact(services, redis):
    ids = [add_contact(services, f"wm_page{i}", 31 if i % 2 else 10) for i in range(7)]
    lost = add_contact(services, "wm_lost", 90, lead_status="lost")
    assert evaluate_inactivity(services, NOW, page=2) == 3
    moved = {cid for cid in ids if state(services, cid)[0].stage == "need_arises"}
    assert moved == {ids[i] for i in (1, 3, 5)}
    assert state(services, lost)[0].stage == "deeper_understanding"
