"""Bots react to events. Routers and archive hooks are listed here by hand: no scanning."""
from __future__ import annotations

from app.wecom.archive.hooks import NEW_MESSAGE_HOOKS
from bots import archive, contacts, inquiry, tags
from bots.context import BotContext
from bots.router import Router

ROUTERS: list[Router] = [contacts.router, tags.router, archive.router]
if inquiry.on_messages not in NEW_MESSAGE_HOOKS:
    NEW_MESSAGE_HOOKS.append(inquiry.on_messages)


def dispatch(event, ctx: BotContext, routers: list[Router] | None = None) -> int:
    """Run every handler registered for the event; return how many ran."""
    count = 0
    for router in ROUTERS if routers is None else routers:
        for handler in router.matching(event.kind, event.change_type):
            handler(event, ctx)
            count += 1
    return count
