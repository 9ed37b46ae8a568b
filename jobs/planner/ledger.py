"""The per-contact frequency ledger: what each contact (and staff member) already received, by Shanghai day."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from jobs.planner.limits import cap_period
from jobs.planner.model import SHANGHAI

KINDS = ("private", "welcome", "moment", "staff_moment")
Counts = dict[int | str, int]


@lru_cache(maxsize=8192)
def _periods(day: date) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Return the ISO week and calendar month keys of a day."""
    return cap_period("per_week", day), cap_period("per_month", day)


def local_day(moment: datetime | date) -> date:
    """Return the Shanghai calendar day of a moment (a date is returned as is)."""
    if isinstance(moment, datetime):
        return moment.astimezone(SHANGHAI).date()
    return moment


@dataclass
class Ledger:
    """Counts keyed by day (or ISO week / month) then by contact_id or staff userid; dicts of ints, no history."""

    private_day: dict[date, Counts] = field(default_factory=dict)  # 1:1 mass sends received, all senders
    private_week: dict[tuple[int, ...], Counts] = field(default_factory=dict)
    private_month: dict[tuple[int, ...], Counts] = field(default_factory=dict)
    welcome_day: dict[date, Counts] = field(default_factory=dict)
    moment_day: dict[date, Counts] = field(default_factory=dict)  # enterprise Moments posts the contact can see
    staff_moment_day: dict[date, Counts] = field(default_factory=dict)  # Moments posts per staff member
    moment_senders: dict[str, set[str]] = field(default_factory=dict)  # moment slot -> senders already planned

    def record(self, kind: str, who: int | str, when: datetime | date, count: int = 1) -> None:
        """Add `count` sends of `kind` received by a contact (or posted by staff, for staff_moment) on a day."""
        day = local_day(when)
        if kind == "private":
            week, month = _periods(day)
            for counts in (self.private_day.setdefault(day, {}), self.private_week.setdefault(week, {}),
                           self.private_month.setdefault(month, {})):
                counts[who] = counts.get(who, 0) + count
            return
        table = {"welcome": self.welcome_day, "moment": self.moment_day,
                 "staff_moment": self.staff_moment_day}.get(kind)
        if table is None:
            raise ValueError(f"unknown ledger kind {kind!r}; expected one of {KINDS}")
        counts = table.setdefault(day, {})
        counts[who] = counts.get(who, 0) + count

    def day_counts(self, kind: str, day: date) -> Counts:
        """Return the live per-day counts of `kind` (private, welcome, moment, staff_moment) for a day."""
        table = {"private": self.private_day, "welcome": self.welcome_day, "moment": self.moment_day,
                 "staff_moment": self.staff_moment_day}[kind]
        return table.setdefault(day, {})

    def mass_counts(self, mode: str, day: date) -> Counts:
        """Return the live mass-send counts of the platform cap period (per_day/per_week/per_month) of `day`."""
        if mode == "per_day":
            return self.private_day.setdefault(day, {})
        week, month = _periods(day)
        if mode == "per_week":
            return self.private_week.setdefault(week, {})
        return self.private_month.setdefault(month, {})

    def count(self, kind: str, who: int | str, when: datetime | date) -> int:
        """Return how many sends of `kind` a contact (or staff member) had on a day."""
        return self.day_counts(kind, local_day(when)).get(who, 0)

    def mass(self, who: int | str, mode: str, when: datetime | date) -> int:
        """Return how many mass sends a contact received in the platform cap period of a day."""
        return self.mass_counts(mode, local_day(when)).get(who, 0)

    def mark_moment(self, slot: str, senders: Iterable[str]) -> None:
        """Remember that these senders were planned for a Moments slot."""
        self.moment_senders.setdefault(slot, set()).update(senders)
