"""The Finance SDK over HTTP (/sandbox/finance/): GetChatData and the archive's private keys."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from sandbox.archive import MAX_LIMIT
from sandbox.errors import ApiError
from sandbox.state import SandboxState

bp = Blueprint("sandbox_finance", __name__, url_prefix="/sandbox/finance")


@bp.errorhandler(ApiError)
def _sdk_error(err: ApiError) -> Any:
    """Answer like the SDK: errcode and errmsg in the JSON, HTTP 200."""
    return jsonify(err.body())


@bp.post("/getchatdata")
def getchatdata() -> Any:
    """Serve GetChatData over HTTP: {seq, limit, secret} → {errcode, chatdata[]}."""
    state: SandboxState = current_app.extensions["sandbox_state"]
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(47001)
    return jsonify(state.archive.get_chat_data(body.get("seq", 0), body.get("limit", MAX_LIMIT), body.get("secret")))


@bp.get("/private_keys")
def private_keys() -> Any:
    """Return the archive private keys by version (a sandbox-only convenience for a separate-process demo)."""
    state: SandboxState = current_app.extensions["sandbox_state"]
    return jsonify({str(v): pem for v, pem in state.archive.private_keys().items()})
