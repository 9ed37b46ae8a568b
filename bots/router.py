"""A small event router: handlers register with @router.on(kind, change_type=...)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Handler = Callable[[Any, Any], None]


@dataclass
class Router:
    """Handlers keyed by event kind and optional change type."""

    name: str
    handlers: list[tuple[str, str | None, Handler]] = field(default_factory=list)

    def on(self, kind: str, change_type: str | None = None) -> Callable[[Handler], Handler]:
        """Register the decorated function for events of this kind (and change type)."""

        def register(func: Handler) -> Handler:
            self.handlers.append((kind, change_type, func))
            return func

        return register

    def matching(self, kind: str, change_type: str | None) -> list[Handler]:
        """Return the handlers for an event, in registration order."""
        return [h for k, c, h in self.handlers if k == kind and (c is None or c == change_type)]
