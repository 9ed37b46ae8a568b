"""Preview: exactly what the planner would send over the next days, to whom, when, by whom — and what it holds back."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.services import Services
from jobs.nurture.state import enroll, limits_from, load_ledger, load_views
from jobs.planner import SHANGHAI, plan
from jobs.planner.model import REASONS


@dataclass
class PreviewDay:
    """One day of the preview."""

    date: str
    sends: list[dict] = field(default_factory=list)
    deferred: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)


def preview(session, services: Services, calendar, version_id: int, days: int, now: datetime,
            contact_id: int | None = None) -> list[PreviewDay]:
    """Run the planner day by day on today's state (enrolling who would be enrolled), as if every send went out.

    Nothing is written: the enrollments made for the preview are rolled back.
    """
    journey = services.content.journey
    limits = limits_from(services.settings, journey)
    enroll(session, calendar, version_id, now)
    session.flush()
    views = load_views(session, journey, services.content.channels())
    session.rollback()
    ledger = load_ledger(session, views, limits, now)
    names = {s.key: s.name for s in journey.stages}
    by_id = {(v.contact_id, v.sequence_key): v for v in views}
    start = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for offset in range(days):
        day_start = max(start + timedelta(days=offset), now.astimezone(SHANGHAI))
        result = plan(calendar, views, ledger, limits, day_start, start + timedelta(days=offset + 1) - day_start,
                      stage_names=names)
        day = PreviewDay((start + timedelta(days=offset)).date().isoformat())
        for send in result.sends:
            for cid in send.contact_ids:
                view = by_id.get((cid, send.sequence_key))
                if view is not None:
                    view.done_steps = view.done_steps | {send.step_id}
            if contact_id is not None and contact_id not in send.contact_ids:
                continue
            day.sends.append({
                "at": send.due_at.astimezone(SHANGHAI).strftime("%H:%M"), "touchpoint": send.touchpoint,
                "sequence": send.sequence_key, "step": send.step_id,
                "by": send.executor or ",".join(send.visibility.senders if send.visibility else ()),
                "recipients": len(send.recipients), "text": send.text[:60], "note": send.note,
            })
        day.deferred.update(d.code for d in result.deferred if contact_id in (None, d.contact_id))
        day.dropped.update(d.code for d in result.dropped if contact_id in (None, d.contact_id))
        out.append(day)
    return out


def render(days: list[PreviewDay]) -> list[str]:
    """Lines a marketer reads: each send, then what the limits pushed back or dropped, and why."""
    lines = []
    for day in days:
        lines.append(f"== {day.date}: {len(day.sends)} tasks for {sum(s['recipients'] for s in day.sends)} recipients")
        for send in sorted(day.sends, key=lambda s: s["at"]):
            lines.append(f"  {send['at']} {send['touchpoint']:<7} {send['step']:<22} by {send['by']:<12} "
                         f"to {send['recipients']:>5}  {send['text']}")
        for label, counts in (("deferred", day.deferred), ("dropped", day.dropped)):
            for code, count in counts.most_common():
                lines.append(f"  {label} {count} × {code}: {REASONS.get(code.split(':')[0], code)}")
    return lines
