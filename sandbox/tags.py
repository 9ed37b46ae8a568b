"""The tags part: corp tags, tag groups and per-relation tagging."""
from __future__ import annotations

from typing import Any

from sandbox.contacts import Contacts
from sandbox.core import SandboxCore
from sandbox.errors import ApiError
from sandbox.records import Tag, TagGroup

MAX_CORP_TAGS = 3000
MAX_RELATION_TAGS = 3000


class Tags:
    """The corp's tag library and the tags each staff member puts on each contact (relations kept by `contacts`)."""

    def __init__(self, core: SandboxCore, contacts: Contacts) -> None:
        self.core = core
        self.contacts = contacts
        self.tag_groups: dict[str, TagGroup] = {}
        self.tags: dict[str, Tag] = {}

    def corp_tag_list(self, tag_ids: list[str], group_ids: list[str]) -> list[dict[str, Any]]:
        """Answer get_corp_tag_list: all groups, or the given groups, or the groups holding the given tags."""
        with self.core.lock:
            groups = sorted(self.tag_groups.values(), key=lambda g: (-g.order, g.create_time))
            out = []
            for g in groups:
                tags = sorted((t for t in self.tags.values() if t.group_id == g.group_id),
                              key=lambda t: (-t.order, t.create_time))
                if group_ids:
                    if g.group_id not in group_ids:
                        continue
                elif tag_ids:
                    tags = [t for t in tags if t.id in tag_ids]
                    if not tags:
                        continue
                out.append(self._group_json(g, tags))
            return out

    @staticmethod
    def _group_json(g: TagGroup, tags: list[Tag]) -> dict[str, Any]:
        return {"group_id": g.group_id, "group_name": g.group_name, "create_time": g.create_time,
                "order": g.order, "deleted": False,
                "tag": [{"id": t.id, "name": t.name, "create_time": t.create_time, "order": t.order,
                         "deleted": False} for t in tags]}

    def add_corp_tag(self, body: dict[str, Any], emit: bool = False) -> dict[str, Any]:
        """Answer add_corp_tag: add tags to an existing group (by id or name) or a new group."""
        new_tags = body.get("tag") or []
        if not isinstance(new_tags, list) or not new_tags:
            raise ApiError(40058, "tag is required")
        names = [t.get("name") if isinstance(t, dict) else None for t in new_tags]
        if any(not isinstance(n, str) or not n or len(n) > 30 for n in names) or len(set(names)) != len(names):
            raise ApiError(40058, "tag names must be distinct, 1..30 characters")
        with self.core.lock:
            now = int(self.core.clock.now())
            group = self._find_group(body)
            if group is None:
                name = body.get("group_name")
                if not isinstance(name, str) or not name or len(name) > 30:
                    raise ApiError(40058, "group_name must be 1..30 characters")
                group = TagGroup(self.core.new_id("et", 30), name, int(body.get("order") or 0), now)
            if len(self.tags) + len(new_tags) > MAX_CORP_TAGS:
                raise ApiError(40058, f"at most {MAX_CORP_TAGS} corp tags")
            existing = {t.name for t in self.tags.values() if t.group_id == group.group_id}
            if existing & set(names):
                raise ApiError(40071)
            self.tag_groups[group.group_id] = group
            created = []
            for spec in new_tags:
                tag = Tag(self.core.new_id("et", 30), spec["name"], group.group_id, int(spec.get("order") or 0), now)
                self.tags[tag.id] = tag
                created.append(tag)
                if emit:
                    self.core.emit("change_external_tag", {"Event": "change_external_tag", "ChangeType": "create",
                                                           "Id": tag.id, "TagType": "tag"})
            return self._group_json(group, created)

    def _find_group(self, body: dict[str, Any]) -> TagGroup | None:
        group_id = body.get("group_id")
        if group_id:
            if group_id not in self.tag_groups:
                raise ApiError(40068, "invalid tag group id")
            return self.tag_groups[group_id]
        name = body.get("group_name")
        return next((g for g in self.tag_groups.values() if g.group_name == name), None)

    def edit_corp_tag(self, body: dict[str, Any], emit: bool = False) -> None:
        """Answer edit_corp_tag: rename or reorder a tag or a tag group."""
        with self.core.lock:
            target = self.tags.get(body.get("id", "")) or self.tag_groups.get(body.get("id", ""))
            if target is None:
                raise ApiError(40068)
            name = body.get("name")
            if name is not None:
                if not isinstance(name, str) or not name or len(name) > 30:
                    raise ApiError(40058, "name must be 1..30 characters")
                if isinstance(target, Tag):
                    target.name = name
                else:
                    target.group_name = name
            if body.get("order") is not None:
                target.order = int(body["order"])
            if emit:
                kind, ident = ("tag", target.id) if isinstance(target, Tag) else ("tag_group", target.group_id)
                self.core.emit("change_external_tag", {"Event": "change_external_tag", "ChangeType": "update",
                                                       "Id": ident, "TagType": kind})

    def del_corp_tag(self, body: dict[str, Any], emit: bool = False) -> None:
        """Answer del_corp_tag: delete tags and groups; a group left empty goes too."""
        tag_ids, group_ids = body.get("tag_id") or [], body.get("group_id") or []
        if not tag_ids and not group_ids:
            raise ApiError(40058, "tag_id or group_id is required")
        with self.core.lock:
            if any(t not in self.tags for t in tag_ids) or any(g not in self.tag_groups for g in group_ids):
                raise ApiError(40068)
            doomed = set(tag_ids) | {t.id for t in self.tags.values() if t.group_id in group_ids}
            touched = {self.tags[t].group_id for t in doomed}
            for tid in doomed:
                del self.tags[tid]
            for follow in self.contacts.follows.values():
                follow.tags -= doomed
            for gid in touched:
                if gid in group_ids or not any(t.group_id == gid for t in self.tags.values()):
                    del self.tag_groups[gid]
            if emit:
                for tid in sorted(doomed):
                    self.core.emit("change_external_tag", {"Event": "change_external_tag", "ChangeType": "delete",
                                                           "Id": tid, "TagType": "tag"})

    def mark_tag(self, body: dict[str, Any]) -> None:
        """Answer mark_tag: add and remove corp tags on one staff–contact relation (no callback)."""
        userid = self.contacts.require_staff(body.get("userid"))
        self.contacts.require_contact(body.get("external_userid"))
        add, remove = body.get("add_tag") or [], body.get("remove_tag") or []
        if not isinstance(add, list) or not isinstance(remove, list) or not (add or remove):
            raise ApiError(40058, "add_tag and remove_tag cannot both be empty")
        with self.core.lock:
            follow = self.contacts.follow_of(userid, body["external_userid"])
            if any(t not in self.tags for t in (*add, *remove)):
                raise ApiError(40068)
            if len(follow.tags | set(add)) > MAX_RELATION_TAGS:
                raise ApiError(40058, f"at most {MAX_RELATION_TAGS} tags per relation")
            follow.tags |= set(add)
            follow.tags -= set(remove)

    def tag_json(self, tag_id: str) -> dict[str, Any]:
        """Return a tag as externalcontact/get lists it under follow_user[].tags."""
        tag = self.tags[tag_id]
        return {"group_name": self.tag_groups[tag.group_id].group_name, "tag_name": tag.name,
                "tag_id": tag.id, "type": 1}
