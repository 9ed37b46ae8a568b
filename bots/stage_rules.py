"""Decide journey-stage and lead-status moves from signals: pure code, the time passed in."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from content.journey import Journey, Rule

LEAD_LADDER = ("new", "mql", "sql", "customer")
OUT_OF_NURTURE = frozenset({"lost", "customer"})
MOVES_ANYONE = frozenset({"signed"})


@dataclass(frozen=True)
class ContactSnapshot:
    """What the rules need to know about one contact."""

    stage: str
    lead_status: str
    last_activity_at: datetime | None
    stage_entered_at: datetime | None


@dataclass(frozen=True)
class Signal:
    """Something the contact (or sales) did; `source` names its origin, e.g. "event:123"."""

    kind: str
    at: datetime
    link_kind: str | None = None
    intent: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Transition:
    """One move on either axis; an axis left unchanged has None on both its sides."""

    stage_from: str | None
    stage_to: str | None
    lead_status_from: str | None
    lead_status_to: str | None
    rule_id: str
    reason: str
    signal: Signal | None
    at: datetime


def evaluate(contact: ContactSnapshot, signals: Sequence[Signal], journey: Journey,
             now: datetime) -> Transition | None:
    """Return the first move the signals (oldest first) or the contact's inactivity call for."""
    for signal in sorted(signals, key=_signal_order):
        if contact.lead_status in OUT_OF_NURTURE and signal.kind not in MOVES_ANYONE:
            continue
        for rule in journey.rules:
            if rule.on == "inactive" or rule.on != signal.kind or not _fits(rule, signal):
                continue
            values = {"link_kind": _label(journey.link_kinds, signal.link_kind, "链接"),
                      "intent": _label(journey.intents, signal.intent, "购买"), "days": 0}
            move = _move(contact, rule, journey, values, signal, signal.at)
            if move is not None:
                return move
    return _inactivity(contact, signals, journey, now)


def _signal_order(signal: Signal) -> tuple:
    """Sort by time, then by content, so the input order never changes the outcome."""
    return signal.at, signal.kind, signal.link_kind or "", signal.intent or "", signal.source


def _fits(rule: Rule, signal: Signal) -> bool:
    """Say whether the signal's link kind and intent satisfy the rule's filters."""
    if rule.link_kinds and signal.link_kind not in rule.link_kinds:
        return False
    return not rule.intents or signal.intent in rule.intents


def _label(labels: Mapping[str, str], key: str | None, fallback: str) -> str:
    """Name a link kind or intent for staff, in the journey file's words."""
    if key is None:
        return fallback
    return labels.get(key, key)


def _move(contact: ContactSnapshot, rule: Rule, journey: Journey, values: dict[str, object],
          signal: Signal | None, at: datetime) -> Transition | None:
    """Build the rule's transition for this contact, or None if it would not change anything allowed."""
    if rule.from_stages is not None and contact.stage not in rule.from_stages:
        return None
    order = {stage.key: stage.order for stage in journey.stages}
    stage_to = rule.to if rule.to != contact.stage else None
    if stage_to is not None and order[rule.to] < order.get(contact.stage, -1) and not rule.backward:
        return None
    lead_to = _lead_status(contact.lead_status, rule)
    if stage_to is None and lead_to is None:
        return None
    return Transition(
        stage_from=contact.stage if stage_to else None,
        stage_to=stage_to,
        lead_status_from=contact.lead_status if lead_to else None,
        lead_status_to=lead_to,
        rule_id=rule.id,
        reason=rule.reason.format(**values),
        signal=signal,
        at=at,
    )


def _lead_status(current: str, rule: Rule) -> str | None:
    """Return the lead status the rule sets, or None: customers stay customers, no silent demotion."""
    target = rule.lead_status
    if target is None or target == current or current == "customer":
        return None
    if target in LEAD_LADDER and current in LEAD_LADDER and not rule.backward:
        if LEAD_LADDER.index(target) < LEAD_LADDER.index(current):
            return None
    return target


def _inactivity(contact: ContactSnapshot, signals: Sequence[Signal], journey: Journey,
                now: datetime) -> Transition | None:
    """Return the first `inactive` rule's move once the contact has been idle long enough."""
    if contact.lead_status in OUT_OF_NURTURE:
        return None
    seen = [contact.last_activity_at or contact.stage_entered_at, *(signal.at for signal in signals)]
    times = [moment for moment in seen if moment is not None]
    if not times:
        return None
    idle = now - max(times)
    for rule in journey.rules:
        if rule.on == "inactive" and rule.days is not None and idle >= timedelta(days=rule.days):
            move = _move(contact, rule, journey, {"link_kind": "", "intent": "", "days": idle.days}, None, now)
            if move is not None:
                return move
    return None
