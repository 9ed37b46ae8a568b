"""Our copy of WeCom's corp tags: look tags up by (group, name), creating missing ones through the gateway."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Iterator

from redis.exceptions import LockError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import Services
from app.store.models import Tag, utcnow
from app.wecom.errors import TagExists
from app.wecom.results import TagGroup

log = logging.getLogger(__name__)
_local_lock = threading.Lock()


def store_groups(session: Session, groups: list[TagGroup], complete: bool = False) -> None:
    """Upsert the tags of these groups; with `complete`, mark tags WeCom no longer lists as deleted."""
    seen = set()
    for group in groups:
        for tag in group.tags:
            seen.add(tag.id)
            row = session.get(Tag, tag.id) or Tag(tag_id=tag.id)
            row.name, row.group_id, row.group_name = tag.name, group.group_id, group.group_name
            row.deleted, row.updated_at = False, utcnow()
            session.add(row)
    if complete:
        for row in session.execute(select(Tag).where(Tag.deleted.is_(False))).scalars():
            if row.tag_id not in seen:
                row.deleted = True
    session.flush()


def known(session: Session, group_name: str, names: list[str]) -> dict[str, str]:
    """Tag ids by name for tags of the group that we know about."""
    return known_groups(session, {group_name: names})[group_name]


def known_groups(session: Session, wanted: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Tag ids by group and name for the wanted tags we know about, in one query."""
    names = {name for group in wanted.values() for name in group}
    rows = session.execute(
        select(Tag.group_name, Tag.name, Tag.tag_id)
        .where(Tag.group_name.in_(list(wanted)), Tag.name.in_(names), Tag.deleted.is_(False))
    ).all()
    found: dict[str, dict[str, str]] = {group: {} for group in wanted}
    for group, name, tag_id in rows:
        if name in wanted[group]:
            found[group][name] = tag_id
    return found


def ensure_tags(session: Session, services: Services, group_name: str, names: list[str]) -> dict[str, str]:
    """Return tag ids for the names, creating the group or tags in WeCom when missing."""
    found = known(session, group_name, names)
    if len(found) == len(set(names)):
        return found
    with _creation_lock(services):
        store_groups(session, services.gateway.directory.list_corp_tags(), complete=True)
        found = known(session, group_name, names)
        missing = [n for n in dict.fromkeys(names) if n not in found]
        if missing:
            try:
                store_groups(session, [services.gateway.directory.add_corp_tag(missing, group_name=group_name)])
            except TagExists:
                store_groups(session, services.gateway.directory.list_corp_tags(), complete=True)
        session.commit()
    return known(session, group_name, names)


def ensure_tag_groups(session: Session, services: Services, wanted: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """`ensure_tags` for several groups: one query when every tag is known already."""
    found = known_groups(session, wanted)
    if all(len(found[group]) == len(set(names)) for group, names in wanted.items()):
        return found
    return {group: ensure_tags(session, services, group, names) for group, names in wanted.items()}


@contextmanager
def _creation_lock(services: Services) -> Iterator[None]:
    """One creator at a time across processes (Redis) or threads (in-process mode)."""
    if services.redis is None:
        with _local_lock:
            yield
        return
    lock = services.redis.lock("scrm:lock:tag-create", timeout=60, blocking_timeout=60)
    if not lock.acquire():
        raise TimeoutError("another process has been creating tags for 60 s")
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("tag-creation lock expired before release")
