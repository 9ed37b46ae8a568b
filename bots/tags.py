"""Keep our copy of the corp tag catalogue in step with changes made in the WeCom admin console."""
from __future__ import annotations

from app.wecom.events import ExternalTagChanged
from bots import effects
from bots.context import BotContext
from bots.router import Router

router = Router("tags")


@router.on("change_external_tag")
def tag_changed(event: ExternalTagChanged, ctx: BotContext) -> None:
    """Forget deleted tags at once, then reload the catalogue from WeCom."""
    if event.change_type == "delete" and event.tag_id:
        ctx.book.forget_tag(event.tag_id, group=event.tag_type == "tag_group")
    ctx.record(effects.refresh_tags(f"refresh-tags:{ctx.event_id}"))
