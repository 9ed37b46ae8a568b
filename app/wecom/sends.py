"""Gateway calls that message customers 1:1: welcome messages and mass-send tasks, with their lookups and results."""
from __future__ import annotations

import logging
from typing import Any, Sequence

from app.wecom import find
from app.wecom.errors import OutcomeUnknown, WelcomeCodeExpired, WelcomeCodeUsed
from app.wecom.results import MsgTemplateCreated, SenderStatus, SendResult, WelcomeSent
from app.wecom.transport import Transport

log = logging.getLogger(__name__)


def message_body(text: str, attachments: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The text and attachments of a customer message, as WeCom's create calls take them."""
    body: dict[str, Any] = {"text": {"content": text}}
    if attachments:
        body["attachments"] = list(attachments)
    return body


class Sends:
    """Welcome messages and 1:1 mass-send tasks; a create is never repeated before checking the first attempt."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def send_welcome_msg(self, code: str, text: str, attachments: Sequence[dict[str, Any]] = (), *,
                         deadline: float | None = None) -> WelcomeSent:
        """Send a welcome message; never after `deadline` (epoch seconds: event time + 20 s)."""
        path = "externalcontact/send_welcome_msg"
        transport = self.transport
        if deadline is not None and transport.clock() >= deadline:
            raise WelcomeCodeExpired(41050, "welcome window passed before sending", path)
        body = {"welcome_code": code, **message_body(text, attachments)}

        def attempt(ambiguous_before: bool) -> WelcomeSent:
            timeout = transport.timeout
            if deadline is not None:
                timeout = max(0.05, min(timeout, deadline - transport.clock()))
            try:
                transport.call("post", path, data=body, timeout=timeout)
            except WelcomeCodeUsed:
                if ambiguous_before:  # the code is single-use: our earlier attempt went through
                    log.info("welcome code already used by our earlier attempt")
                    return WelcomeSent(on_earlier_attempt=True)
                raise
            except WelcomeCodeExpired as err:
                if ambiguous_before:
                    raise OutcomeUnknown(err.errcode, err.errmsg, path, since=transport.clock()) from err
                raise
            return WelcomeSent()

        return transport.retrier.run_create(attempt, None, deadline=deadline)

    def add_msg_template(self, sender: str, external_userids: Sequence[str], text: str,
                         attachments: Sequence[dict[str, Any]] = (), *, allow_select: bool = False,
                         tag_ids: Sequence[str] = ()) -> MsgTemplateCreated:
        """Create a 1:1 mass-send task that `sender` confirms in the client; never create it twice."""
        path = "externalcontact/add_msg_template"
        body: dict[str, Any] = {"chat_type": "single", "sender": sender, "external_userid": list(external_userids),
                                "allow_select": allow_select, **message_body(text, attachments)}
        if tag_ids:
            body["tag_filter"] = {"group_list": [{"tag_list": list(tag_ids)}]}

        def attempt(_: bool) -> MsgTemplateCreated:
            reply = self.transport.call("post", path, data=body)
            log.info("mass-send task %s created for sender %s", reply.get("msgid"), sender)
            return MsgTemplateCreated(str(reply["msgid"]), tuple(reply.get("fail_list") or ()))

        def lookup(since: float) -> MsgTemplateCreated | None:
            msgid = self.find_msg_template(sender, text, since)
            return MsgTemplateCreated(msgid, adopted=True) if msgid else None

        return self.transport.retrier.run_create(attempt, lookup)

    def find_msg_template(self, sender: str, text: str, since: float) -> str | None:
        """Return the msgid of a task for `sender` with `text` created since `since` (e.g. OutcomeUnknown.since)."""
        slack = self.transport.lookup_slack
        return find.find_msg_template(self.transport.post_read, sender=sender, text=text,
                                      start=since - slack, end=self.transport.clock() + slack)

    def get_groupmsg_task(self, msgid: str) -> list[SenderStatus]:
        """Return each sender's status on a mass-send task."""
        rows = self._pages("externalcontact/get_groupmsg_task", {"msgid": msgid, "limit": 1000}, "task_list")
        return [SenderStatus(r["userid"], int(r.get("status") or 0), int(r.get("send_time") or 0)) for r in rows]

    def get_groupmsg_send_result(self, msgid: str, userid: str) -> list[SendResult]:
        """Return each contact's result on a mass-send task for one sender."""
        body = {"msgid": msgid, "userid": userid, "limit": 1000}
        rows = self._pages("externalcontact/get_groupmsg_send_result", body, "send_list")
        return [SendResult(r.get("external_userid", ""), r.get("userid", userid), int(r.get("status") or 0),
                           int(r.get("send_time") or 0)) for r in rows]

    def remind_groupmsg_send(self, msgid: str) -> None:
        """Remind the senders of a task (at most 3 a day: an ambiguous failure is not repeated)."""
        self.transport.write("externalcontact/remind_groupmsg_send", {"msgid": msgid}, safe=False)

    def cancel_groupmsg_send(self, msgid: str) -> None:
        """Stop the unconfirmed parts of a mass-send task."""
        self.transport.write("externalcontact/cancel_groupmsg_send", {"msgid": msgid})

    def _pages(self, path: str, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        return list(find.pages(self.transport.post_read, path, body, key))
