"""Score leads from their events, decayed by a half-life, and classify them: pure code, the time passed in."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from content.journey import Journey

FIT_KINDS = frozenset({"channel", "stage"})
LADDER = ("new", "mql", "sql")
FINAL = frozenset({"customer", "lost"})
MAX_REASONS = 5


@dataclass(frozen=True)
class ScoreEvent:
    """One scored thing: its kind, when, its full points and a detail (`label` names it for staff)."""

    kind: str
    at: datetime
    weight: float
    detail: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreResult:
    """A score and its reasons, biggest contribution first ("询价 +40")."""

    value: float
    reasons: tuple[str, ...]


def decayed(weight: float, age_days: float, half_life_days: float) -> float:
    """Return the points left of `weight` after `age_days` (events in the future count in full)."""
    if half_life_days <= 0:
        raise ValueError("half_life_days must be positive")
    return weight * 0.5 ** (max(age_days, 0.0) / half_life_days)


def score(events: Sequence[ScoreEvent], now: datetime, half_life_days: float) -> ScoreResult:
    """Sum the events' points, engagement halved every half-life, fit bonuses (channel, stage) in full."""
    totals: dict[str, float] = {}
    for event in events:
        age = (now - event.at).total_seconds() / 86400
        points = event.weight if event.kind in FIT_KINDS else decayed(event.weight, age, half_life_days)
        label = str(event.detail.get("label") or event.kind)
        totals[label] = totals.get(label, 0.0) + points
    value = max(0.0, sum(totals.values()))
    ranked = sorted(((pts, label) for label, pts in totals.items() if round(pts) != 0),
                    key=lambda item: (-abs(item[0]), item[1]))
    reasons = tuple(f"{label} {'+' if pts > 0 else '-'}{abs(round(pts))}" for pts, label in ranked[:MAX_REASONS])
    return ScoreResult(round(value, 2), reasons)


def thresholds(journey: Journey, employees: int | None) -> tuple[int, int]:
    """Return the (mql, sql) thresholds of the segment a company of this size belongs to."""
    segment = journey.segment_for(employees)
    return segment.mql, segment.sql


def classify_lead(value: float, limits: tuple[float, float], current_status: str) -> str | None:
    """Return the lead status the score calls for, or None: only upward (new → mql → sql), never off customer or
    lost."""
    if current_status in FINAL:
        return None
    mql, sql = limits
    target = "sql" if value >= sql else "mql" if value >= mql else "new"
    if current_status in LADDER and LADDER.index(target) <= LADDER.index(current_status):
        return None
    return target if current_status in LADDER else None
