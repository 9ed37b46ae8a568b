"""Bots react to events: each router's handlers decide, the job that runs them commits. Listed by hand: no scanning."""
from __future__ import annotations

from app.wecom.events import Event
from bots import archive, contacts, tags
from bots.context import BotContext
from bots.router import Router

ROUTERS: list[Router] = [contacts.router, tags.router, archive.router]


def dispatch(event: Event, ctx: BotContext, routers: list[Router] | None = None) -> int:
    """Run every handler registered for the event; return how many ran."""
    count = 0
    for router in ROUTERS if routers is None else routers:
        for handler in router.matching(event.kind, event.change_type):
            handler(event, ctx)
            count += 1
    return count
