"""The one table of WeCom error codes the sandbox answers with, and the error it raises."""
from __future__ import annotations

ERRMSG: dict[int, str] = {
    -1: "system busy",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid userid",
    40008: "invalid message type",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40056: "invalid agentid",
    40058: "invalid parameter",
    40068: "invalid tagid",
    40071: "UserTag Name Already Exist",
    40096: "invalid external userid",
    41001: "access_token missing",
    41046: "missing msgid",
    41047: "invalid msgid",
    41048: "no customer to send",
    41049: "missing welcome msg code",
    41050: "invalid welcome msg code, must be used within 20 seconds of adding",
    41051: "externaluser has started chatting",
    41060: "invalid moment id",
    41064: "attachment count exceeds the limit",
    41065: "invalid attachment type",
    42001: "access_token expired",
    43002: "require POST method",
    44004: "empty content",
    45002: "content size out of limit",
    45009: "api freq out of limit",
    47001: "data format error",
    48001: "api forbidden",
    60111: "userid not found",
    81013: "user & party & tag all invalid",
    84061: "not external contact",
    93000: "invalid webhook url",
}


class ApiError(Exception):
    """A WeCom error answer: errcode plus an optional more specific errmsg."""

    def __init__(self, errcode: int, errmsg: str | None = None) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")

    def body(self) -> dict:
        """Return the JSON body WeCom would send for this error."""
        return {"errcode": self.errcode, "errmsg": self.errmsg}
