"""Intended effects recorded by handlers; jobs store them in the outbox and carry them out."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

INLINE_QUEUE = "callbacks"  # actions the event's worker runs right after the event (re-queued there if left over)


@dataclass(frozen=True)
class Action:
    """One outbound effect: unique by key, executed by the job for its kind on its queue."""

    kind: str
    key: str
    payload: dict = field(default_factory=dict)
    queue: str = "wecom"
    contact_id: int | None = None
    not_after: datetime | None = None


def send_welcome(code: str, text: str, attachments: list, contact_id: int, deadline: datetime) -> Action:
    """Send the channel's welcome message on the fast queue, never after the code's deadline."""
    return Action(
        "welcome", f"welcome:{code}", {"code": code, "text": text, "attachments": attachments},
        queue="welcome", contact_id=contact_id, not_after=deadline,
    )


def fetch_contact(external_userid: str, contact_id: int, reason_key: str) -> Action:
    """Refresh a contact's details (name, company) from WeCom: a read the event's own worker makes at once."""
    return Action("fetch_contact", f"fetch:{external_userid}:{reason_key}", {"external_userid": external_userid},
                  queue=INLINE_QUEUE, contact_id=contact_id)


def sync_tags(follow_id: int, contact_id: int, reason_key: str, add_names: list[list[str]] | None = None) -> Action:
    """Make the relation carry the contact's current stage tag (and add [group, name] tags) in one mark_tag; an
    event's tag syncs run right after it on its own worker (jobs.pipeline.actions.runs_here), others on `wecom`."""
    return Action(
        "sync_tags", f"tags:{follow_id}:{reason_key}", {"follow_id": follow_id, "add": add_names or []},
        contact_id=contact_id,
    )


def app_message(touser: str, content: str, key: str, contact_id: int | None = None, msgtype: str = "text") -> Action:
    """Send an app message to a staff member."""
    return Action("app_message", key, {"touser": touser, "msgtype": msgtype, "content": content}, contact_id=contact_id)


def refresh_tags(key: str) -> Action:
    """Reload the corp tag catalogue from WeCom."""
    return Action("refresh_tags", key, {}, queue="default")
