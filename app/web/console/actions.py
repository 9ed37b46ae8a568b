"""Journey changes staff make by hand (stage, milestones), shared by the JSON API and the console pages."""
from __future__ import annotations

from typing import Callable

from app.services import Services
from app.store.book import SessionBook
from app.store.contact_json import contact_json
from app.store.outbox import store_actions
from app.web.console.scope import Principal, get_contact
from bots.journey import set_stage_by_hand
from jobs.pipeline.actions import enqueue_actions


def apply_change(services: Services, principal: Principal, contact_id: int, change: Callable):
    """Run `change(session, contact) -> (changes, actions)` on a visible contact, store and enqueue its effects.

    Returns (contact, changes, session-free contact JSON) or None when the contact is not visible.
    """
    with services.sessions() as session:
        contact = get_contact(session, principal, contact_id)
        if contact is None:
            return None
        changes, actions = change(session, contact)
        created = store_actions(session, actions)
        session.commit()
        enqueue_actions(services, created)
        return contact, changes, contact_json(session, contact, services.content.journey)


def set_stage(services: Services, principal: Principal, contact_id: int, stage: str, note: str):
    """Set a contact's stage by hand as the principal (the WeCom stage tag follows)."""
    journey = services.content.journey
    return apply_change(services, principal, contact_id, lambda session, contact: set_stage_by_hand(
        SessionBook(session), contact, stage, principal.actor, note[:200], journey))
