"""The one context object a handler receives: state to read and a place to record intents."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bots.effects import Action


@dataclass
class BotContext:
    """What a handler sees: the session, the services, the inbox row, the clock, the content."""

    session: Session
    services: Any
    event_id: int
    now: datetime
    received_at: datetime
    effects: list[Action] = field(default_factory=list)
    kept: list[Any] = field(default_factory=list)

    @property
    def settings(self):
        """The process settings."""
        return self.services.settings

    @property
    def journey(self):
        """The journey (stages, rules, thresholds) loaded from content/."""
        return self.services.content.journey

    @property
    def channels(self):
        """Channel lookup by contact-way state."""
        return self.services.content.channels(self.session)

    def record(self, effect: Action, *rows: Any) -> None:
        """Record an intended effect; the job stores it in the outbox and carries it out after commit. `rows` the
        effect reads stay loaded in the session while the context lives (its worker's reads cost no query; the
        session's identity map holds only weak references)."""
        self.effects.append(effect)
        self.kept.extend(rows)
