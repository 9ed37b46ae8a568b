"""The contacts part: prospects, staff–contact relations, welcome codes, chat messages and contact ways."""
from __future__ import annotations

from typing import Any, Callable

from sandbox.archive import Archive
from sandbox.core import SandboxCore
from sandbox.errors import ApiError
from sandbox.records import Contact, Follow, WelcomeCode
from sandbox.rules import check_attachments, check_text

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


class Contacts:
    """The corp's external contacts and what happens when prospects and staff act on them.

    Chat messages go to `archive`; `is_tag` tells whether a tag id is in the corp tag library (kept by the tags
    part, which is built on this one), as edit_contact accepts only those.
    """

    def __init__(self, core: SandboxCore, archive: Archive, is_tag: Callable[[str], bool]) -> None:
        self.core = core
        self.archive = archive
        self.is_tag = is_tag
        self.contacts: dict[str, Contact] = {}
        self.follows: dict[tuple[str, str], Follow] = {}
        self._follows_of_contact: dict[str, dict[str, Follow]] = {}
        self._follows_of_staff: dict[str, dict[str, Follow]] = {}
        self.welcome_codes: dict[str, WelcomeCode] = {}
        self.welcome_log: dict[str, list[dict[str, Any]]] = {}
        self.chat_messages: list[dict[str, Any]] = []
        self._chats_of: dict[str, list[dict[str, Any]]] = {}
        self.contact_ways: dict[str, dict[str, Any]] = {}

    def require_staff(self, userid: object, errcode: int = 40003) -> str:
        """Return `userid` if it is a staff member, else raise the WeCom error."""
        if not isinstance(userid, str) or userid not in self.core.config.staff:
            raise ApiError(errcode, f"invalid userid {userid!r}")
        return userid

    def require_contact(self, external_userid: object) -> Contact:
        """Return the contact, or raise 40096 for an unknown external_userid."""
        contact = self.contacts.get(external_userid) if isinstance(external_userid, str) else None
        if contact is None:
            raise ApiError(40096)
        return contact

    def follow_of(self, userid: str, external_userid: str) -> Follow:
        """Return the relation between staff and contact, or raise 84061."""
        follow = self.follows.get((userid, external_userid))
        if follow is None:
            raise ApiError(84061)
        return follow

    def is_friend(self, userid: str, external_userid: str) -> bool:
        """Tell whether staff and contact are currently connected."""
        with self.core.lock:
            return (userid, external_userid) in self.follows

    def customers_of(self, userid: str) -> list[str]:
        """Return the external_userids connected to a staff member, oldest first."""
        with self.core.lock:
            rel = sorted(self._follows_of_staff.get(userid, {}).values(), key=lambda f: f.createtime)
            return [f.external_userid for f in rel]

    def follows_of_contact(self, external_userid: str) -> list[Follow]:
        """Return a contact's relations, oldest first."""
        with self.core.lock:
            return sorted(self._follows_of_contact.get(external_userid, {}).values(), key=lambda f: f.createtime)

    def _link(self, follow: Follow) -> None:
        """Store a relation and index it by contact and by staff (lookups stay O(1) as a long run grows)."""
        self._unlink(follow.userid, follow.external_userid)
        self.follows[(follow.userid, follow.external_userid)] = follow
        self._follows_of_contact.setdefault(follow.external_userid, {})[follow.userid] = follow
        self._follows_of_staff.setdefault(follow.userid, {})[follow.external_userid] = follow

    def _unlink(self, userid: str, external_userid: str) -> None:
        """Remove a relation and its index entries, if present."""
        self.follows.pop((userid, external_userid), None)
        self._follows_of_contact.get(external_userid, {}).pop(userid, None)
        self._follows_of_staff.get(userid, {}).pop(external_userid, None)

    def add_prospect(self, userid: str, state: str = "", name: str | None = None,
                     half: bool = False, external_userid: str | None = None,
                     emit: bool = True) -> dict[str, Any]:
        """Simulate a prospect adding a staff member (through a channel `state`); fire the add event."""
        with self.core.lock:
            if userid not in self.core.config.staff:
                raise ValueError(f"unknown staff userid {userid!r}")
            if len(state) > 30:
                raise ValueError("state is at most 30 characters")
            ext = external_userid or self.core.new_id("wm", 30)
            contact = self.contacts.get(ext)
            if contact is None:
                contact = Contact(ext, name or self._random_name(), gender=self.core.rng.choice((0, 1, 2)),
                                  avatar=f"https://wework.sandbox/avatar/{ext}.png")
                self.contacts[ext] = contact
            now = self.core.clock.now()
            self._link(Follow(userid, ext, int(now), state=state, half=half, oper_userid=ext,
                              add_way=1 if state else 0))
            code = None
            if userid not in self.core.config.console_welcome_staff:
                code = self.core.new_id("WELCOME", 24)
                self.welcome_codes[code] = WelcomeCode(code, userid, ext, now)
            if emit:
                fields: dict[str, str | int] = {
                    "Event": "change_external_contact",
                    "ChangeType": "add_half_external_contact" if half else "add_external_contact",
                    "UserID": userid, "ExternalUserID": ext, "State": state}
                if code:
                    fields["WelcomeCode"] = code
                self.core.emit(str(fields["ChangeType"]), fields)
            return {"external_userid": ext, "welcome_code": code}

    def _random_name(self) -> str:
        rng = self.core.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))

    def delete_follow(self, external_userid: str, userid: str, emit: bool = True) -> None:
        """Simulate the prospect deleting the staff member (del_follow_user)."""
        with self.core.lock:
            self.follow_of(userid, external_userid)
            self._unlink(userid, external_userid)
            if emit:
                self.core.emit("del_follow_user", {"Event": "change_external_contact", "ChangeType": "del_follow_user",
                                                   "UserID": userid, "ExternalUserID": external_userid})

    def staff_delete_contact(self, userid: str, external_userid: str,
                             source: str | None = None, emit: bool = True) -> None:
        """Simulate the staff member deleting the contact in the client (del_external_contact)."""
        with self.core.lock:
            self.follow_of(userid, external_userid)
            self._unlink(userid, external_userid)
            if emit:
                fields: dict[str, str | int] = {"Event": "change_external_contact",
                                                "ChangeType": "del_external_contact",
                                                "UserID": userid, "ExternalUserID": external_userid}
                if source:
                    fields["Source"] = source
                self.core.emit("del_external_contact", fields)

    def edit_contact(self, userid: str, external_userid: str, *, remark: str | None = None,
                     description: str | None = None, add_tags: tuple[str, ...] = (),
                     remove_tags: tuple[str, ...] = (), emit: bool = True) -> None:
        """Simulate staff editing remark or tags in the client (edit_external_contact)."""
        with self.core.lock:
            follow = self.follow_of(userid, external_userid)
            unknown = [t for t in (*add_tags, *remove_tags) if not self.is_tag(t)]
            if unknown:
                raise ValueError(f"unknown tag ids {unknown}")
            if remark is not None:
                follow.remark = remark
            if description is not None:
                follow.description = description
            follow.tags |= set(add_tags)
            follow.tags -= set(remove_tags)
            if emit:
                self.core.emit("edit_external_contact", {"Event": "change_external_contact",
                                                         "ChangeType": "edit_external_contact",
                                                         "UserID": userid, "ExternalUserID": external_userid})

    def tags_of(self, external_userid: str, userid: str) -> set[str]:
        """Return the tag ids a staff member has put on a contact (empty when not connected)."""
        with self.core.lock:
            follow = self.follows.get((userid, external_userid))
            return set(follow.tags) if follow else set()

    def record_message(self, external_userid: str, userid: str, text: str,
                       from_prospect: bool = True) -> dict[str, Any]:
        """Store one chat message between a prospect and a staff member and archive it (seq, msgaudit_notify)."""
        with self.core.lock:
            msg = {"msgid": self.core.new_id("msg", 20), "from": external_userid if from_prospect else userid,
                   "tolist": [userid if from_prospect else external_userid],
                   "msgtime": int(self.core.clock.now() * 1000),
                   "msgtype": "text", "text": {"content": text}, "action": "send"}
            self.chat_messages.append(msg)
            self._chats_of.setdefault(external_userid, []).append(msg)
            self.archive.record(msg)
            return msg

    def messages_of(self, external_userid: str) -> list[dict[str, Any]]:
        """Return the chat messages a prospect sent or received, oldest first."""
        with self.core.lock:
            return list(self._chats_of.get(external_userid, []))

    def send_welcome(self, body: dict[str, Any]) -> None:
        """Answer send_welcome_msg: a code works once and only within welcome_code_ttl seconds."""
        code = body.get("welcome_code")
        if not code:
            raise ApiError(41049)
        text = check_text((body.get("text") or {}).get("content"), 4000, by_bytes=True)
        attachments = check_attachments(body.get("attachments"))
        if not text and not attachments:
            raise ApiError(44004)
        with self.core.lock:
            record = self.welcome_codes.get(code)
            now = self.core.clock.now()
            if record is None or now - record.issued_at > self.core.config.welcome_code_ttl:
                if record is not None:
                    self.core.violate("welcome_code_expired", code=code)
                raise ApiError(41050)
            if record.used:
                self.core.violate("welcome_code_reused", code=code)
                raise ApiError(41051)
            record.used = True
            self.welcome_log.setdefault(record.external_userid, []).append(
                {"userid": record.userid, "text": text, "attachments": attachments, "at": now})

    def welcome_messages_for(self, external_userid: str) -> list[dict[str, Any]]:
        """Return the welcome messages a prospect received."""
        with self.core.lock:
            return list(self.welcome_log.get(external_userid, []))

    def add_contact_way(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer add_contact_way: a channel QR code carrying a `state` of at most 30 characters."""
        if body.get("type") not in (1, 2) or body.get("scene") not in (1, 2):
            raise ApiError(40058, "type and scene must be 1 or 2")
        state = body.get("state") or ""
        if not isinstance(state, str) or len(state) > 30:
            raise ApiError(40058, "state is at most 30 characters")
        users = body.get("user") or []
        if not isinstance(users, list) or not users or (body["type"] == 1 and len(users) != 1):
            raise ApiError(40058, "type 1 takes exactly one user, type 2 at least one")
        for u in users:
            self.require_staff(u, 60111)
        with self.core.lock:
            config_id = self.core.new_id("cw", 30)
            self.contact_ways[config_id] = {"config_id": config_id, "type": body["type"], "scene": body["scene"],
                                            "state": state, "user": list(users)}
        answer: dict[str, Any] = {"config_id": config_id}
        if body["scene"] == 2:
            answer["qr_code"] = f"https://wework.sandbox/qr/{config_id}"
        return answer
