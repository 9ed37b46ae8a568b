"""Gateway calls that alert staff: app messages and group robots, both counted on our side."""
from __future__ import annotations

from typing import Any, Sequence

from app.wecom.errors import RateLimited
from app.wecom.results import AppMessageSent
from app.wecom.transport import Transport

APP_MSG_TYPES = ("text", "textcard", "markdown")
ROBOT_MSG_TYPES = ("text", "markdown")


class Alerts:
    """Messages to staff members (as app `agent_id`) and to internal group chats."""

    def __init__(self, transport: Transport, agent_id: int | None) -> None:
        self.transport = transport
        self.agent_id = agent_id

    def send_app_message(self, touser: str | Sequence[str], msgtype: str,
                         content: dict[str, Any] | str, *, duplicate_check_interval: int = 1800) -> AppMessageSent:
        """Send an app message to staff, counted per member (WeCom silently drops the excess)."""
        if msgtype not in APP_MSG_TYPES:
            raise ValueError(f"msgtype must be one of {APP_MSG_TYPES}")
        users = [u for u in touser.split("|") if u] if isinstance(touser, str) else list(touser)
        payload = {"content": content} if isinstance(content, str) else dict(content)
        # WeCom's duplicate check makes a repeat after an ambiguous failure harmless.
        body = {"touser": "|".join(users), "msgtype": msgtype, "agentid": self.agent_id, msgtype: payload,
                "enable_duplicate_check": 1, "duplicate_check_interval": duplicate_check_interval}

        def attempt() -> dict[str, Any]:
            self.transport.limiter.members(self.transport.corp_id, self.agent_id, users)
            return self.transport.client.call("post", "message/send", data=body)

        reply = self.transport.retrier.run(attempt)
        invalid = tuple(u for u in str(reply.get("invaliduser") or "").split("|") if u)
        return AppMessageSent(str(reply.get("msgid") or ""), invalid)

    def robot_wait(self, key: str) -> float:
        """Seconds until the robot can take another message under our count (0.0: now)."""
        return self.transport.limiter.robot_wait(key)

    def send_robot(self, key: str, msgtype: str, content: dict[str, Any] | str) -> None:
        """Post to a group robot (no access token), at most robot_per_minute per key."""
        if msgtype not in ROBOT_MSG_TYPES:
            raise ValueError(f"msgtype must be one of {ROBOT_MSG_TYPES}")
        payload = {"content": content} if isinstance(content, str) else dict(content)
        body = {"msgtype": msgtype, msgtype: payload}

        def attempt() -> dict[str, Any]:
            self.transport.limiter.robot(key)
            try:
                return self.transport.client.call("post", "webhook/send", params={"key": key}, data=body,
                                                  with_token=False)
            except RateLimited as err:  # someone else posted through this robot: its window is a minute
                err.retry_after = max(err.retry_after or 0.0, 60.0)
                raise

        self.transport.retrier.run(attempt, safe=False)
