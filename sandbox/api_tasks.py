"""WeCom endpoints for mass-send tasks and Moments tasks."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.endpoints import endpoint

if TYPE_CHECKING:
    from sandbox.state import SandboxState


@endpoint("externalcontact/add_msg_template")
def add_msg_template(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Create a 1:1 mass-send task that waits for the sender's confirmation."""
    return state.campaigns.add_msg_template(body)


@endpoint("externalcontact/get_groupmsg_list_v2")
def get_groupmsg_list_v2(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """List mass-send tasks created in a time range."""
    return state.campaigns.groupmsg_list(body)


@endpoint("externalcontact/get_groupmsg_task")
def get_groupmsg_task(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Return each sender's status for a task."""
    return state.campaigns.groupmsg_task(body)


@endpoint("externalcontact/get_groupmsg_send_result")
def get_groupmsg_send_result(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Return per-contact results of a task for one sender."""
    return state.campaigns.groupmsg_send_result(body)


@endpoint("externalcontact/remind_groupmsg_send")
def remind_groupmsg_send(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Remind the senders of a task (limited per 24 hours)."""
    state.campaigns.remind_groupmsg(body)


@endpoint("externalcontact/cancel_groupmsg_send")
def cancel_groupmsg_send(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Stop the unconfirmed parts of a task."""
    state.campaigns.cancel_groupmsg(body)


@endpoint("externalcontact/add_moment_task")
def add_moment_task(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Create a Moments task that waits for each sender to publish."""
    return state.moments.add_moment_task(body)


@endpoint("externalcontact/get_moment_task_result", get=True)
def get_moment_task_result(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Return the state of a Moments job."""
    return state.moments.moment_task_result(args.get("jobid") or body.get("jobid"))


@endpoint("externalcontact/get_moment_list")
def get_moment_list(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """List Moments posts created in a time range."""
    return state.moments.moment_list(body)


@endpoint("externalcontact/get_moment_task")
def get_moment_task(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Return each executor's publish status for a post."""
    return state.moments.moment_task(body)


@endpoint("externalcontact/get_moment_comments")
def get_moment_comments(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Return the customers who commented on or liked one publisher's copy of a post."""
    return state.moments.moment_comments(body)


@endpoint("externalcontact/cancel_moment_task")
def cancel_moment_task(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Stop the unpublished parts of a post."""
    state.moments.cancel_moment(body)
