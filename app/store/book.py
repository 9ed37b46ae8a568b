"""`SessionBook`: the bots' ContactBook over one SQLAlchemy session (the caller owns the transaction)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.store import contacts
from app.store.lead_scores import record_score_event
from app.store.models import ArchivedMessage, Contact, Delivery, Follow, LeadAlert, StageChange, Tag
from bots.context import Content


class SessionBook:
    """Reads and writes of contact state inside the caller's session; nothing here commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def contact(self, external_userid: str, initial_stage: str, reason: str | None = None,
                event_id: int | None = None, expect_new: bool = False) -> Contact:
        """The contact, locked; created at `initial_stage` when new."""
        return contacts.get_or_create_contact(self.session, external_userid, initial_stage, reason, event_id,
                                              expect_new)[0]

    def known_contact(self, external_userid: str) -> Contact | None:
        """The contact, locked, or None."""
        return self.session.execute(select(Contact).where(Contact.external_userid == external_userid)
                                    .with_for_update()).scalar_one_or_none()

    def follow(self, contact: Contact, userid: str, expect_new: bool = False) -> Follow:
        """The relation, locked; an empty pending one when new."""
        return contacts.get_or_create_follow(self.session, contact, userid, expect_new)

    def live_follows(self, contact_id: int) -> list[Follow]:
        """Relations still in place, oldest first."""
        return contacts.active_follows(self.session, contact_id)

    def change_axis(self, contact: Contact, axis: str, to_value: str, reason: str, *, rule_id: str | None = None,
                    event_id: int | None = None, actor: str = "system",
                    at: datetime | None = None) -> StageChange | None:
        """Move a stage or lead status, recording why."""
        return contacts.change_axis(self.session, contact, axis, to_value, reason, rule_id=rule_id,
                                    event_id=event_id, actor=actor, at=at)

    def add_activity(self, contact_id: int, kind: str, summary: str, *, event_id: int | None = None,
                     detail: dict | None = None, at: datetime | None = None) -> None:
        """Append a timeline line."""
        contacts.add_activity(self.session, contact_id, kind, summary, event_id=event_id, detail=detail, at=at)

    def record_score(self, contact: Contact, kind: str, detail: dict | None, at: datetime, content: Content,
                     event_id: int | None = None) -> list[StageChange]:
        """Store a score event with the scoring file's points and rescore."""
        return record_score_event(self.session, contact, kind, None, detail, at, event_id, journey=content.journey,
                                  config=content.scoring)

    def touches(self, contact_id: int) -> int:
        """Nurture sends that reached the contact."""
        return self.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.contact_id == contact_id, Delivery.status.in_(("sent", "unconfirmed")))) or 0

    def recent_alert(self, contact_id: int, since: datetime) -> LeadAlert | None:
        """The newest alert raised since `since`."""
        return self.session.execute(select(LeadAlert).where(
            LeadAlert.contact_id == contact_id, LeadAlert.created_at >= since)
            .order_by(LeadAlert.id.desc())).scalars().first()

    def add_alert(self, alert: LeadAlert) -> LeadAlert:
        """Store the alert and assign its id."""
        self.session.add(alert)
        self.session.flush()
        return alert

    def recent_inbound(self, external_userid: str, limit: int) -> list[str]:
        """The prospect's last messages, oldest first."""
        rows = self.session.execute(
            select(ArchivedMessage.text).where(ArchivedMessage.external_userid == external_userid,
                                               ArchivedMessage.direction == "in")
            .order_by(ArchivedMessage.msgtime.desc()).limit(limit)).scalars()
        return [text or "" for text in rows][::-1]

    def forget_tag(self, tag_id: str, group: bool) -> None:
        """Mark a tag, or a group's tags, deleted."""
        column = Tag.group_id if group else Tag.tag_id
        self.session.execute(update(Tag).where(column == tag_id).values(deleted=True))

    def flush(self) -> None:
        """Assign ids to new rows."""
        self.session.flush()
