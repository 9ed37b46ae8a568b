"""Typed WeCom callback events, parsed from an envelope's flat fields."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, TypedDict


@dataclass(frozen=True)
class Event:
    """Any callback: what every event carries, plus the raw fields."""

    kind: str
    change_type: str | None
    corp_id: str
    create_time: int
    raw: dict[str, str] = field(repr=False, compare=False)


@dataclass(frozen=True)
class ContactEvent(Event):
    """A change to one staff–contact relation."""

    userid: str = ""
    external_userid: str = ""


@dataclass(frozen=True)
class ContactAdded(ContactEvent):
    """A prospect added a staff member (half: staff has not accepted yet)."""

    state: str = ""
    welcome_code: str | None = None
    half: bool = False


@dataclass(frozen=True)
class ContactEdited(ContactEvent):
    """Staff edited the contact (remark, tags by hand, ...)."""


@dataclass(frozen=True)
class ContactDeleted(ContactEvent):
    """Staff deleted the contact; `by_transfer` when a transfer caused it."""

    source: str = ""

    @property
    def by_transfer(self) -> bool:
        """Tell whether the deletion came from a transfer to another staff member."""
        return self.source == "DELETE_BY_TRANSFER"


@dataclass(frozen=True)
class FollowUserDeleted(ContactEvent):
    """The contact deleted the staff member."""


@dataclass(frozen=True)
class TransferFailed(ContactEvent):
    """A transfer of the contact to another staff member failed."""

    fail_reason: str = ""


@dataclass(frozen=True)
class ExternalChatChanged(Event):
    """A customer group was created, updated or dismissed."""

    chat_id: str = ""
    update_detail: str = ""
    join_scene: int | None = None
    quit_scene: int | None = None
    member_change_count: int | None = None


@dataclass(frozen=True)
class ExternalTagChanged(Event):
    """A corp tag or tag group was created, updated, deleted or reordered."""

    tag_id: str = ""
    tag_type: str = ""
    strategy_id: str = ""


@dataclass(frozen=True)
class ArchiveNotify(Event):
    """New archived chat messages are ready to pull."""

    agent_id: str = ""


@dataclass(frozen=True)
class UnknownEvent(Event):
    """Anything else: kept raw, dispatched by kind only."""


class _EventBase(TypedDict):
    """The fields every Event takes, parsed once for any kind."""

    kind: str
    change_type: str | None
    corp_id: str
    create_time: int
    raw: dict[str, str]


def _contact(fields: dict[str, str]) -> dict:
    return {"userid": fields.get("UserID", ""), "external_userid": fields.get("ExternalUserID", "")}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.lstrip("-").isdigit() else None


CONTACT_PARSERS: dict[str, Callable[[dict[str, str]], dict]] = {
    "add_external_contact": lambda f: {
        "cls": ContactAdded, **_contact(f), "state": f.get("State", ""),
        "welcome_code": f.get("WelcomeCode") or None,
    },
    "add_half_external_contact": lambda f: {
        "cls": ContactAdded, **_contact(f), "state": f.get("State", ""),
        "welcome_code": f.get("WelcomeCode") or None, "half": True,
    },
    "edit_external_contact": lambda f: {"cls": ContactEdited, **_contact(f)},
    "del_external_contact": lambda f: {"cls": ContactDeleted, **_contact(f), "source": f.get("Source", "")},
    "del_follow_user": lambda f: {"cls": FollowUserDeleted, **_contact(f)},
    "transfer_fail": lambda f: {"cls": TransferFailed, **_contact(f), "fail_reason": f.get("FailReason", "")},
}


def event_kind(fields: dict[str, str]) -> str:
    """Return the event name for events, or the message type for plain messages."""
    msg_type = fields.get("MsgType", "")
    return fields.get("Event", "") if msg_type == "event" else msg_type or "unknown"


def parse_event(fields: dict[str, str]) -> Event:
    """Build the typed event for a callback's fields; unknown kinds stay raw."""
    kind = event_kind(fields)
    change_type = fields.get("ChangeType") or None
    base: _EventBase = {
        "kind": kind, "change_type": change_type, "corp_id": fields.get("ToUserName", ""),
        "create_time": _int(fields.get("CreateTime")) or 0, "raw": dict(fields),
    }
    if kind == "change_external_contact" and change_type in CONTACT_PARSERS:
        extra = CONTACT_PARSERS[change_type](fields)
        cls = extra.pop("cls")
        return cls(**base, **extra)
    if kind == "change_external_chat":
        return ExternalChatChanged(
            **base, chat_id=fields.get("ChatId", ""), update_detail=fields.get("UpdateDetail", ""),
            join_scene=_int(fields.get("JoinScene")), quit_scene=_int(fields.get("QuitScene")),
            member_change_count=_int(fields.get("MemChangeCnt")),
        )
    if kind == "change_external_tag":
        return ExternalTagChanged(
            **base, tag_id=fields.get("Id", ""), tag_type=fields.get("TagType", ""),
            strategy_id=fields.get("StrategyId", ""),
        )
    if kind == "msgaudit_notify":
        return ArchiveNotify(**base, agent_id=fields.get("AgentID", ""))
    return UnknownEvent(**base)
