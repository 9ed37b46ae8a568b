"""Gateway calls over channels: the contact ways (QR codes) new customers add staff through."""
from __future__ import annotations

from typing import Any, Sequence

from app.wecom.results import ContactWay
from app.wecom.transport import Transport


class Channels:
    """Contact ways carrying a channel's `state`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def add_contact_way(self, state: str, users: Sequence[str], *, scene: int = 2, skip_verify: bool = True,
                        remark: str | None = None, type: int | None = None) -> ContactWay:
        """Create a channel QR code carrying `state` (≤ 30 chars); an ambiguous failure is not repeated."""
        body: dict[str, Any] = {"type": type or (1 if len(users) == 1 else 2), "scene": scene, "state": state,
                                "user": list(users), "skip_verify": skip_verify}
        if remark:
            body["remark"] = remark
        reply = self.transport.write("externalcontact/add_contact_way", body, safe=False)
        return ContactWay(str(reply["config_id"]), reply.get("qr_code"))
