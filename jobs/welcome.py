"""The welcome fast path: send a new contact's welcome message straight from the stored event.

It runs on the `welcome` queue, which every worker serves first, so a backlog of other work never eats the
20-second window. The event's normal processing records the same action (same key), so if this job is lost
the message still goes out — and never twice.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app import outbox
from sqlalchemy import select

from app.contacts import LOST
from app.models import Contact, Follow, InboxEvent
from app.services import Services, current_services
from app.wecom.envelope import parse_flat_xml
from app.wecom.events import ContactAdded, parse_event
from bots import effects
from jobs.actions import run_action

SAFETY = timedelta(seconds=2)


def send_welcome_for_event(event_id: int) -> None:
    """rq entry point: send the welcome for one stored add event."""
    run_welcome_for_event(current_services(), event_id)


def welcome_action(services: Services, event: ContactAdded, received_at: datetime, contact_id: int | None) -> effects.Action:
    """The welcome action for an add event: the channel's message, due before the code expires."""
    channel = services.content.channels().for_state(event.state)
    event_time = datetime.fromtimestamp(event.create_time, timezone.utc)
    received = received_at if received_at.tzinfo else received_at.replace(tzinfo=timezone.utc)
    deadline = min(event_time, received) + services.settings.welcome_window - SAFETY
    return effects.send_welcome(event.welcome_code, channel.welcome_text, channel.welcome_attachments, contact_id, deadline)


def _left_since(session, event: ContactAdded) -> bool:
    """Tell whether a later event already ended this relation (callbacks can arrive out of order)."""
    changed = session.execute(
        select(Follow.changed_at).join(Contact, Contact.id == Follow.contact_id)
        .where(Contact.external_userid == event.external_userid, Follow.userid == event.userid, Follow.status == LOST)
    ).scalar()
    return changed is not None and changed > event.create_time


def run_welcome_for_event(services: Services, event_id: int) -> str | None:
    """Store the welcome action (unless the event's processing already did) and run it; return its status."""
    with services.sessions() as session:
        row = session.get(InboxEvent, event_id)
        if row is None:
            return None
        event = parse_event(parse_flat_xml(row.payload.encode("utf-8")))
        if not isinstance(event, ContactAdded) or not event.welcome_code or _left_since(session, event):
            return None
        created = outbox.store_actions(session, [welcome_action(services, event, row.received_at, None)], event_id)
        session.commit()
    return run_action(services, created[0][0]) if created else None
