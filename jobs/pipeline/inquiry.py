"""Newly archived prospect messages through the inquiry bot, in one transaction, their alerts carried out at once."""
from __future__ import annotations

from sqlalchemy import select

from app.services import Services
from app.store import outbox
from app.store.book import SessionBook
from app.store.models import ArchivedMessage, utcnow
from bots.inquiry import handle_message
from jobs.pipeline.actions import run_fast_actions, runs_here


def on_messages(services: Services, message_ids: list[int]) -> None:
    """Handle newly stored prospect messages, oldest first, then carry out their alerts and tag syncs right here,
    alerts first, as an event's worker does (run_fast_actions): no queueing behind a backlog."""
    with services.sessions() as session:
        rows = session.execute(select(ArchivedMessage).where(ArchivedMessage.id.in_(message_ids),
                                                             ArchivedMessage.direction == "in")
                               .order_by(ArchivedMessage.msgtime, ArchivedMessage.id)).scalars().all()
        book, actions = SessionBook(session), []
        for message in rows:
            actions += handle_message(book, services.content, services.settings, message, utcnow())
        created = outbox.insert_actions(session, actions, run_here=runs_here)
        session.commit()
        run_fast_actions(services, session, created)
