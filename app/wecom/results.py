"""Small typed results of gateway calls, parsed from WeCom's JSON replies."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FollowUser:
    """One staff member's relation to a contact, as externalcontact/get lists it."""

    userid: str
    remark: str = ""
    createtime: int = 0
    state: str = ""
    add_way: int = 0
    oper_userid: str = ""
    tag_ids: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> "FollowUser":
        """Build from a follow_user entry (tags as objects) or a follow_info entry (tag_id list)."""
        tags = raw.get("tag_id") or [t.get("tag_id") for t in raw.get("tags") or [] if t.get("tag_id")]
        return cls(str(raw.get("userid", "")), raw.get("remark") or "", int(raw.get("createtime") or 0),
                   raw.get("state") or "", int(raw.get("add_way") or 0), raw.get("oper_userid") or "",
                   tuple(tags))


@dataclass(frozen=True)
class Contact:
    """An external contact with every staff member who follows it."""

    external_userid: str
    name: str
    type: int
    follow_users: tuple[FollowUser, ...]
    profile: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ContactFollow:
    """One row of batch/get_by_user: a contact and one staff member's relation to it."""

    external_userid: str
    name: str
    type: int
    follow: FollowUser
    profile: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> "ContactFollow":
        """Build from an external_contact_list entry."""
        contact = raw.get("external_contact") or {}
        return cls(str(contact.get("external_userid", "")), contact.get("name") or "",
                   int(contact.get("type") or 0), FollowUser.parse(raw.get("follow_info") or {}), contact)


@dataclass(frozen=True)
class ContactPage:
    """A page of batch/get_by_user and the cursor of the next one ('' at the end)."""

    contacts: list[ContactFollow]
    next_cursor: str


@dataclass(frozen=True)
class CorpTag:
    """A corp tag."""

    id: str
    name: str
    order: int = 0


@dataclass(frozen=True)
class TagGroup:
    """A corp tag group and its tags."""

    group_id: str
    group_name: str
    order: int
    tags: tuple[CorpTag, ...]

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> "TagGroup":
        """Build from a tag_group entry."""
        tags = tuple(CorpTag(t["id"], t.get("name", ""), int(t.get("order") or 0))
                     for t in raw.get("tag") or [] if not t.get("deleted"))
        return cls(raw["group_id"], raw.get("group_name", ""), int(raw.get("order") or 0), tags)


@dataclass(frozen=True)
class WelcomeSent:
    """A welcome message went out; `on_earlier_attempt` when an ambiguous attempt had already used the code."""

    on_earlier_attempt: bool = False


@dataclass(frozen=True)
class MsgTemplateCreated:
    """A 1:1 mass-send task exists; `adopted` when it was found after an ambiguous failure."""

    msgid: str
    fail_list: tuple[str, ...] = ()
    adopted: bool = False


@dataclass(frozen=True)
class SenderStatus:
    """A sender's status on a mass-send task: 0 not sent, 2 sent."""

    userid: str
    status: int
    send_time: int


@dataclass(frozen=True)
class SendResult:
    """A contact's result on a mass-send task: 0 not sent, 1 sent, 2 not a friend, 3 over the receive cap."""

    external_userid: str
    userid: str
    status: int
    send_time: int


@dataclass(frozen=True)
class MomentTaskCreated:
    """A Moments task exists: a jobid, or (when adopted after an ambiguous failure) the post's moment_id."""

    jobid: str | None
    moment_id: str | None = None
    adopted: bool = False


@dataclass(frozen=True)
class MomentTaskResult:
    """The state of a Moments job: status 1 started, 2 running, 3 done."""

    status: int
    moment_id: str | None
    invalid_senders: tuple[str, ...] = ()
    invalid_tags: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> "MomentTaskResult":
        """Build from a get_moment_task_result reply."""
        result = raw.get("result") or {}
        return cls(int(raw.get("status") or 0), result.get("moment_id") or None,
                   tuple((result.get("invalid_sender_list") or {}).get("user_list") or ()),
                   tuple((result.get("invalid_external_contact_list") or {}).get("tag_list") or ()))


@dataclass(frozen=True)
class MomentInteraction:
    """A customer liked or commented on a Moments post (WeCom gives who and when, not the comment's text)."""

    kind: str
    external_userid: str
    create_time: int

    @classmethod
    def parse_all(cls, raw: dict[str, Any]) -> list["MomentInteraction"]:
        """Build from a get_moment_comments reply; staff's own likes (userid, no external_userid) are left out."""
        return [cls(kind, str(row["external_userid"]), int(row.get("create_time") or 0))
                for kind, key in (("comment", "comment_list"), ("like", "like_list"))
                for row in raw.get(key) or () if row.get("external_userid")]


@dataclass(frozen=True)
class AppMessageSent:
    """An app message was accepted; WeCom names the recipients it did not know."""

    msgid: str
    invalid_users: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContactWay:
    """A channel QR code ("contact me" way)."""

    config_id: str
    qr_code: str | None = None
