"""Constants and helpers for gateway tests (their fixtures, `sb`, `make_gateway` and `gw`, are in conftest)."""
from __future__ import annotations

from typing import Any

from app.wecom.retry import RetryPolicy
from sandbox import SandboxServer

CORP_ID = "ww5andb0x0000001"
SECRET = "sandbox-contact-secret"
FAST_RETRY = RetryPolicy(attempts=4, base=0.01, factor=2.0, max_delay=0.05, deadline=10.0, settle=0.02)


def prospect(sb: SandboxServer, userid: str = "zhangsan", **kwargs: Any) -> dict[str, Any]:
    """Add a prospect to a staff member without firing a callback; return its ids and welcome code."""
    return sb.state.contacts.add_prospect(userid, emit=False, **kwargs)
