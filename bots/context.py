"""What a handler receives: the event's context, and the ports through which it reads and records.

Bots decide; they open no session, commit nothing and call no WeCom API. They read and record contact state
through a `ContactBook` (the job that runs them owns the transaction and commits it with the event's done mark)
and return WeCom work as outbox effects (`ctx.record`), carried out after the commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bots.effects import Action
from content.channels import ChannelBook
from content.journey import Journey

if TYPE_CHECKING:
    from app.settings import Settings
    from app.store.models import Contact, Follow, LeadAlert, StageChange
    from bots.intents import IntentModel
    from content.scoring import ScoringConfig


class Content(Protocol):
    """The content files a decision reads (validated, cached by the process)."""

    @property
    def journey(self) -> Journey: ...

    @property
    def intents(self) -> IntentModel: ...

    @property
    def scoring(self) -> ScoringConfig: ...

    def channels(self) -> ChannelBook: ...


class ContactBook(Protocol):
    """Contact state as the bots see it: reads, and writes recorded in the caller's unit of work."""

    def contact(self, external_userid: str, initial_stage: str, reason: str | None = None,
                event_id: int | None = None, expect_new: bool = False) -> Contact:
        """The contact, locked for the unit of work; created at `initial_stage` when new."""

    def known_contact(self, external_userid: str) -> Contact | None:
        """The contact, locked for the unit of work, or None when we have no row for it."""

    def follow(self, contact: Contact, userid: str, expect_new: bool = False) -> Follow:
        """The staff–contact relation, locked; an empty pending one when new."""

    def live_follows(self, contact_id: int) -> list[Follow]:
        """Relations still in place, oldest first."""

    def change_axis(self, contact: Contact, axis: str, to_value: str, reason: str, *, rule_id: str | None = None,
                    event_id: int | None = None, actor: str = "system",
                    at: datetime | None = None) -> StageChange | None:
        """Move the contact's stage or lead status, recording why; None when nothing changed."""

    def add_activity(self, contact_id: int, kind: str, summary: str, *, event_id: int | None = None,
                     detail: dict | None = None, at: datetime | None = None) -> None:
        """Append a line to the contact's timeline."""

    def record_score(self, contact: Contact, kind: str, detail: dict | None, at: datetime, content: Content,
                     event_id: int | None = None) -> list[StageChange]:
        """Store a score event, rescore the contact and return the lead-status changes it caused."""

    def touches(self, contact_id: int) -> int:
        """How many nurture sends reached the contact."""

    def recent_alert(self, contact_id: int, since: datetime) -> LeadAlert | None:
        """The contact's newest alert raised since `since`, if any."""

    def add_alert(self, alert: LeadAlert) -> LeadAlert:
        """Store a new alert (its id assigned)."""

    def recent_inbound(self, external_userid: str, limit: int) -> list[str]:
        """The texts of the prospect's last `limit` messages, oldest first."""

    def forget_tag(self, tag_id: str, group: bool) -> None:
        """Mark a corp tag (or every tag of a group) deleted in our copy of the catalogue."""

    def flush(self) -> None:
        """Assign ids to the rows recorded so far (still inside the unit of work)."""


@dataclass
class BotContext:
    """What a handler sees: the contact book, the settings and content, the inbox row's id and times."""

    book: ContactBook
    settings: Settings
    content: Content
    event_id: int
    now: datetime
    received_at: datetime
    effects: list[Action] = field(default_factory=list)
    kept: list[Any] = field(default_factory=list)

    @property
    def journey(self) -> Journey:
        """The journey (stages, rules, thresholds) loaded from content/."""
        return self.content.journey

    @property
    def channels(self) -> ChannelBook:
        """Channel lookup by contact-way state."""
        return self.content.channels()

    def record(self, effect: Action, *rows: Any) -> None:
        """Record an intended effect; the job stores it in the outbox and carries it out after commit. `rows` the
        effect reads stay loaded in the unit of work while the context lives (its worker's reads cost no query;
        the session's identity map holds only weak references)."""
        self.effects.append(effect)
        self.kept.extend(rows)
