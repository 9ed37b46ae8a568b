"""Nightly inactivity evaluation: contacts idle past a rule's days move as the journey says, with the reason kept."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import Services, current_services
from app.store import outbox
from app.store.book import SessionBook
from app.store.models import Contact, utcnow
from bots.journey import apply_signals
from content.journey import Journey
from jobs.pipeline.actions import enqueue_actions

log = logging.getLogger(__name__)

PAGE = 500


def inactivity_job() -> int:
    """rq/scheduler entry point: evaluate inactivity rules as of now."""
    return evaluate_inactivity(current_services(), utcnow())


def evaluate_inactivity(services: Services, now: datetime, page: int = PAGE) -> int:
    """Walk watched contacts page by page, apply the inactivity rules, store and enqueue tag syncs; return moves."""
    journey = services.content.journey
    moved, after = 0, 0
    while True:
        with services.sessions() as session:
            ids = _page_ids(session, journey, after, page)
            if not ids:
                return moved
            created: list[tuple[int, str]] = []
            for contact in _lock(session, ids):
                changes, actions = apply_signals(SessionBook(session), contact, [], journey, now)
                moved += bool(changes)
                created += outbox.store_actions(session, actions)
            session.commit()
        enqueue_actions(services, created)
        after = ids[-1]
        log.info("inactivity: evaluated contacts up to id %s, %d moved so far", after, moved)


def _page_ids(session: Session, journey: Journey, after: int, size: int) -> list[int]:
    """The next page of contacts in a stage an inactivity rule watches and still in nurture, keyset-paged by id."""
    stages = {stage for rule in journey.rules if rule.on == "inactive" for stage in (rule.from_stages or [])}
    return list(session.execute(
        select(Contact.id).where(Contact.id > after, Contact.stage.in_(stages),
                                 Contact.lead_status.not_in(["lost", "customer"]))
        .order_by(Contact.id).limit(size)
    ).scalars())


def _lock(session: Session, ids: list[int]) -> list[Contact]:
    """Lock the page's contacts; rows an event handler holds right now are skipped (they are not idle)."""
    return list(session.execute(
        select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id).with_for_update(skip_locked=True)
    ).scalars())
