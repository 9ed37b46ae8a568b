"""The /sandbox/ blueprint: JSON control endpoints so another process can drive the simulated corp."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from sandbox.errors import ApiError
from sandbox.state import SandboxState

bp = Blueprint("sandbox_control", __name__, url_prefix="/sandbox")


def _state() -> SandboxState:
    state: SandboxState = current_app.extensions["sandbox_state"]
    state.tick()
    return state


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.errorhandler(KeyError)
@bp.errorhandler(ValueError)
@bp.errorhandler(ApiError)
def _bad_request(err: Exception) -> Any:
    """Answer a control call that names something unknown or invalid."""
    detail = err.body() if isinstance(err, ApiError) else {"error": str(err)}
    return jsonify(detail), 400


@bp.get("/state")
def summary() -> Any:
    """Return counts of everything in the corp."""
    return jsonify(_state().summary())


@bp.get("/violations")
def violations() -> Any:
    """Return platform-rule breaches per rule, their total and the detail log."""
    state = _state()
    return jsonify({"violations": state.core.violations, "total": state.core.violation_total(),
                    "log": state.core.violation_log})


@bp.post("/prospects")
def add_prospect() -> Any:
    """Simulate a prospect adding a staff member."""
    b = _body()
    if "userid" not in b:
        raise ValueError("userid is required")
    return jsonify(_state().contacts.add_prospect(b["userid"], state=b.get("state", ""), name=b.get("name"),
                                                  half=bool(b.get("half")), external_userid=b.get("external_userid"),
                                                  emit=b.get("emit", True)))


@bp.post("/prospects/<external_userid>/delete_staff")
def prospect_deletes_staff(external_userid: str) -> Any:
    """Simulate a prospect deleting a staff member (defaults to every staff member it follows)."""
    state, userid = _state(), _body().get("userid")
    targets = [userid] if userid else [u for u in state.config.staff if state.contacts.is_friend(u, external_userid)]
    if not targets:
        raise KeyError(f"{external_userid} follows no staff")
    for u in targets:
        state.contacts.delete_follow(external_userid, u)
    return jsonify({"deleted": targets})


@bp.post("/prospects/<external_userid>/messages")
def prospect_message(external_userid: str) -> Any:
    """Record a chat message from a prospect to a staff member."""
    b = _body()
    return jsonify(_state().contacts.record_message(external_userid, b["userid"], b["text"],
                                                    from_prospect=b.get("from_prospect", True)))


@bp.post("/staff/<userid>/delete_contact")
def staff_deletes_contact(userid: str) -> Any:
    """Simulate a staff member deleting a contact."""
    b = _body()
    _state().contacts.staff_delete_contact(userid, b["external_userid"], source=b.get("source"))
    return jsonify({"deleted": b["external_userid"]})


@bp.post("/staff/<userid>/edit_contact")
def staff_edits_contact(userid: str) -> Any:
    """Simulate a staff member editing a contact's remark or tags in the client."""
    b = _body()
    _state().contacts.edit_contact(userid, b["external_userid"], remark=b.get("remark"),
                                   description=b.get("description"), add_tags=tuple(b.get("add_tags", ())),
                                   remove_tags=tuple(b.get("remove_tags", ())))
    return jsonify({"edited": b["external_userid"]})


@bp.post("/tags")
def admin_add_tags() -> Any:
    """Simulate an admin adding corp tags in the console (fires change_external_tag)."""
    return jsonify(_state().tags.add_corp_tag(_body(), emit=True))


@bp.get("/mass_tasks")
def mass_tasks() -> Any:
    """List the mass-send tasks of a staff member."""
    return jsonify(_state().campaigns.mass_tasks_for(request.args["userid"]))


@bp.post("/mass_tasks/<msgid>/confirm")
def confirm_mass(msgid: str) -> Any:
    """Simulate a sender confirming a mass-send task."""
    return jsonify(_state().campaigns.confirm_mass_task(msgid, _body()["userid"]))


@bp.get("/moment_tasks")
def moment_tasks() -> Any:
    """List the Moments tasks of a staff member."""
    return jsonify(_state().moments.moment_tasks_for(request.args["userid"]))


@bp.post("/moment_tasks/<jobid>/confirm")
def confirm_moment(jobid: str) -> Any:
    """Simulate a staff member publishing a Moments post."""
    return jsonify(_state().moments.confirm_moment_task(jobid, _body()["userid"]))


@bp.post("/faults")
def add_fault() -> Any:
    """Plan a fault for an endpoint."""
    b = _body()
    fault = _state().access.inject_fault(b["path"], errcode=b.get("errcode"), http_status=b.get("http_status"),
                                         delay=b.get("delay"), times=int(b.get("times", 1)),
                                         after_effect=bool(b.get("after_effect")))
    return jsonify(fault.as_dict())


@bp.delete("/faults")
def clear_faults() -> Any:
    """Remove every planned fault."""
    _state().access.clear_faults()
    return jsonify({"cleared": True})


@bp.post("/tokens/expire")
def expire_tokens() -> Any:
    """Expire every issued access token."""
    return jsonify({"expired": _state().access.expire_tokens()})


@bp.post("/clock/advance")
def advance_clock() -> Any:
    """Move the sandbox clock forward."""
    return jsonify({"now": _state().advance(float(_body().get("seconds", 0)))})


@bp.post("/clock/set")
def set_clock() -> Any:
    """Put the sandbox clock at an instant (epoch seconds), earlier or later, when a scenario starts."""
    epoch = _body().get("epoch")
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return jsonify({"error": "epoch must be a number of seconds"}), 400
    return jsonify({"now": _state().clock.set(float(epoch))})


@bp.get("/messages/app/<userid>")
def app_messages(userid: str) -> Any:
    """Return the app messages a staff member received."""
    return jsonify(_state().messaging.app_messages_for(userid))


@bp.get("/messages/robot/<key>")
def robot_messages(key: str) -> Any:
    """Return the messages a group robot posted."""
    return jsonify(_state().messaging.robot_messages(key))


@bp.get("/welcome/<external_userid>")
def welcome_messages(external_userid: str) -> Any:
    """Return the welcome messages a prospect received."""
    return jsonify(_state().contacts.welcome_messages_for(external_userid))


@bp.get("/callbacks")
def callbacks() -> Any:
    """Return the callback delivery records."""
    return jsonify([asdict(d) for d in _state().core.callbacks_sent])


@bp.get("/calls")
def calls() -> Any:
    """Return API call counts per endpoint."""
    return jsonify(dict(_state().core.call_counts))
