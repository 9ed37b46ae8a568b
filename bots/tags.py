"""Keep our copy of the corp tag catalogue in step with changes made in the WeCom admin console."""
from __future__ import annotations

from sqlalchemy import update

from app.store.models import Tag
from app.wecom.events import ExternalTagChanged
from bots import effects
from bots.context import BotContext
from bots.router import Router

router = Router("tags")


@router.on("change_external_tag")
def tag_changed(event: ExternalTagChanged, ctx: BotContext) -> None:
    """Forget deleted tags at once, then reload the catalogue from WeCom."""
    if event.change_type == "delete" and event.tag_id:
        column = Tag.group_id if event.tag_type == "tag_group" else Tag.tag_id
        ctx.session.execute(update(Tag).where(column == event.tag_id).values(deleted=True))
    ctx.record(effects.refresh_tags(f"refresh-tags:{ctx.event_id}"))
