"""The /cgi-bin/ blueprint: one view that logs, rate-limits, authenticates, injects faults and dispatches."""
from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox import api_contacts, api_messages, api_tasks  # noqa: F401  (they register the endpoints)
from sandbox.access import Fault
from sandbox.endpoints import ENDPOINTS
from sandbox.errors import ApiError
from sandbox.state import SandboxState

bp = Blueprint("sandbox_api", __name__, url_prefix="/cgi-bin")


def current_state() -> SandboxState:
    """Return the SandboxState of the running app."""
    return current_app.extensions["sandbox_state"]


def _json_body() -> dict[str, Any]:
    raw = request.get_data()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(47001) from None
    if not isinstance(body, dict):
        raise ApiError(47001)
    return body


def _fault_reply(fault: Fault) -> tuple[Response, int] | None:
    """Apply a fault's delay, then return its error reply (None when it is only a delay)."""
    if fault.delay:
        time.sleep(fault.delay)
    if fault.http_status:
        return jsonify({"errcode": -1, "errmsg": "sandbox injected fault"}), fault.http_status
    if fault.errcode is not None:
        return jsonify(ApiError(fault.errcode).body()), 200
    return None


@bp.route("/<path:path>", methods=["GET", "POST"])
def call(path: str) -> Any:
    """Answer one WeCom API call exactly as the platform would."""
    state = current_state()
    state.tick()
    target = ENDPOINTS.get(path)
    if target is None:
        return jsonify({"errcode": 48001, "errmsg": f"api not simulated by the sandbox: {path}"}), 404
    entry: dict[str, Any] = {}
    try:
        entry = state.access.record_call(path, request.method)
        fault = state.access.take_fault(path)
        if fault and not fault.after_effect:
            reply = _fault_reply(fault)
            if reply is not None:
                entry["errcode"] = fault.errcode or -1
                return reply
        if request.method == "GET" and not target.allows_get:
            raise ApiError(43002)
        if target.needs_token:
            state.access.check_token(request.args.get("access_token"))
        answer = target.handler(state, request.args.to_dict(), _json_body()) or {}
        if fault and fault.after_effect:
            reply = _fault_reply(fault)
            if reply is not None:
                entry["errcode"] = fault.errcode or -1
                return reply
    except ApiError as err:
        entry["errcode"] = err.errcode
        return jsonify(err.body())
    entry["errcode"] = 0
    return jsonify({"errcode": 0, "errmsg": "ok", **answer})
