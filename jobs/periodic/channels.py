"""Create a WeCom contact way (QR code) for every channel in channels.yaml that has none, exactly once."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from app.services import Services
from app.store.models import Channel, utcnow
from app.store.upsert import insert_ignore
from content.channels import ChannelDef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncedChannel:
    """One channel after a sync: its contact way, whether this run created it, and any warning."""

    state: str
    name: str
    config_id: str | None
    qr_code: str | None
    created: bool
    note: str = ""


def sync_channels(services: Services) -> list[SyncedChannel]:
    """Create missing contact ways and upsert every channel's row; channels already synced are not re-created."""
    return [_sync_one(services, channel) for channel in services.content.channels().channels.values()]


def _sync_one(services: Services, channel: ChannelDef) -> SyncedChannel:
    """Create the contact way under the row lock and commit at once: add_contact_way is never repeated."""
    with services.sessions() as session:
        insert_ignore(session, Channel, {"state": channel.state, "name": channel.name, "owner_userids": []},
                      ["state"], Channel.id)
        row = session.execute(select(Channel).where(Channel.state == channel.state).with_for_update()).scalar_one()
        created, note = False, ""
        if row.config_id is None and channel.staff:
            way = services.gateway.channels.add_contact_way(channel.state, channel.staff)
            row.config_id, row.qr_code, row.owner_userids = way.config_id, way.qr_code, list(channel.staff)
            created = True
            log.info("contact way %s created for channel %s", way.config_id, channel.state)
        elif row.config_id is None:
            note = "no staff in channels.yaml: no contact way created"
        elif list(row.owner_userids) != list(channel.staff):
            note = f"staff in channels.yaml {list(channel.staff)} differ from the contact way's {row.owner_userids}"
        row.name, row.welcome_text = channel.name, channel.welcome_text
        row.welcome_attachments = channel.welcome_attachments
        row.initial_tags, row.initial_stage, row.synced_at = list(channel.initial_tags), channel.initial_stage, utcnow()
        session.commit()
        return SyncedChannel(channel.state, channel.name, row.config_id, row.qr_code, created, note)
