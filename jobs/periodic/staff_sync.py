"""Copy content/staff.yaml into the staff table: names and managers come from the file."""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import update

from app.services import Services, current_services
from app.store.models import Staff
from app.store.upsert import insert_ignore
from content.staff import DEFAULT_STAFF, load_staff

log = logging.getLogger(__name__)


def staff_sync_job() -> int:
    """rq entry point: sync the staff table from the shipped staff file."""
    return sync_staff(current_services())


def sync_staff(services: Services, path: str | Path = DEFAULT_STAFF) -> int:
    """Upsert every member of the staff file (name, manager, active); members not in the file are left alone."""
    book = load_staff(path)
    with services.sessions() as session:
        for member in book.members.values():
            values = {"name": member.name, "manager_userid": member.manager, "active": True}
            insert_ignore(session, Staff, {"userid": member.userid, **values}, ["userid"], Staff.userid)
            session.execute(update(Staff).where(Staff.userid == member.userid).values(**values))
        session.commit()
    log.info("staff: synced %d members from %s", len(book.members), path)
    return len(book.members)
