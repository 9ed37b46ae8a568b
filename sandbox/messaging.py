"""The messaging part: app messages to staff (message/send) and group robot messages (webhook/send)."""
from __future__ import annotations

from typing import Any

from sandbox.core import SandboxCore
from sandbox.errors import ApiError
from sandbox.rules import WindowCounter, check_text

APP_MSG_TYPES = ("text", "textcard", "markdown")
ROBOT_MSG_TYPES = ("text", "markdown")


class Messaging:
    """Alerts to staff: app messages with silent per-member drops, robots with 45009."""

    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.app_messages: dict[str, list[dict[str, Any]]] = {}
        self.robot_log: dict[str, list[dict[str, Any]]] = {}
        self._member_minute = WindowCounter(60.0)
        self._member_hour = WindowCounter(3600.0)
        self._robot_minute = WindowCounter(60.0)

    def send_app_message(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer message/send: deliver to valid members, silently drop what exceeds the per-member rate."""
        msgtype = body.get("msgtype")
        if msgtype not in APP_MSG_TYPES:
            raise ApiError(40008)
        if str(body.get("agentid")) != str(self.core.config.agent_id):
            raise ApiError(40056)
        content = body.get(msgtype)
        if not isinstance(content, dict):
            raise ApiError(40058, f"{msgtype} is required")
        if msgtype == "textcard":
            check_text(content.get("title"), 128, by_bytes=True, required=True)
            check_text(content.get("description"), 512, by_bytes=True, required=True)
        else:
            check_text(content.get("content"), 2048, by_bytes=True, required=True)
        raw = str(body.get("touser") or "")
        users = list(self.core.config.staff) if raw == "@all" else [u for u in raw.split("|") if u]
        valid = [u for u in dict.fromkeys(users) if u in self.core.config.staff]
        invalid = [u for u in users if u not in self.core.config.staff]
        if not valid:
            raise ApiError(81013)
        with self.core.lock:
            now = self.core.clock.now()
            for userid in valid:
                if (self._member_minute.count(userid, now) >= self.core.config.app_msg_per_member_minute
                        or self._member_hour.count(userid, now) >= self.core.config.app_msg_per_member_hour):
                    self.core.violate("app_msg_rate", userid=userid)
                    continue
                self._member_minute.add(userid, now)
                self._member_hour.add(userid, now)
                self.app_messages.setdefault(userid, []).append({"msgtype": msgtype, msgtype: content, "at": now})
            return {"invaliduser": "|".join(invalid), "msgid": self.core.new_id("appmsg", 24)}

    def app_messages_for(self, userid: str) -> list[dict[str, Any]]:
        """Return the app messages a staff member actually received."""
        with self.core.lock:
            return list(self.app_messages.get(userid, []))

    def send_robot_message(self, key: str | None, body: dict[str, Any]) -> None:
        """Answer webhook/send: post to the robot's group, at most robot_per_minute a minute."""
        if not key or key not in self.core.config.robot_keys:
            raise ApiError(93000)
        msgtype = body.get("msgtype")
        if msgtype not in ROBOT_MSG_TYPES:
            raise ApiError(40008)
        content = body.get(msgtype)
        if not isinstance(content, dict):
            raise ApiError(40058, f"{msgtype} is required")
        check_text(content.get("content"), 2048 if msgtype == "text" else 4096, by_bytes=True, required=True)
        with self.core.lock:
            now = self.core.clock.now()
            if self._robot_minute.count(key, now) >= self.core.config.robot_per_minute:
                self.core.violate("robot_rate", key=key)
                raise ApiError(45009)
            self._robot_minute.add(key, now)
            self.robot_log.setdefault(key, []).append({"msgtype": msgtype, msgtype: content, "at": now})

    def robot_messages(self, key: str) -> list[dict[str, Any]]:
        """Return the messages a group robot posted."""
        with self.core.lock:
            return list(self.robot_log.get(key, []))
