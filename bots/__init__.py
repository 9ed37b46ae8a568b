"""Bots react to events. Routers are listed here by hand: no scanning, nothing global at import."""
from __future__ import annotations

from bots import contacts, tags
from bots.context import BotContext
from bots.router import Router

ROUTERS: list[Router] = [contacts.router, tags.router]


def dispatch(event, ctx: BotContext, routers: list[Router] | None = None) -> int:
    """Run every handler registered for the event; return how many ran."""
    count = 0
    for router in ROUTERS if routers is None else routers:
        for handler in router.matching(event.kind, event.change_type):
            handler(event, ctx)
            count += 1
    return count
