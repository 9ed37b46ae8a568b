"""Web OAuth: the control endpoint mints a code for a contact (tracked links, redeemed by user/getuserinfo) or
for a member signing in to the console (redeemed by auth/getuserinfo, which answers their userid).

Real WeCom issues the code when a viewer passes through open.weixin.qq.com/connect/oauth2/authorize. The
sandbox serves that page too, at /connect/oauth2/authorize: the viewer is whoever the `X-Sandbox-Viewer`
header (or cookie) names, standing in for the WeChat identity of the phone's browser. A test can also ask for
a code directly with POST /sandbox/oauth/code. Codes are single use and expire after five minutes on the
sandbox clock, as WeCom's do.
"""
from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request

from sandbox.endpoints import endpoint
from sandbox.errors import ApiError

if TYPE_CHECKING:
    from sandbox.state import SandboxState

CODE_TTL = 300.0
INVALID_CODE = 40029
bp = Blueprint("sandbox_oauth", __name__, url_prefix="/sandbox/oauth")
authorize_bp = Blueprint("sandbox_oauth_authorize", __name__)
_codes: "weakref.WeakKeyDictionary[SandboxState, dict[str, tuple[str, str, float]]]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _mint(state: "SandboxState", kind: str, identity: str, prefix: str) -> str:
    """Store a single-use code naming `identity` (a contact or a member) for CODE_TTL seconds."""
    code = state.core.new_id(prefix, 32)
    with _lock:
        _codes.setdefault(state, {})[code] = (kind, identity, state.clock.now() + CODE_TTL)
    return code


def _redeem(state: "SandboxState", code: str, kinds: tuple[str, ...]) -> tuple[str, str]:
    """Burn a code of one of `kinds` and return (kind, identity); ApiError 40029 when unknown, used or expired."""
    with _lock:
        codes = _codes.get(state, {})
        entry = codes.get(code)
        if entry is not None and entry[0] in kinds:
            del codes[code]
        else:
            entry = None
    if entry is None or entry[2] < state.clock.now():
        raise ApiError(INVALID_CODE, "invalid code")
    return entry[0], entry[1]


def issue_code(state: "SandboxState", external_userid: str) -> str:
    """Mint a single-use code that identifies `external_userid` (who must be a contact of the corp)."""
    if external_userid not in state.contacts.contacts:
        raise KeyError(f"unknown external_userid {external_userid}")
    return _mint(state, "contact", external_userid, "oc")


def redeem_code(state: "SandboxState", code: str) -> str:
    """Return the external_userid behind a contact's code and burn it; ApiError 40029 when unknown, used or expired."""
    return _redeem(state, code, ("contact",))[1]


@endpoint("user/getuserinfo", get=True)
def getuserinfo(state: "SandboxState", args: dict[str, str], _body: dict[str, Any]) -> dict[str, Any]:
    """Answer who opened the page: an external contact's external_userid (and an openid, as WeCom does)."""
    external_userid = redeem_code(state, args.get("code", ""))
    return {"external_userid": external_userid, "OpenId": f"o{external_userid[-20:]}"}


def issue_member_code(state: "SandboxState", userid: str) -> str:
    """Mint a single-use code for a corp member, as WeCom's web login (QR or in-client OAuth) does."""
    if userid not in state.config.staff:
        raise KeyError(f"unknown member userid {userid}")
    return _mint(state, "member", userid, "mc")


@endpoint("auth/getuserinfo", get=True)
def auth_getuserinfo(state: "SandboxState", args: dict[str, str], _body: dict[str, Any]) -> dict[str, Any]:
    """Answer who signed in: a member's userid (member login codes) or a contact's external_userid."""
    kind, identity = _redeem(state, args.get("code", ""), ("member", "contact"))
    if kind == "member":
        return {"userid": identity}
    return {"external_userid": identity, "openid": f"o{identity[-20:]}"}


@bp.post("/code")
def new_code() -> Any:
    """Mint an OAuth code for a contact ({"external_userid"}) or a member signing in ({"userid"})."""
    body = request.get_json(silent=True) or {}
    body = body if isinstance(body, dict) else {}
    external_userid, userid = body.get("external_userid"), body.get("userid")
    state = current_app.extensions["sandbox_state"]
    try:
        if isinstance(external_userid, str):
            code = issue_code(state, external_userid)
        elif isinstance(userid, str):
            code = issue_member_code(state, userid)
        else:
            return jsonify({"error": "external_userid or userid is required"}), 400
    except KeyError as err:
        return jsonify({"error": str(err)}), 400
    return jsonify({"code": code, "expires_in": int(CODE_TTL)})


@authorize_bp.get("/connect/oauth2/authorize")
def authorize() -> Any:
    """WeChat's silent (snsapi_base) authorize page: back to redirect_uri with a code for the viewer, or none."""
    state = current_app.extensions["sandbox_state"]
    args = request.args
    target = args.get("redirect_uri", "")
    if args.get("appid") != state.config.corp_id or urlsplit(target).scheme not in ("http", "https"):
        return jsonify({"errcode": 40013, "errmsg": "invalid appid or redirect_uri"}), 400
    if args.get("response_type") != "code" or args.get("scope") not in ("snsapi_base", "snsapi_privateinfo"):
        return jsonify({"errcode": 40001, "errmsg": "invalid response_type or scope"}), 400
    viewer = request.headers.get("X-Sandbox-Viewer") or request.cookies.get("sandbox_viewer")
    query = {"state": args.get("state", "")}
    if viewer and viewer in state.contacts.contacts:
        query = {"code": issue_code(state, viewer), **query}
    return redirect(f"{target}{'&' if '?' in target else '?'}{urlencode(query)}", 302)
