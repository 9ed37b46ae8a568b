"""The one context object a handler receives: state to read and a place to record intents."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass
class BotContext:
    """What a handler sees: the session, the services, the inbox row, the clock."""

    session: Session
    services: Any
    event_id: int
    now: datetime
    effects: list[Any] = field(default_factory=list)

    def record(self, effect: Any) -> None:
        """Record an intended effect; jobs carry it out after the handler returns."""
        self.effects.append(effect)
