"""The one door to WeCom: typed calls with a shared token, client-side limits and safe retries.

Reads and idempotent writes are retried with backoff inside a deadline. Create calls (mass-send tasks,
Moments tasks, welcome messages) are never repeated after an ambiguous failure before checking whether the
first attempt took effect. Client-side limits wait up to `RateLimits.max_wait`, then raise RateLimited(local=True).
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

from redis import Redis

from app.wecom import find
from app.wecom.alerts import AlertsMixin
from app.wecom.directory import DirectoryMixin
from app.wecom.errors import OutcomeUnknown, WelcomeCodeExpired, WelcomeCodeUsed
from app.wecom.ratelimit import RateLimits
from app.wecom.results import (
    ContactWay,
    MomentInteraction,
    MomentTaskCreated,
    MomentTaskResult,
    MsgTemplateCreated,
    SenderStatus,
    SendResult,
    WelcomeSent,
)

log = logging.getLogger(__name__)

def _body(text: str, attachments: Sequence[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {"text": {"content": text}}
    if attachments:
        body["attachments"] = list(attachments)
    return body


class Gateway(DirectoryMixin, AlertsMixin):
    """Every WeCom API call the product makes."""

    @classmethod
    def from_settings(cls, settings: Any, redis: Redis | None = None, **overrides: Any) -> "Gateway":
        """Build the gateway from Settings (optional wecom_* limit fields are read when present)."""
        defaults = RateLimits()
        limits = RateLimits(**{name: getattr(settings, f"wecom_{name}", getattr(defaults, name))
                               for name in defaults.__dataclass_fields__})
        kwargs: dict[str, Any] = dict(api_base=settings.wecom_api_base, agent_id=settings.wecom_agent_id,
                                      timeout=settings.wecom_timeout, redis=redis, limits=limits)
        kwargs.update(overrides)
        return cls(settings.wecom_corp_id, settings.wecom_secret, **kwargs)

    # -- web OAuth -------------------------------------------------------------------------------------

    def viewer_of_code(self, code: str) -> str | None:
        """The external_userid behind a tracked-link viewer's OAuth code (user/getuserinfo); None for a member or
        a WeChat user who is no contact."""
        return self._read("get", "user/getuserinfo", params={"code": code}).get("external_userid") or None

    def member_of_code(self, code: str) -> str | None:
        """The member userid behind a console sign-in's OAuth code (auth/getuserinfo); None for a non-member."""
        reply = self._read("get", "auth/getuserinfo", params={"code": code})
        return reply.get("userid") or reply.get("UserId") or None

    # -- welcome messages ------------------------------------------------------------------------------

    def send_welcome_msg(self, code: str, text: str, attachments: Sequence[dict[str, Any]] = (), *,
                         deadline: float | None = None) -> WelcomeSent:
        """Send a welcome message; never after `deadline` (epoch seconds: event time + 20 s)."""
        path = "externalcontact/send_welcome_msg"
        if deadline is not None and self.clock() >= deadline:
            raise WelcomeCodeExpired(41050, "welcome window passed before sending", path)
        body = {"welcome_code": code, **_body(text, attachments)}

        def attempt(ambiguous_before: bool) -> WelcomeSent:
            timeout = self.timeout if deadline is None else max(0.05, min(self.timeout, deadline - self.clock()))
            try:
                self._call("post", path, data=body, timeout=timeout)
            except WelcomeCodeUsed:
                if ambiguous_before:  # the code is single-use: our earlier attempt went through
                    log.info("welcome code already used by our earlier attempt")
                    return WelcomeSent(on_earlier_attempt=True)
                raise
            except WelcomeCodeExpired as err:
                if ambiguous_before:
                    raise OutcomeUnknown(err.errcode, err.errmsg, path, since=self.clock()) from err
                raise
            return WelcomeSent()

        return self.retrier.run_create(attempt, None, deadline=deadline)

    # -- 1:1 mass sends --------------------------------------------------------------------------------

    def add_msg_template(self, sender: str, external_userids: Sequence[str], text: str,
                         attachments: Sequence[dict[str, Any]] = (), *, allow_select: bool = False,
                         tag_ids: Sequence[str] = ()) -> MsgTemplateCreated:
        """Create a 1:1 mass-send task that `sender` confirms in the client; never create it twice."""
        path = "externalcontact/add_msg_template"
        body: dict[str, Any] = {"chat_type": "single", "sender": sender, "external_userid": list(external_userids),
                                "allow_select": allow_select, **_body(text, attachments)}
        if tag_ids:
            body["tag_filter"] = {"group_list": [{"tag_list": list(tag_ids)}]}

        def attempt(_: bool) -> MsgTemplateCreated:
            reply = self._call("post", path, data=body)
            log.info("mass-send task %s created for sender %s", reply.get("msgid"), sender)
            return MsgTemplateCreated(str(reply["msgid"]), tuple(reply.get("fail_list") or ()))

        def lookup(since: float) -> MsgTemplateCreated | None:
            msgid = self.find_msg_template(sender, text, since)
            return MsgTemplateCreated(msgid, adopted=True) if msgid else None

        return self.retrier.run_create(attempt, lookup)

    def find_msg_template(self, sender: str, text: str, since: float) -> str | None:
        """Return the msgid of a task for `sender` with `text` created since `since` (e.g. OutcomeUnknown.since)."""
        return find.find_msg_template(self._post_read, sender=sender, text=text,
                                      start=since - self.lookup_slack, end=self.clock() + self.lookup_slack)

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
        self._write("externalcontact/remind_groupmsg_send", {"msgid": msgid}, safe=False)

    def cancel_groupmsg_send(self, msgid: str) -> None:
        """Stop the unconfirmed parts of a mass-send task."""
        self._write("externalcontact/cancel_groupmsg_send", {"msgid": msgid})

    def _pages(self, path: str, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        return list(find.pages(self._post_read, path, body, key))

    # -- Moments ---------------------------------------------------------------------------------------

    def add_moment_task(self, text: str, attachments: Sequence[dict[str, Any]] = (),
                        sender_userids: Sequence[str] = (), tag_ids: Sequence[str] = ()) -> MomentTaskCreated:
        """Create a Moments task that each sender confirms; never create it twice."""
        path = "externalcontact/add_moment_task"
        body = _body(text, attachments)
        visible: dict[str, Any] = {}
        if sender_userids:
            visible["sender_list"] = {"user_list": list(sender_userids)}
        if tag_ids:
            visible["external_contact_list"] = {"tag_list": list(tag_ids)}
        if visible:
            body["visible_range"] = visible

        def attempt(_: bool) -> MomentTaskCreated:
            jobid = str(self._call("post", path, data=body)["jobid"])
            log.info("moments job %s created for %d senders", jobid, len(sender_userids))
            return MomentTaskCreated(jobid)

        def lookup(since: float) -> MomentTaskCreated | None:
            moment_id = self.find_moment(text, sender_userids, since)
            return MomentTaskCreated(None, moment_id, adopted=True) if moment_id else None

        return self.retrier.run_create(attempt, lookup)

    def find_moment(self, text: str, sender_userids: Sequence[str], since: float) -> str | None:
        """Return the moment_id of a post with `text` for `sender_userids` created since `since`."""
        return find.find_moment(self._post_read, text=text, senders=list(sender_userids),
                                start=since - self.lookup_slack, end=self.clock() + self.lookup_slack)

    def get_moment_task_result(self, jobid: str) -> MomentTaskResult:
        """Return the state of a Moments job (status 3 carries the moment_id)."""
        return MomentTaskResult.parse(self._read("get", "externalcontact/get_moment_task_result",
                                                 params={"jobid": jobid}))

    def get_moment_comments(self, moment_id: str, userid: str) -> list[MomentInteraction]:
        """Customers who commented on or liked `userid`'s copy of a Moments post."""
        reply = self._post_read("externalcontact/get_moment_comments", {"moment_id": moment_id, "userid": userid})
        return MomentInteraction.parse_all(reply)

    # -- channels --------------------------------------------------------------------------------------

    def add_contact_way(self, state: str, users: Sequence[str], *, scene: int = 2, skip_verify: bool = True,
                        remark: str | None = None, type: int | None = None) -> ContactWay:
        """Create a channel QR code carrying `state` (≤ 30 chars); an ambiguous failure is not repeated."""
        body: dict[str, Any] = {"type": type or (1 if len(users) == 1 else 2), "scene": scene, "state": state,
                                "user": list(users), "skip_verify": skip_verify}
        if remark:
            body["remark"] = remark
        reply = self._write("externalcontact/add_contact_way", body, safe=False)
        return ContactWay(str(reply["config_id"]), reply.get("qr_code"))


def build_gateway(settings: Any, redis: Redis | None) -> Gateway:
    """Build the process's gateway (the hook Services calls)."""
    return Gateway.from_settings(settings, redis)


def gateway_for(services: Any) -> Gateway:
    """Return the Services' gateway, building it on first use (kept in services.extras["gateway"])."""
    gateway = services.extras.get("gateway")
    if gateway is None:
        gateway = services.extras["gateway"] = build_gateway(services.settings, services.redis)
    return gateway
