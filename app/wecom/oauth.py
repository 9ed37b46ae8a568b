"""Gateway calls for web OAuth: who is behind a code from a tracked link or a console sign-in."""
from __future__ import annotations

from app.wecom.transport import Transport


class OAuth:
    """Resolve web OAuth codes to a contact or a member."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def viewer_of_code(self, code: str) -> str | None:
        """The external_userid behind a tracked-link viewer's OAuth code (user/getuserinfo); None for a member or
        a WeChat user who is no contact."""
        return self.transport.read("get", "user/getuserinfo", params={"code": code}).get("external_userid") or None

    def member_of_code(self, code: str) -> str | None:
        """The member userid behind a console sign-in's OAuth code (auth/getuserinfo); None for a non-member."""
        reply = self.transport.read("get", "auth/getuserinfo", params={"code": code})
        return reply.get("userid") or reply.get("UserId") or None
