"""Helpers for the archive tests: services wired to a sandbox's archive, and counting stored messages."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from app.services import Services
from app.store.archive import cursor_of
from app.store.models import ArchivedMessage
from app.wiring import build_services
from sandbox import SandboxServer
from tests.settings import make_settings


def archive_services(database_url: str, sandbox: SandboxServer, versions: list[int] | None = None) -> Services:
    """Services whose archive reader reads `sandbox`, holding the private keys of `versions` (default: all)."""
    keys = sandbox.state.archive.private_keys()
    held = {str(v): pem for v, pem in keys.items() if versions is None or v in versions}
    settings = make_settings(database_url, None, wecom_corp_id=sandbox.state.config.corp_id,
                             wecom_api_base=sandbox.api_base, archive_private_keys=json.dumps(held))
    return build_services(settings)


def seqs(services: Services) -> list[int]:
    """Return the stored messages' seqs, ascending."""
    with services.sessions() as session:
        return list(session.scalars(select(ArchivedMessage.seq).order_by(ArchivedMessage.seq)))


def stored(services: Services) -> int:
    """Return how many messages are stored."""
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(ArchivedMessage))


def cursor(services: Services) -> int:
    """Return the corp's archive cursor."""
    with services.sessions() as session:
        return cursor_of(session, services.settings.wecom_corp_id)


def chat(state, count: int, userid: str = "zhangsan") -> str:
    """Record `count` alternating messages between a new prospect and `userid`; return the prospect."""
    ext = state.contacts.add_prospect(userid)["external_userid"]
    for i in range(count):
        state.contacts.record_message(ext, userid, f"消息 {i}", from_prospect=i % 2 == 0)
    return ext
