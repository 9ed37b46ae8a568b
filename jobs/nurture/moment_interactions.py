"""Moments likes and comments become lead-score events: which prospects engage with the posts staff published."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.services import Services, current_services
from app.store import outbox
from app.store.book import SessionBook
from app.store.contacts import add_activity
from app.store.lead_scores import record_score_event
from app.store.models import Contact, ScoreEventRow, utcnow
from app.store.models.base import as_utc
from app.wecom.errors import WeComError
from app.wecom.results import MomentInteraction
from bots.alerts import raise_alert
from jobs.nurture.results import Task, recent_tasks
from jobs.pipeline.actions import enqueue_actions

log = logging.getLogger(__name__)

WINDOW = timedelta(days=7)  # likes and comments on a post come within days of it
VERB = {"like": "点赞", "comment": "评论"}


@dataclass
class InteractionReport:
    """What one run read and recorded."""

    posts: int = 0
    recorded: int = 0
    unknown_contacts: int = 0
    hot_leads: int = 0
    errors: int = 0


def poll_interactions_job() -> InteractionReport:
    """rq/scheduler entry point: read interactions on recent posts as of now."""
    return poll_interactions(current_services())


def poll_interactions(services: Services, now: datetime | None = None) -> InteractionReport:
    """Read likes and comments on every published copy of our recent posts; safe to run again (events dedupe)."""
    now = now or utcnow()
    report = InteractionReport()
    with services.sessions() as session:
        tasks = [t for t in recent_tasks(session, "moment", now, window=WINDOW)
                 if t.result.get("moment_id") and t.result.get("published")]
    for task in tasks:
        for userid in sorted(task.result["published"]):
            report.posts += 1
            try:
                rows = services.gateway.moments.get_moment_comments(task.result["moment_id"], userid)
            except WeComError as err:
                report.errors += 1
                log.warning("moments: reading interactions on action %s for %s failed: %s %s", task.action_id, userid,
                            type(err).__name__, getattr(err, "errcode", None))
                continue
            if rows:
                try:
                    _record(services, task, rows, report)
                except SQLAlchemyError as err:
                    report.errors += 1
                    log.warning("moments: recording interactions on action %s failed: %s", task.action_id,
                                type(err).__name__)
    log.info("moments interactions: %d published copies read, %d new interactions, %d hot leads, %d errors",
             report.posts, report.recorded, report.hot_leads, report.errors)
    return report


def interaction_key(moment_id: str, row: MomentInteraction) -> str:
    """One like per post and customer; every comment (by its time) counts on its own."""
    raw = f"{moment_id}|{row.external_userid}|{row.create_time if row.kind == 'comment' else ''}"
    return f"moment_{row.kind}:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def _record(services: Services, task: Task, rows: list[MomentInteraction], report: InteractionReport) -> None:
    moment_id, text = task.result["moment_id"], (task.payload.get("text") or "").strip()
    journey = services.content.journey
    with services.sessions() as session:
        query = (select(Contact).where(Contact.external_userid.in_({r.external_userid for r in rows}))
                 .order_by(Contact.id).with_for_update())
        contacts = {c.external_userid: c for c in session.execute(query).scalars()}
        actions = []
        for row in rows:
            contact, key = contacts.get(row.external_userid), interaction_key(moment_id, row)
            if contact is None:
                report.unknown_contacts += 1
                continue
            if session.scalar(select(ScoreEventRow.id).where(ScoreEventRow.dedupe_key == key)) is not None:
                continue
            at = datetime.fromtimestamp(row.create_time, timezone.utc)
            changes = record_score_event(session, contact, f"moment_{row.kind}", None, {"moment_id": moment_id,
                                         "post": text[:60]}, at, journey=journey,
                                         config=services.content.scoring, dedupe_key=key)
            summary = f"{VERB[row.kind]}了朋友圈：{text[:40] or '（图片/链接）'}"
            add_activity(session, contact.id, f"moment_{row.kind}", summary,
                         detail={"moment_id": moment_id}, at=at)
            if contact.last_activity_at is None or as_utc(contact.last_activity_at) < at:
                contact.last_activity_at = at
            report.recorded += 1
            if any(c.to_value == "sql" for c in changes):
                report.hot_leads += 1
                actions += raise_alert(SessionBook(session), services.settings, services.content, contact, "score",
                                       "moments", [], [f"{VERB[row.kind]}了朋友圈：{text[:40]}"],
                                       [c.reason for c in changes], at, utcnow())
        created = outbox.store_actions(session, actions)
        session.commit()
    enqueue_actions(services, created)
