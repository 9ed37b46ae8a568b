"""The seam after new prospect messages are stored: a registry of callables (intent detection plugs in here)."""
from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger(__name__)

NEW_MESSAGE_HOOKS: list[Callable[[Any, list[int]], None]] = []


def on_new_messages(services: Any, message_ids: list[int]) -> int:
    """Call every registered hook with the ids of newly stored prospect messages; return how many failed."""
    failed = 0
    for hook in list(NEW_MESSAGE_HOOKS):
        try:
            hook(services, message_ids)
        except Exception:  # noqa: BLE001
            failed += 1
            log.exception("archive hook %s failed on %d messages", getattr(hook, "__name__", hook), len(message_ids))
    return failed
