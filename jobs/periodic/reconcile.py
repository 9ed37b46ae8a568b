"""Nightly reconciliation: page through batch/get_by_user and repair what missed callbacks left behind."""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timezone
from itertools import islice
from typing import Callable, Iterable, Iterator, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.services import Services
from app.store import contacts as store
from app.store import outbox, tagbook
from app.store.models import Contact, Follow, utcnow
from app.store.models.contacts import ACTIVE, LOST
from app.wecom.errors import InvalidExternalUser, NotFriend
from app.wecom.results import ContactFollow
from bots import effects
from jobs.periodic.repair_plan import ADD, Known, Listed, ReconcileReport, chunk_userids, plan_lost, plan_repairs
from jobs.pipeline.actions import enqueue_actions

log = logging.getLogger(__name__)

PAGE = 100
LOST_REASON = "夜间对账发现该关系已不在企业微信中"
T = TypeVar("T")


def reconcile_job() -> None:
    """rq entry point (nightly): reconcile every follow user's contacts."""
    from app.services import current_services

    report = reconcile_contacts(current_services())
    log.info("reconciliation %s: %s", report.run_id, "; ".join(report.lines()))


def reconcile_contacts(services: Services, progress: Callable[[int, int], None] | None = None) -> ReconcileReport:
    """Refresh the tag catalogue, then compare every follow user's relations with ours and repair them."""
    report = ReconcileReport(run_id=f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
    gateway = services.gateway
    with services.sessions() as session:
        tagbook.store_groups(session, gateway.directory.list_corp_tags(), complete=True)
        session.commit()
        journey = services.content.journey
        ids = tagbook.known(session, journey.tag_group, [stage.name for stage in journey.stages])
        stage_tags = {stage.key: ids[stage.name] for stage in journey.stages if stage.name in ids}
        counts = dict(session.execute(select(Follow.userid, func.count()).where(Follow.status != LOST)
                                      .group_by(Follow.userid)).all())
    userids = list(dict.fromkeys(gateway.directory.follow_users()))
    report.staff, done, progress = len(userids), 0, progress or (lambda done, total: None)
    progress(0, len(userids))
    for chunk in chunk_userids(userids, counts):
        _reconcile_chunk(services, chunk, stage_tags, report)
        done += len(chunk)
        progress(done, len(userids))
    log.info("reconcile %s: %s", report.run_id, ", ".join(report.lines()[2:]))
    return report


def _reconcile_chunk(services: Services, chunk: list[str], stage_tags: dict[str, str], report: ReconcileReport) -> None:
    started = time.time()
    listed: dict[str, set[str]] = {userid: set() for userid in chunk}
    for page in _batches(services.gateway.directory.iter_contacts(chunk), PAGE):
        rows = [Listed(r.external_userid, r.follow.userid, r.follow.state, r.follow.createtime,
                       frozenset(r.follow.tag_ids)) for r in page]
        for row in rows:
            listed.setdefault(row.userid, set()).add(row.external_userid)
        report.contacts_seen += len(rows)
        _repair_page(services, rows, {row.external_userid: row for row in page}, stage_tags, report)
    for userid in chunk:
        _repair_lost(services, userid, listed.pop(userid), started, report)


def _repair_page(services: Services, rows: list[Listed], profiles: dict[str, ContactFollow],
                 stage_tags: dict[str, str], report: ReconcileReport) -> None:
    key = f"reconcile:{report.run_id}"
    with services.sessions() as session:
        ours = _known(session, Contact.external_userid.in_({row.external_userid for row in rows}))
        actions: list[effects.Action | None] = []
        for repair in plan_repairs({(k.external_userid, k.userid): k for k in ours}, rows, stage_tags):
            if repair.kind == ADD:
                profile = profiles[repair.listed.external_userid]
                actions.append(_add(session, services, repair.listed, profile, key, report))
            else:
                assert repair.known is not None  # a tag repair is for a relation we know
                actions.append(effects.sync_tags(repair.known.follow_id, repair.known.contact_id, key))
                report.tags_repaired += 1
        created = outbox.store_actions(session, [action for action in actions if action])
        session.commit()
    enqueue_actions(services, created)
    report.actions_queued += len(created)


def _known(session: Session, *where: ColumnElement[bool]) -> Iterator[Known]:
    stmt = (select(Follow.id, Follow.contact_id, Contact.external_userid, Follow.userid, Follow.status,
                   Follow.changed_at, Contact.stage).join(Contact, Contact.id == Follow.contact_id)
            .where(*where).execution_options(yield_per=2000))
    return (Known(*row) for row in session.execute(stmt))


def _add(session: Session, services: Services, row: Listed, profile: ContactFollow, key: str,
         report: ReconcileReport) -> effects.Action | None:
    """Store a relation WeCom has and we missed, as contact_added would, without a welcome."""
    journey, book = services.content.journey, services.content.channels()
    channel = book.for_state(row.state)
    stage = channel.initial_stage or journey.initial_stage
    reason = f"夜间对账发现该客户（渠道「{channel.name}」，员工 {row.userid}），进入初始阶段"
    contact, created = store.get_or_create_contact(session, row.external_userid, stage, reason)
    if created:
        report.contacts_created += 1
        contact.name, contact.contact_type = profile.name or None, profile.type or None
        contact.details_fetched_at = utcnow()
        contact.corp_name = profile.profile.get("corp_name") or profile.profile.get("corp_full_name") or None
    if contact.channel_state is None and row.state:
        contact.channel_state = row.state
        if channel.initial_stage and contact.stage == journey.initial_stage:
            store.change_axis(session, contact, "stage", channel.initial_stage,
                              f"渠道「{channel.name}」的初始阶段（夜间对账补录）", rule_id="channel")
    follow = store.get_or_create_follow(session, contact, row.userid)
    if (follow.status != LOST and follow.changed_at >= 0) or row.createtime <= follow.changed_at:
        return None
    added = datetime.fromtimestamp(row.createtime, timezone.utc)
    follow.status, follow.state, follow.lost_reason = ACTIVE, row.state or follow.state, None
    follow.changed_at = row.createtime
    follow.added_at = follow.added_at or added
    session.flush()
    if contact.owner_userid not in [f.userid for f in store.active_follows(session, contact.id)]:
        contact.owner_userid = row.userid
    if contact.lead_status == "lost":
        store.change_axis(session, contact, "lead_status", "new", f"夜间对账发现客户重新添加了员工 {row.userid}",
                          rule_id="reconcile")
        contact.nurture_stopped = None
    contact.last_activity_at = contact.last_activity_at or added
    store.add_activity(session, contact.id, "reconciled",
                       f"夜间对账补录：添加了员工 {row.userid}（渠道：{channel.name}）",
                       detail={"userid": row.userid, "state": row.state, "createtime": row.createtime, "run": key})
    report.relations_added += 1
    return effects.sync_tags(follow.id, contact.id, key, [[book.tag_group, name] for name in channel.initial_tags])


def _repair_lost(services: Services, userid: str, listed: set[str], started: float, report: ReconcileReport) -> None:
    with services.sessions() as session:
        live = _known(session, Follow.userid == userid, Follow.status != LOST)
        candidates = plan_lost(live, listed, started)
    for known in candidates:
        if _gone(services, known):
            with services.sessions() as session:
                report.relations_lost += _lose(session, known, started, report.run_id)
                session.commit()


def _gone(services: Services, known: Known) -> bool:
    """Confirm with externalcontact/get before marking lost: a page cursor can shift under concurrent changes."""
    try:
        contact = services.gateway.directory.get_contact(known.external_userid)
    except (NotFriend, InvalidExternalUser):
        return True
    return all(follow.userid != known.userid for follow in contact.follow_users)


def _lose(session: Session, known: Known, started: float, run_id: str) -> bool:
    """Mark the relation lost as relation_lost would; with no live relation left the contact is lost."""
    contact = session.get(Contact, known.contact_id, with_for_update=True)
    follow = session.get(Follow, known.follow_id, with_for_update=True)
    if contact is None or follow is None or follow.status == LOST or follow.changed_at >= started:
        return False
    follow.status, follow.changed_at, follow.lost_reason = LOST, int(started), "reconcile"
    store.add_activity(session, contact.id, "lost", f"{LOST_REASON}（{follow.userid}）",
                       detail={"userid": follow.userid, "change_type": "reconcile", "run": run_id})
    session.flush()
    live = [f.userid for f in store.active_follows(session, contact.id)]
    if live:
        if contact.owner_userid not in live:
            contact.owner_userid = live[0]
        return True
    store.change_axis(session, contact, "lead_status", "lost", LOST_REASON, rule_id="reconcile")
    contact.nurture_stopped = "lost"
    log.info("reconcile %s: contact %s lost its last relation (follow %s)", run_id, contact.id, follow.id)
    return True


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
