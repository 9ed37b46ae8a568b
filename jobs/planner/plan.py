"""Plan every due send of a content calendar for a set of enrollments: pure code, the time passed in."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta

from content.calendar import Audience, Calendar, Step
from jobs.planner.batching import (
    MomentSlot,
    PrivateBatches,
    ViewerIndex,
    moment_slots,
    moment_tasks,
    per_contact,
    render,
)
from jobs.planner.ledger import Ledger
from jobs.planner.limits import (
    ONE_DAY,
    cap_limit,
    day_start,
    deadline,
    due_at,
    lookback_days,
    moment_deadline,
    next_allowed,
)
from jobs.planner.model import REASONS, SHANGHAI, Deferral, Drop, Enrollment, Limits, Plan

Candidate = tuple[datetime, str, str, int | str, Step, Enrollment]
StepTable = dict[int, list[Step]]


def matches(audience: Audience, contact: Enrollment) -> bool:
    """Tell whether a contact is in an audience (stages by key, tags, channels, lead statuses, score range)."""
    if audience.stages and contact.stage not in audience.stages:
        return False
    if audience.tags and contact.tags.isdisjoint(audience.tags):
        return False
    if audience.channels and contact.channel not in audience.channels:
        return False
    if audience.lead_statuses and contact.lead_status not in audience.lead_statuses:
        return False
    if audience.min_score is not None and contact.score < audience.min_score:
        return False
    return audience.max_score is None or contact.score <= audience.max_score


def exit_code(contact: Enrollment, exits: Iterable[str], rank: Mapping[str, int]) -> str | None:
    """Return why a contact has left nurture under these exit rules, or None; opting out always exits."""
    if contact.opted_out:
        return "opted_out"
    if contact.exited:
        return f"exited:{contact.exited}"
    for rule in exits:
        if rule == "hot_lead" and contact.hot or rule == "lost" and contact.lead_status == "lost":
            return rule
        if rule.startswith("stage:"):
            target = rank.get(rule[6:])
            if target is not None and rank.get(contact.stage, -1) >= target:
                return f"stage_reached:{rule[6:]}"
    return None


def plan(calendar: Calendar, enrollments: Iterable[Enrollment], ledger: Ledger, limits: Limits, now: datetime,
         horizon: timedelta = timedelta(0), *, stage_names: Mapping[str, str] | None = None,
         staff_names: Mapping[str, str] | None = None) -> Plan:
    """Plan the sends due by now + horizon inside every cap, window and exit rule; record them in the ledger."""
    run = _Run(calendar, ledger, limits, now, horizon, stage_names or {}, staff_names or {})
    candidates = run.scan(enrollments)
    candidates.sort(key=lambda c: c[:4])
    for candidate in candidates:
        run.private(candidate)
    for slot in run.slots:
        run.moment(slot)
    run.out.sends[:0] = run.batches.tasks(limits.max_recipients)
    return run.out


class _Run:
    """One planning run: step indexes, cap caches and the growing plan."""

    def __init__(self, calendar: Calendar, ledger: Ledger, limits: Limits, now: datetime, horizon: timedelta,
                 stage_names: Mapping[str, str], staff_names: Mapping[str, str]) -> None:
        self.ledger, self.limits, self.stage_names, self.staff_names = ledger, limits, stage_names, staff_names
        self.now = now.astimezone(SHANGHAI)
        self.end = self.now + horizon
        self.first, self.last = self.now.date() - timedelta(days=lookback_days(limits)), self.end.date()
        self.rank = {key: index for index, key in enumerate(limits.stage_order)}
        self.out, self.batches = Plan(), PrivateBatches()
        self.caps: dict[date, tuple[dict, dict, dict, int]] = {}
        self.steps: dict[str, tuple[StepTable, dict[str, StepTable]]] = {}
        self.exits: dict[tuple[str, str], tuple[str, ...]] = {}
        for seq in calendar.sequences:
            by_day: StepTable = {}
            by_stage: dict[str, StepTable] = {}
            for step in seq.steps:
                self.exits[seq.key, step.id] = (*seq.exits, *step.exits)
                if step.touchpoint == "private":
                    milestone = step.timing.milestone
                    table = by_stage.setdefault(milestone.removeprefix("stage:"), {}) if milestone else by_day
                    table.setdefault(step.timing.day, []).append(step)
            self.steps[seq.key] = (by_day, by_stage)
        self.slots = [slot for slot in moment_slots(calendar, limits, stage_names, self.first, self.last)
                      if self._open(slot)]
        self.index = ViewerIndex(self.slots, stage_names)

    def _open(self, slot: MomentSlot) -> bool:
        """Tell whether a moment slot may post now; record why one that may not is deferred or dropped."""
        due = due_at(slot.day, 0, slot.at)
        if due > self.end:
            return False
        moment, why = next_allowed(max(due, self.now), slot.at, slot.until, self.limits)
        if moment is None or moment > self._last(slot, due):
            if slot.id not in self.ledger.moment_senders:
                self._drop("window_passed", "moment", slot.sequence, slot.step, None)
            return False
        if moment > self.end:
            self._defer(why or "quiet_hours", moment, "moment", slot.sequence, slot.step, None)
            return False
        slot.send_at = moment
        return True

    def scan(self, enrollments: Iterable[Enrollment]) -> list[Candidate]:
        """Return the due private steps of every enrollment; index contacts and senders for the open moment slots."""
        out: list[Candidate] = []
        first, last, end, steps, rank = self.first, self.last, self.end, self.steps, self.rank
        by_seq: dict[str, list[MomentSlot]] = {}
        for slot in self.slots:
            by_seq.setdefault(slot.sequence, []).append(slot)
        posts, index = by_seq.pop("", []), (self.index if self.slots else None)
        for contact in enrollments:
            if index is not None:
                index.add(contact)
                for slot in (*by_seq.get(contact.sequence_key, ()), *posts):
                    if not slot.explicit and contact.owner_userid not in slot.owners and \
                            matches(slot.audience, contact) and exit_code(contact, slot.exits, rank) is None:
                        slot.owners.add(contact.owner_userid)
            indexed = steps.get(contact.sequence_key)
            if indexed is None:
                continue
            by_day, by_stage = indexed
            anchors = [(contact.enrolled_at, by_day)] if by_day else []
            for stage, table in by_stage.items():
                entered = contact.stage_entered_at if contact.stage == stage else (
                    contact.milestones.get(stage) if contact.milestones else None)
                if entered is not None:
                    anchors.append((entered, table))
            for moment, table in anchors:
                anchor = moment.astimezone(SHANGHAI).date()
                for offset in range(max((first - anchor).days, 0), (last - anchor).days + 1):
                    for step in table.get(offset, ()):
                        if step.id not in contact.done_steps:
                            due = due_at(anchor, offset, step.timing.at)
                            if due <= end:
                                out.append((due, contact.sequence_key, step.id, contact.contact_id, step, contact))
        return out

    def private(self, candidate: Candidate) -> None:
        """Plan, defer or drop one contact's due private step, oldest due first."""
        due, seq, step_id, cid, step, contact = candidate
        code = exit_code(contact, self.exits[seq, step_id], self.rank)
        if code is None and not matches(step.audience, contact):
            code = "audience_mismatch"
        if code is not None:
            return self._drop(code, "private", seq, step_id, cid)
        at, until = step.timing.at, step.timing.until
        last = deadline(due, until, self.limits)
        moment, why = next_allowed(max(due, self.now), at, until, self.limits)
        if moment is None or moment > last:
            return self._drop("window_passed", "private", seq, step_id, cid)
        if moment > self.end:
            assert why is not None  # max(due, now) <= end < moment: next_allowed moved it and said why
            return self._defer(why, moment, "private", seq, step_id, cid)
        blocked = self._blocked(cid, moment.date())
        if blocked is not None:
            moment = self._reopen(cid, moment.date(), at, until)
            if moment is None or moment > last:
                return self._drop(blocked, "private", seq, step_id, cid, "; the next day it allows is too late")
            if moment > self.end:
                return self._defer(blocked, moment, "private", seq, step_id, cid)
        executor = contact.owner_userid if step.executor == "owner" else step.executor
        split = per_contact(step.text)
        text = render(step.text, self.staff_names.get(executor, executor), contact.channel,
                      contact.name if split else "", contact.company if split else "")
        self.ledger.record("private", cid, moment.date())
        self.batches.add(seq, step_id, executor, text, due.date(), moment, step.attachments, split, cid,
                         contact.external_userid)

    def _blocked(self, cid: int | str, day: date) -> str | None:
        """Return the code of the first cap one more private send on `day` would break, or None."""
        counts = self.caps.get(day)
        if counts is None:
            mode = self.limits.mass_send_cap
            counts = self.caps[day] = (self.ledger.day_counts("private", day), self.ledger.day_counts("welcome", day),
                                       self.ledger.mass_counts(mode, day), cap_limit(mode, day))
        private, welcome, mass, cap = counts
        used = private.get(cid, 0) + (welcome.get(cid, 0) if self.limits.welcome_counts else 0)
        if used >= self.limits.private_per_day:
            return "private_cap_ours"
        return "mass_send_cap_platform" if mass.get(cid, 0) >= cap else None

    def _reopen(self, cid: int | str, day: date, at: time, until: time | None) -> datetime | None:
        """Return the first allowed moment of a later day on which the private caps let one more send through."""
        for _ in range(62):
            moment = day_start(day + ONE_DAY, at, until, self.limits)
            if moment is None or self._blocked(cid, moment.date()) is None:
                return moment
            day = moment.date()
        return None

    def moment(self, slot: MomentSlot) -> None:
        """Post one moment slot for every sender whose staff cap and whose viewers' caps allow it."""
        send_at = slot.send_at
        assert send_at is not None  # _open set it: self.slots holds only the open slots
        limits, day = self.limits, send_at.date()
        last = self._last(slot, due_at(slot.day, 0, slot.at))
        staff, seen = self.ledger.day_counts("staff_moment", day), self.ledger.day_counts("moment", day)
        cap = min(limits.moments_visible_per_day, limits.moments_per_day)
        accepted: dict[str, list[tuple[str, int | str]]] = {}
        for sender in sorted(set(slot.explicit or slot.owners) - self.ledger.moment_senders.get(slot.id, set())):
            viewers, code = self.index.viewers(sender, slot.tags), None
            blocking: tuple[int | str, ...] = ()
            if staff.get(sender, 0) >= limits.moments_per_staff_per_day:
                code = "staff_moments_cap"
            else:
                blocking = tuple(cid for cid in viewers if seen.get(cid, 0) >= cap)
                if blocking:
                    full = any(seen.get(cid, 0) >= limits.moments_visible_per_day for cid in blocking)
                    code = "moments_visible_cap" if full else "moments_cap_ours"
            if code is not None:
                self._moment_blocked(slot, day, code, sender, blocking, last)
                continue
            for cid in viewers:
                seen[cid] = seen.get(cid, 0) + 1
            staff[sender] = staff.get(sender, 0) + 1
            accepted[sender] = [(self.index.external[cid], cid) for cid in viewers]
        if accepted:
            self.ledger.mark_moment(slot.id, accepted)
            self.out.sends.extend(moment_tasks(slot.sequence, slot.step, slot.text, slot.attachments, slot.day,
                                               send_at, slot.tags, accepted, limits.max_senders))

    def _last(self, slot: MomentSlot, due: datetime) -> datetime:
        """The latest a slot may post: a sequence feed only on its own day, a dated post within max_lateness."""
        if slot.sequence:
            return moment_deadline(due, slot.until, self.limits)
        return deadline(due, slot.until, self.limits)

    def _moment_blocked(self, slot: MomentSlot, day: date, code: str, sender: str, blocking: tuple,
                        last: datetime) -> None:
        """Defer one sender's share of a moment slot (due on `day`) to the next day, or drop it if that is too late."""
        extra = f" ({len(blocking)} contacts, sender {sender})" if blocking else f" (sender {sender})"
        moment = day_start(day + ONE_DAY, slot.at, slot.until, self.limits)
        if moment is None or moment > last:
            return self._drop(code, "moment", slot.sequence, slot.step, None, extra + "; the next day is too late",
                              sender)
        self._defer(code, moment, "moment", slot.sequence, slot.step, None, sender,
                    blocking[:self.limits.max_blocking], extra)

    def _defer(self, code: str, moment: datetime, touchpoint: str, seq: str, step: str, cid: int | str | None,
               executor: str | None = None, blocking: tuple = (), extra: str = "") -> None:
        """Record a deferral with its reason in English."""
        text = REASONS[code].format(mode=self.limits.mass_send_cap) + extra
        self.out.deferred.append(Deferral(code, text, moment, touchpoint, seq, step, cid, executor, blocking))

    def _drop(self, code: str, touchpoint: str, seq: str, step: str, cid: int | str | None, extra: str = "",
              executor: str | None = None) -> None:
        """Record a drop with its reason in English."""
        text = REASONS[code.split(":")[0]].format(mode=self.limits.mass_send_cap) + extra
        self.out.dropped.append(Drop(code, text, touchpoint, seq, step, cid, executor))
