"""Turn per-contact decisions into a handful of WeCom tasks: render text, group, chunk and key them."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from content.calendar import Attachment, Audience, Calendar
from jobs.planner.limits import cycle_dates
from jobs.planner.model import Enrollment, Limits, PlannedSend, Visibility

CONTACT_PLACEHOLDERS = ("{name}", "{company}")
SPLIT_NOTE = "text names the contact ({name}/{company}): one task per distinct rendered text"


def per_contact(text: str) -> bool:
    """Tell whether a text has placeholders that differ per contact (so its batch splits by rendered text)."""
    return any(mark in text for mark in CONTACT_PLACEHOLDERS)


def render(text: str, staff: str, channel: str, name: str = "", company: str = "") -> str:
    """Fill {staff}, {channel}, {name} and {company}; other braces stay as written."""
    if "{" not in text:
        return text
    return (text.replace("{staff}", staff).replace("{channel}", channel)
            .replace("{name}", name).replace("{company}", company))


def digest(*parts: str) -> str:
    """Return a short stable hash of some strings."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]


def task_key(touchpoint: str, sequence: str, step: str, executor: str, day: date, text: str, chunk: int,
             members: Sequence[str]) -> str:
    """Return the outbox idempotency key of one task: the same slot and members always give the same key.

    The members' digest keeps a contact who becomes due later in the same slot from colliding with the
    batch already planned (which would starve it); contacts already planned are in done_steps, so a
    re-plan never repeats them.
    """
    return (f"{touchpoint}:{sequence}:{step}:{executor}:{day.isoformat()}:{digest(text)}:{chunk}:"
            f"{digest(*members)}")


def chunks(items: Sequence, size: int) -> Iterator[tuple[int, Sequence]]:
    """Yield (index, slice) chunks of at most `size` items."""
    for index, start in enumerate(range(0, len(items), size)):
        yield index, items[start:start + size]


class PrivateBatches:
    """Collect planned 1:1 sends into one add_msg_template per (executor, step, rendered text, slot day)."""

    def __init__(self) -> None:
        self.groups: dict[tuple, list] = {}
        self.meta: dict[tuple, tuple[tuple[Attachment, ...], datetime, bool]] = {}

    def add(self, sequence: str, step: str, executor: str, text: str, day: date, due: datetime,
            attachments: tuple[Attachment, ...], split: bool, contact: int | str, external_userid: str) -> None:
        """Add one contact to the batch of its slot."""
        group = (sequence, step, executor, text, day)
        members = self.groups.get(group)
        if members is None:
            members = self.groups[group] = []
            self.meta[group] = (attachments, due, split)
        elif due < self.meta[group][1]:
            self.meta[group] = (attachments, due, split)
        members.append((external_userid, contact))

    def tasks(self, max_recipients: int) -> list[PlannedSend]:
        """Return the tasks, chunked at max_recipients, in a stable order."""
        out = []
        for group in sorted(self.groups, key=lambda g: (g[4], g[0], g[1], g[2], g[3])):
            sequence, step, executor, text, day = group
            attachments, due, split = self.meta[group]
            members = sorted(self.groups[group])
            for index, chunk in chunks(members, max_recipients):
                recipients = tuple(ext for ext, _ in chunk)
                out.append(PlannedSend(
                    touchpoint="private", sequence_key=sequence, step_id=step, executor=executor,
                    recipients=recipients, contact_ids=tuple(cid for _, cid in chunk), text=text,
                    attachments=attachments, due_at=due, key=task_key("private", sequence, step, executor, day,
                                                                      text, index, recipients),
                    note=SPLIT_NOTE if split else ""))
        return out


def moment_tasks(sequence: str, step: str, text: str, attachments: tuple[Attachment, ...], day: date,
                 due: datetime, tags: tuple[str, ...], viewers: dict[str, list[tuple[str, int | str]]],
                 max_senders: int) -> list[PlannedSend]:
    """Return one add_moment_task per chunk of senders; `viewers` maps each sender to its (ext id, contact) list."""
    out = []
    for index, senders in chunks(sorted(viewers), max_senders):
        seen = sorted(pair for sender in senders for pair in viewers[sender])
        out.append(PlannedSend(
            touchpoint="moment", sequence_key=sequence, step_id=step, executor=None,
            recipients=tuple(ext for ext, _ in seen), contact_ids=tuple(cid for _, cid in seen), text=text,
            attachments=attachments, due_at=due, visibility=Visibility(tuple(senders), tags),
            key=task_key("moment", sequence, step, digest(*tags), day, text, index, senders)))
    return out


@dataclass(slots=True)
class MomentSlot:
    """One Moments post due on one day: a sequence's moment step on its cycle day, or a dated calendar post."""

    sequence: str  # "" for a post of the Moments calendar
    step: str
    day: date
    at: time
    until: time | None
    text: str
    attachments: tuple[Attachment, ...]
    audience: Audience
    exits: tuple[str, ...]
    explicit: tuple[str, ...]  # named senders; empty: the owners of the contacts in the audience
    tags: tuple[str, ...]  # visibility tags: the audience's stage names, then its tags
    owners: set[str] = field(default_factory=set)
    send_at: datetime | None = None

    @property
    def id(self) -> str:
        """Name the slot for the ledger: sequence, step and day."""
        return f"{self.sequence}:{self.step}:{self.day.isoformat()}"


def visibility_tags(audience: Audience, stage_names: Mapping[str, str]) -> tuple[str, ...]:
    """Return the corp tags a Moments post is visible by: the audience's stage names, then its tags."""
    return tuple(dict.fromkeys((*(stage_names.get(key, key) for key in audience.stages), *audience.tags)))


def moment_slots(calendar: Calendar, limits: Limits, stage_names: Mapping[str, str], first: date,
                 last: date) -> list[MomentSlot]:
    """Return the moment slots dated in [first, last]: cycle days of sequence feeds and dated posts."""
    out = []
    for seq in calendar.sequences:
        anchor = seq.starts_on or limits.feed_anchor
        for step in seq.steps:
            if step.touchpoint != "moment":
                continue
            named = () if step.executor == "owner" else (step.executor,)
            tags = visibility_tags(step.audience, stage_names)
            for day in cycle_dates(anchor, seq.cycle_days, step.timing.day, first, last):
                out.append(MomentSlot(seq.key, step.id, day, step.timing.at, step.timing.until, step.text,
                                      step.attachments, step.audience, (*seq.exits, *step.exits), named, tags))
    for post in calendar.moments:
        if first <= post.on <= last:
            out.append(MomentSlot("", post.id, post.on, post.at, None, post.text, post.attachments, post.audience,
                                  (), post.executors, visibility_tags(post.audience, stage_names)))
    return out


class ViewerIndex:
    """Contacts by (owner, visibility tag): who sees a post a sender publishes to some tags."""

    def __init__(self, slots: Sequence[MomentSlot], stage_names: Mapping[str, str]) -> None:
        self.tags = tuple(dict.fromkeys(tag for slot in slots for tag in slot.tags))
        self.everyone = any(not slot.tags for slot in slots)
        self.stage_names = stage_names
        self.by_key: dict[tuple[str, str | None], list[int | str]] = {}
        self.external: dict[int | str, str] = {}

    def add(self, contact: Enrollment) -> None:
        """Index a contact once (its first enrollment wins) under its owner and the tags it carries."""
        cid = contact.contact_id
        if cid in self.external:
            return
        self.external[cid] = contact.external_userid
        owner, by_key = contact.owner_userid, self.by_key
        if self.everyone:
            by_key.setdefault((owner, None), []).append(cid)
        if self.tags:
            stage = self.stage_names.get(contact.stage, contact.stage)
            for tag in self.tags:
                if tag == stage or tag in contact.tags:
                    by_key.setdefault((owner, tag), []).append(cid)

    def viewers(self, sender: str, tags: tuple[str, ...]) -> list[int | str]:
        """Return the contacts of `sender` who see a post visible to `tags` (all its contacts when empty)."""
        if not tags:
            return self.by_key.get((sender, None), [])
        if len(tags) == 1:
            return self.by_key.get((sender, tags[0]), [])
        return list(dict.fromkeys(cid for tag in tags for cid in self.by_key.get((sender, tag), ())))
