"""The registry of WeCom API endpoints the sandbox implements, filled by the api_* modules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from sandbox.state import SandboxState

Handler = Callable[["SandboxState", dict[str, str], dict[str, Any]], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Endpoint:
    """One API path: its handler, whether GET is allowed and whether it needs an access token."""

    path: str
    handler: Handler
    allows_get: bool
    needs_token: bool


ENDPOINTS: dict[str, Endpoint] = {}


def endpoint(path: str, *, get: bool = False, token: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler for `path` (relative to /cgi-bin/); handlers get (state, query args, JSON body)."""
    def register(handler: Handler) -> Handler:
        ENDPOINTS[path] = Endpoint(path, handler, get, token)
        return handler
    return register
