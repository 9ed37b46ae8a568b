"""Gateway calls over Moments: tasks (never created twice), their lookups, results and comments."""
from __future__ import annotations

import logging
from typing import Any, Sequence

from app.wecom import find
from app.wecom.results import MomentInteraction, MomentTaskCreated, MomentTaskResult
from app.wecom.sends import message_body
from app.wecom.transport import Transport

log = logging.getLogger(__name__)


class Moments:
    """Moments posts that staff confirm, and what customers did with them."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def add_moment_task(self, text: str, attachments: Sequence[dict[str, Any]] = (),
                        sender_userids: Sequence[str] = (), tag_ids: Sequence[str] = ()) -> MomentTaskCreated:
        """Create a Moments task that each sender confirms; never create it twice."""
        path = "externalcontact/add_moment_task"
        body = message_body(text, attachments)
        visible: dict[str, Any] = {}
        if sender_userids:
            visible["sender_list"] = {"user_list": list(sender_userids)}
        if tag_ids:
            visible["external_contact_list"] = {"tag_list": list(tag_ids)}
        if visible:
            body["visible_range"] = visible

        def attempt(_: bool) -> MomentTaskCreated:
            jobid = str(self.transport.call("post", path, data=body)["jobid"])
            log.info("moments job %s created for %d senders", jobid, len(sender_userids))
            return MomentTaskCreated(jobid)

        def lookup(since: float) -> MomentTaskCreated | None:
            moment_id = self.find_moment(text, sender_userids, since)
            return MomentTaskCreated(None, moment_id, adopted=True) if moment_id else None

        return self.transport.retrier.run_create(attempt, lookup)

    def find_moment(self, text: str, sender_userids: Sequence[str], since: float) -> str | None:
        """Return the moment_id of a post with `text` for `sender_userids` created since `since`."""
        slack = self.transport.lookup_slack
        return find.find_moment(self.transport.post_read, text=text, senders=list(sender_userids),
                                start=since - slack, end=self.transport.clock() + slack)

    def get_moment_task_result(self, jobid: str) -> MomentTaskResult:
        """Return the state of a Moments job (status 3 carries the moment_id)."""
        return MomentTaskResult.parse(self.transport.read("get", "externalcontact/get_moment_task_result",
                                                          params={"jobid": jobid}))

    def publish_status(self, moment_id: str) -> dict[str, int]:
        """Each executor's publish_status on a Moments post (get_moment_task: 0 not yet, 1 published)."""
        body = {"moment_id": moment_id, "limit": 1000}
        rows = find.pages(self.transport.post_read, "externalcontact/get_moment_task", body, "task_list")
        return {str(row.get("userid")): int(row.get("publish_status") or 0) for row in rows}

    def get_moment_comments(self, moment_id: str, userid: str) -> list[MomentInteraction]:
        """Customers who commented on or liked `userid`'s copy of a Moments post."""
        reply = self.transport.post_read("externalcontact/get_moment_comments",
                                         {"moment_id": moment_id, "userid": userid})
        return MomentInteraction.parse_all(reply)
