"""How promptly each staff member confirms the tasks WeCom hands them: tasks, confirmations, reminders, escalations."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import OutboxAction, Staff
from jobs.nurture.results import parse_time, task_created_at

KINDS = ("mass_send", "moment")


@dataclass(frozen=True)
class StaffConfirmation:
    """One staff member's confirmation record over a period."""

    userid: str
    name: str
    tasks: int
    confirmed: int
    rate: float
    median_minutes_to_confirm: float | None
    reminders: int
    escalations: int


@dataclass
class _Tally:
    tasks: int = 0
    confirmed: int = 0
    minutes: list[float] = field(default_factory=list)
    reminders: int = 0
    escalations: int = 0

    def add(self, created: datetime, confirmed_at: str | None, reminders: int, escalated: bool) -> None:
        self.tasks += 1
        self.reminders += reminders
        self.escalations += escalated
        if confirmed_at:
            self.confirmed += 1
            self.minutes.append(max(0.0, (parse_time(confirmed_at) - created).total_seconds() / 60))


def confirmation_report(session: Session, since: datetime, until: datetime) -> list[StaffConfirmation]:
    """Per staff member, the mass-send and Moments tasks created in [since, until); a post counts per sender."""
    tallies: dict[str, _Tally] = {}
    actions = session.execute(select(OutboxAction).where(
        OutboxAction.kind.in_(KINDS), OutboxAction.status == "done",
        OutboxAction.created_at >= since.astimezone(timezone.utc),
        OutboxAction.created_at < until.astimezone(timezone.utc)).order_by(OutboxAction.id)).scalars()
    for action in actions:
        payload, result = action.payload or {}, action.result or {}
        created = task_created_at(action)
        if action.kind == "mass_send":
            if result.get("msgid") and payload.get("sender"):
                tallies.setdefault(payload["sender"], _Tally()).add(
                    created, result.get("confirmed_at"), len(result.get("reminders") or ()),
                    bool(result.get("escalated_at")))
            continue
        invalid = set(result.get("invalid_senders") or ())
        published, escalated = result.get("published") or {}, result.get("escalated") or {}
        for sender in payload.get("senders") or ():
            if sender not in invalid:
                tallies.setdefault(sender, _Tally()).add(created, published.get(sender), 0, sender in escalated)
    names = dict(session.execute(select(Staff.userid, Staff.name).where(Staff.userid.in_(list(tallies)))).all())
    return [_row(userid, names.get(userid) or userid, tally) for userid, tally in sorted(tallies.items())]


def _row(userid: str, name: str, tally: _Tally) -> StaffConfirmation:
    rate = tally.confirmed / tally.tasks if tally.tasks else 0.0
    middle = round(median(tally.minutes), 1) if tally.minutes else None
    return StaffConfirmation(userid, name, tally.tasks, tally.confirmed, round(rate, 3), middle, tally.reminders,
                             tally.escalations)


def report_lines(rows: list[StaffConfirmation]) -> list[str]:
    """Render the report as aligned text lines for the terminal."""
    header = (f"{'userid':<14}{'姓名':<8}{'任务':>6}{'已确认':>8}{'确认率':>8}"
              f"{'确认用时中位(分)':>18}{'提醒':>6}{'上报':>6}")
    lines = [header]
    for row in rows:
        middle = "-" if row.median_minutes_to_confirm is None else f"{row.median_minutes_to_confirm:g}"
        lines.append(f"{row.userid:<14}{row.name:<8}{row.tasks:>6}{row.confirmed:>8}{row.rate:>8.0%}{middle:>18}"
                     f"{row.reminders:>6}{row.escalations:>6}")
    if not rows:
        lines.append("（这段时间没有群发或朋友圈任务）")
    return lines
