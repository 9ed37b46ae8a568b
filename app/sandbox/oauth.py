"""Web OAuth for tracked links: the control endpoint mints a code for a contact, user/getuserinfo redeems it.

Real WeCom issues the code when a viewer passes through open.weixin.qq.com/connect/oauth2/authorize; the
sandbox has no browser, so a test asks for one with POST /sandbox/oauth/code. Codes are single use and
expire after five minutes on the sandbox clock, as WeCom's do.
"""
from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, jsonify, request

from app.sandbox.endpoints import endpoint
from app.sandbox.errors import ApiError

if TYPE_CHECKING:
    from app.sandbox.state import SandboxState

CODE_TTL = 300.0
INVALID_CODE = 40029
bp = Blueprint("sandbox_oauth", __name__, url_prefix="/sandbox/oauth")
_codes: "weakref.WeakKeyDictionary[SandboxState, dict[str, tuple[str, float]]]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def issue_code(state: "SandboxState", external_userid: str) -> str:
    """Mint a single-use code that identifies `external_userid` (who must be a contact of the corp)."""
    if external_userid not in state.contacts:
        raise KeyError(f"unknown external_userid {external_userid}")
    code = state.new_id("oc", 32)
    with _lock:
        _codes.setdefault(state, {})[code] = (external_userid, state.clock.now() + CODE_TTL)
    return code


def redeem_code(state: "SandboxState", code: str) -> str:
    """Return the external_userid behind a code and burn it; ApiError 40029 when unknown, used or expired."""
    with _lock:
        entry = _codes.get(state, {}).pop(code, None)
    if entry is None or entry[1] < state.clock.now():
        raise ApiError(INVALID_CODE, "invalid code")
    return entry[0]


@endpoint("user/getuserinfo", get=True)
def getuserinfo(state: "SandboxState", args: dict[str, str], _body: dict[str, Any]) -> dict[str, Any]:
    """Answer who opened the page: an external contact's external_userid (and an openid, as WeCom does)."""
    external_userid = redeem_code(state, args.get("code", ""))
    return {"external_userid": external_userid, "OpenId": f"o{external_userid[-20:]}"}


@bp.post("/code")
def new_code() -> Any:
    """Mint an OAuth code for a contact, as if they had opened a link through WeCom's OAuth redirect."""
    body = request.get_json(silent=True) or {}
    external_userid = body.get("external_userid") if isinstance(body, dict) else None
    if not isinstance(external_userid, str):
        return jsonify({"error": "external_userid is required"}), 400
    try:
        code = issue_code(current_app.extensions["sandbox_state"], external_userid)
    except KeyError as err:
        return jsonify({"error": str(err)}), 400
    return jsonify({"code": code, "expires_in": int(CODE_TTL)})
