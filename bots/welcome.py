"""The welcome message for a new contact: the channel's text, due 2 s inside WeCom's 20-second window.

Add events that carry a welcome code are processed on the `welcome` queue, which every worker serves first, and
their welcome runs inline right after the event commits (jobs.pipeline.actions.run_fast_actions): no queueing behind
slower work, never sent after the deadline, never twice (the outbox key is the code).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from app.store.models.base import as_utc
from app.wecom.events import ContactAdded
from bots import effects
from content.channels import ChannelBook

if TYPE_CHECKING:
    from app.settings import Settings

SAFETY = timedelta(seconds=2)


def welcome_action(channels: ChannelBook, settings: Settings, event: ContactAdded, received_at: datetime,
                   contact_id: int) -> effects.Action:
    """The welcome action for an add event: the channel's message, due before the code expires."""
    assert event.welcome_code is not None  # only an add event that carries a code is welcomed
    channel = channels.for_state(event.state)
    event_time = datetime.fromtimestamp(event.create_time, timezone.utc)
    deadline = min(event_time, as_utc(received_at)) + settings.welcome_window - SAFETY
    return effects.send_welcome(event.welcome_code, channel.welcome_text, channel.welcome_attachments, contact_id,
                                deadline)
