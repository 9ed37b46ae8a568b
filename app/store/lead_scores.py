"""Record lead-score events, recompute the decayed score and move MQL/SQL, stopping nurture for hot leads."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.contacts import add_activity, change_axis
from app.store.models import Contact, ScoreEventRow, StageChange
from app.store.models.base import as_utc
from app.store.upsert import insert_ignore
from bots.scoring import ScoreEvent, ScoreResult, classify_lead, score, thresholds
from content.journey import DEFAULT_JOURNEY, Journey, load_journey
from content.scoring import DEFAULT_SCORING, ScoringConfig, load_scoring

log = logging.getLogger(__name__)
HOT_LEAD = "hot_lead"
HORIZON_HALF_LIVES = 12


def record_score_event(session: Session, contact: Contact, kind: str, weight: float | None, detail: dict | None,
                       now: datetime, event_id: int | None = None, *, journey: Journey | None = None,
                       config: ScoringConfig | None = None, employees: int | None = None,
                       dedupe_key: str | None = None) -> list[StageChange]:
    """Store one score event (weight None: the file's points), rescore the contact and return lead-status changes.

    An event is stored once per `dedupe_key` (default: kind and inbox event id; none without either).
    """
    journey = journey or load_journey(DEFAULT_JOURNEY)
    config = config or load_scoring(DEFAULT_SCORING, journey)
    known = config.events.get(kind)
    points = float(known.points if weight is None and known else weight or 0.0)
    detail = {"label": known.label if known else kind, **(detail or {})}
    row = {"contact_id": contact.id, "kind": kind, "weight": points, "detail": detail, "at": now,
           "dedupe_key": dedupe_key or (f"{kind}:{event_id}" if event_id is not None else None)}
    if insert_ignore(session, ScoreEventRow, row, ["dedupe_key"], ScoreEventRow.id) is None:
        log.info("score event %s for contact %s already recorded (%s)", kind, contact.id, row["dedupe_key"])
        return []
    return refresh_score(session, contact, now, journey=journey, config=config, employees=employees,
                         event_id=event_id)


def refresh_score(session: Session, contact: Contact, now: datetime, *, journey: Journey | None = None,
                  config: ScoringConfig | None = None, employees: int | None = None,
                  event_id: int | None = None) -> list[StageChange]:
    """Recompute the contact's score from its events and move its lead status up when a threshold is crossed."""
    journey = journey or load_journey(DEFAULT_JOURNEY)
    config = config or load_scoring(DEFAULT_SCORING, journey)
    result = contact_score(session, contact, now, journey, config)
    contact.score = result.value
    limits = thresholds(journey, employees)
    target = classify_lead(result.value, limits, contact.lead_status)
    if target is None:
        return []
    limit = limits[1] if target == "sql" else limits[0]
    reason = f"线索分 {round(result.value)}（阈值 {limit}）：" + "，".join(result.reasons)
    change = change_axis(session, contact, "lead_status", target, reason, rule_id="lead_score",
                         event_id=event_id, at=now)
    if target == "sql" and contact.nurture_stopped is None:
        contact.nurture_stopped = HOT_LEAD
        add_activity(session, contact.id, "nurture_stopped",
                     f"线索分 {round(result.value)} 达到销售阈值 {limit}，成为热线索，停止自动培育，交由销售跟进",
                     event_id=event_id, detail={"score": result.value, "reasons": list(result.reasons)}, at=now)
    log.info("contact %s lead status -> %s at score %s", contact.id, target, result.value)
    return [change] if change is not None else []


def contact_score(session: Session, contact: Contact, now: datetime, journey: Journey,
                  config: ScoringConfig) -> ScoreResult:
    """Score the contact: its recent events (decayed) plus its channel and stage bonuses."""
    since = now - timedelta(days=journey.score_half_life_days * HORIZON_HALF_LIVES)
    rows = session.execute(select(ScoreEventRow).where(
        ScoreEventRow.contact_id == contact.id, ScoreEventRow.at >= since)).scalars()
    events = [ScoreEvent(r.kind, as_utc(r.at), r.weight, r.detail or {}) for r in rows]
    channel = config.channel_bonus.get(contact.channel_state or "")
    if channel:
        events.append(ScoreEvent("channel", now, channel, {"label": f"来自渠道 {contact.channel_state}"}))
    stage = config.stage_bonus.get(contact.stage)
    if stage:
        events.append(ScoreEvent("stage", now, stage, {"label": f"处于「{_stage_name(journey, contact.stage)}」阶段"}))
    return score(events, now, journey.score_half_life_days)


def _stage_name(journey: Journey, key: str) -> str:
    """Name a stage for staff, its key when the journey no longer has it."""
    try:
        return journey.stage(key).name
    except KeyError:
        return key
