"""Gateway calls over contacts and corp tags: reads, and writes that are safe to repeat."""
from __future__ import annotations

from typing import Any, Iterator, Sequence

from app.wecom.errors import InvalidTag, TagExists
from app.wecom.results import Contact, ContactFollow, ContactPage, FollowUser, TagGroup
from app.wecom.transport import Transport

BATCH_USERS = 100


class Directory:
    """Contacts, staff and corp tags."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def follow_users(self) -> list[str]:
        """List the staff who have customer contact enabled."""
        return list(self.transport.read("get", "externalcontact/get_follow_user_list").get("follow_user") or [])

    def get_contact(self, external_userid: str) -> Contact:
        """Return a contact and every staff member following it (all follow_user pages)."""
        cursor, follows = "", []
        profile: dict[str, Any] = {}
        while True:
            params = {"external_userid": external_userid, **({"cursor": cursor} if cursor else {})}
            reply = self.transport.read("get", "externalcontact/get", params=params)
            profile = reply.get("external_contact") or profile
            follows += [FollowUser.parse(f) for f in reply.get("follow_user") or []]
            cursor = reply.get("next_cursor") or ""
            if not cursor:
                break
        return Contact(str(profile.get("external_userid", external_userid)), profile.get("name") or "",
                       int(profile.get("type") or 0), tuple(follows), profile)

    def batch_get_by_user(self, userids: Sequence[str], cursor: str = "", limit: int = 100) -> ContactPage:
        """Return one page of the contacts of up to 100 staff (the current `userid_list` field)."""
        if not 0 < len(userids) <= BATCH_USERS:
            raise ValueError(f"batch_get_by_user takes 1..{BATCH_USERS} userids")
        body = {"userid_list": list(userids), "cursor": cursor, "limit": limit}
        reply = self.transport.read("post", "externalcontact/batch/get_by_user", data=body)
        return ContactPage([ContactFollow.parse(r) for r in reply.get("external_contact_list") or []],
                           reply.get("next_cursor") or "")

    def iter_contacts(self, userids: Sequence[str], limit: int = 100) -> Iterator[ContactFollow]:
        """Yield every (contact, relation) of the given staff, 100 staff and `limit` rows per call."""
        for i in range(0, len(userids), BATCH_USERS):
            chunk, cursor = list(userids[i:i + BATCH_USERS]), ""
            while True:
                page = self.batch_get_by_user(chunk, cursor, limit)
                yield from page.contacts
                cursor = page.next_cursor
                if not cursor:
                    break

    def list_corp_tags(self, tag_ids: Sequence[str] = (), group_ids: Sequence[str] = ()) -> list[TagGroup]:
        """List corp tag groups: all, the given groups, or the groups holding the given tags."""
        body = {"tag_id": list(tag_ids), "group_id": list(group_ids)}
        reply = self.transport.read("post", "externalcontact/get_corp_tag_list", data=body)
        return [TagGroup.parse(g) for g in reply.get("tag_group") or []]

    def add_corp_tag(self, names: Sequence[str], *, group_id: str | None = None,
                     group_name: str | None = None, order: int | None = None) -> TagGroup:
        """Add tags to a group (by id or name, created if new); return the group with the new tags."""
        body: dict[str, Any] = {"tag": [{"name": n} for n in names]}
        if group_id:
            body["group_id"] = group_id
        if group_name:
            body["group_name"] = group_name
        if order is not None:
            body["order"] = order

        def attempt(ambiguous_before: bool) -> TagGroup:
            try:
                reply = self.transport.call("post", "externalcontact/add_corp_tag", data=body)
                return TagGroup.parse(reply["tag_group"])
            except TagExists:
                if not ambiguous_before:
                    raise
            # Names are unique in a group: "exists" after our own ambiguous attempt means it worked.
            for group in self.list_corp_tags(group_ids=[group_id] if group_id else ()):
                if group_id or group.group_name == group_name:
                    return TagGroup(group.group_id, group.group_name, group.order,
                                    tuple(t for t in group.tags if t.name in names))
            raise TagExists(40071, "tag exists but its group was not found", "externalcontact/add_corp_tag")

        return self.transport.retrier.run_create(attempt, None)

    def edit_corp_tag(self, id: str, *, name: str | None = None, order: int | None = None) -> None:
        """Rename or reorder a corp tag or tag group."""
        body: dict[str, Any] = {"id": id}
        if name is not None:
            body["name"] = name
        if order is not None:
            body["order"] = order
        self.transport.write("externalcontact/edit_corp_tag", body)

    def del_corp_tag(self, tag_ids: Sequence[str] = (), group_ids: Sequence[str] = ()) -> None:
        """Delete corp tags and tag groups (an unknown id after our own ambiguous attempt counts as done)."""
        body = {"tag_id": list(tag_ids), "group_id": list(group_ids)}

        def attempt(ambiguous_before: bool) -> None:
            try:
                self.transport.call("post", "externalcontact/del_corp_tag", data=body)
            except InvalidTag:
                if not ambiguous_before:
                    raise

        self.transport.retrier.run_create(attempt, None)

    def mark_tag(self, userid: str, external_userid: str, add: Sequence[str] = (),
                 remove: Sequence[str] = ()) -> None:
        """Add and remove corp tags on one staff–contact relation (fires no callback: update local state)."""
        body = {"userid": userid, "external_userid": external_userid, "add_tag": list(add),
                "remove_tag": list(remove)}
        self.transport.write("externalcontact/mark_tag", body)
