"""Session archive: a msgaudit_notify callback means new archived messages are ready; pull them."""
from __future__ import annotations

from app.wecom.events import ArchiveNotify
from bots.context import BotContext
from bots.effects import Action
from bots.router import Router

router = Router("archive")


def pull_archive(event_id: int) -> Action:
    """Pull the archive on the default queue, once per notify event."""
    return Action("pull_archive", f"pull-archive:{event_id}", {}, queue="welcome")


@router.on("msgaudit_notify")
def on_archive_notify(event: ArchiveNotify, ctx: BotContext) -> None:
    """Record a pull of the archive."""
    ctx.record(pull_archive(ctx.event_id))
