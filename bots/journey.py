"""Apply journey rules to a contact: evaluate signals, record transitions with reasons, re-tag in WeCom."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from app.store.models.base import as_utc
from bots import effects
from bots.context import ContactBook
from bots.effects import Action
from bots.stage_rules import ContactSnapshot, Signal, evaluate
from content.journey import Journey

if TYPE_CHECKING:
    from app.store.models import Contact, StageChange

MAX_MOVES = 5


def snapshot(contact: Contact) -> ContactSnapshot:
    """The pure view of a contact the rules need."""
    return ContactSnapshot(contact.stage, contact.lead_status, as_utc(contact.last_activity_at),
                           as_utc(contact.stage_entered_at))


def apply_signals(book: ContactBook, contact: Contact, signals: list[Signal], journey: Journey, now: datetime,
                  event_id: int | None = None) -> tuple[list[StageChange], list[Action]]:
    """Move the contact as far as the rules say (one rule at a time), recording each change and its tag sync."""
    changes: list[StageChange] = []
    remaining = list(signals)
    for _ in range(MAX_MOVES):
        transition = evaluate(snapshot(contact), remaining, journey, now)
        if transition is None:
            break
        if transition.signal in remaining:
            remaining.remove(transition.signal)
        source = transition.signal.source if transition.signal else "inactivity"
        reason = f"{transition.reason}（规则 {transition.rule_id}，来源 {source}）"
        for axis, to_value in (("stage", transition.stage_to), ("lead_status", transition.lead_status_to)):
            if to_value:
                change = book.change_axis(contact, axis, to_value, reason, rule_id=transition.rule_id,
                                          event_id=event_id, at=transition.at)
                if change is not None:
                    changes.append(change)
    return changes, tag_syncs(book, contact, changes)


def set_stage_by_hand(book: ContactBook, contact: Contact, stage: str, actor: str, note: str,
                      journey: Journey) -> tuple[list[StageChange], list[Action]]:
    """Staff set a stage by hand: recorded with who and why, then WeCom's tags follow."""
    reason = f"{actor} 手动设置阶段为「{journey.stage(stage).name}」" + (f"：{note}" if note else "")
    change = book.change_axis(contact, "stage", stage, reason, rule_id="manual", actor=actor)
    changes = [change] if change else []
    return changes, tag_syncs(book, contact, changes)


def tag_syncs(book: ContactBook, contact: Contact, changes: list[StageChange]) -> list[Action]:
    """One tag sync per live relation when the stage changed (the executor marks the *current* stage)."""
    stage_changes = [c for c in changes if c.axis == "stage"]
    if not stage_changes:
        return []
    key = f"stage{stage_changes[-1].id}"
    return [effects.sync_tags(f.id, contact.id, key) for f in book.live_follows(contact.id)
            if f.status == "active"]
