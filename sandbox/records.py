"""Plain records of the simulated corp: contacts, relations, tags, tasks and deliveries."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Contact:
    """An external contact (a prospect's WeChat identity)."""

    external_userid: str
    name: str
    type: int = 1
    avatar: str = ""
    gender: int = 0
    corp_name: str = ""


@dataclass
class Follow:
    """One staff–contact relation, with the tags that staff member put on the contact."""

    userid: str
    external_userid: str
    createtime: int
    state: str = ""
    remark: str = ""
    description: str = ""
    add_way: int = 1
    oper_userid: str = ""
    half: bool = False
    tags: set[str] = field(default_factory=set)


@dataclass
class Tag:
    """A corp tag inside a tag group."""

    id: str
    name: str
    group_id: str
    order: int
    create_time: int


@dataclass
class TagGroup:
    """A corp tag group."""

    group_id: str
    group_name: str
    order: int
    create_time: int


@dataclass
class WelcomeCode:
    """A single-use welcome code issued with an add event."""

    code: str
    userid: str
    external_userid: str
    issued_at: float
    used: bool = False


@dataclass
class MassTask:
    """A 1:1 mass-send task: nothing happens until each sender confirms."""

    msgid: str
    creator: str
    create_time: int
    text: str
    attachments: list[dict]
    senders: dict[str, dict]
    recipients: dict[tuple[str, str], dict]
    cancelled: bool = False
    reminders: list[float] = field(default_factory=list)


@dataclass
class MomentTask:
    """An enterprise Moments post: each sender confirms publishing it."""

    jobid: str
    moment_id: str
    create_time: float
    text: str
    attachments: list[dict]
    senders: dict[str, dict]
    tag_list: list[str]
    invalid_senders: list[str]
    invalid_tags: list[str]
    cancelled: bool = False


@dataclass
class Delivery:
    """The record of one callback delivery, across all its attempts."""

    event: str
    xml: str
    created_at: float
    attempts: int = 0
    status: str = "pending"
    http_status: int | None = None
    latency: float | None = None
    errors: list[str] = field(default_factory=list)
