"""WeCom endpoints for app messages to staff and group robots."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.endpoints import endpoint

if TYPE_CHECKING:
    from sandbox.state import SandboxState


@endpoint("message/send")
def message_send(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Send an app message to staff."""
    return state.messaging.send_app_message(body)


@endpoint("webhook/send", token=False)
def webhook_send(state: "SandboxState", args: dict[str, str], body: dict[str, Any]) -> None:
    """Post a group robot message (the key is the only credential)."""
    state.messaging.send_robot_message(args.get("key"), body)
