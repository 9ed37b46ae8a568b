"""The content-calendar schema every loader (YAML, CSV, Excel) produces and the planner reads.

A *sequence* is a per-contact SOP: its `private` and `welcome` steps are timed from the contact's enrollment
(day offset) or from a milestone ("entered stage X", then `day` days later). Its `moment` steps are a shared
broadcast: Moments are visible by tag, not by person, so a moment step's `day` counts from the sequence's
`starts_on` date and the feed repeats every `cycle_days`. A *Moments calendar* post is a dated post.
All times are wall-clock times in Asia/Shanghai.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

TOUCHPOINTS = ("moment", "private", "welcome")
ATTACHMENT_KINDS = ("image", "link", "miniprogram", "file", "video")
MAX_ATTACHMENTS = 9


@dataclass(frozen=True)
class Attachment:
    """One attachment in WeCom's shape: kind plus its fields (link: title, url, desc, picurl; image: pic_url …)."""

    kind: str
    fields: dict = field(default_factory=dict, compare=True, hash=False)

    def to_wecom(self) -> dict:
        """Render as WeCom's attachment object."""
        return {"msgtype": self.kind, self.kind: dict(self.fields)}


@dataclass(frozen=True)
class Audience:
    """Who a step is for; an empty tuple means "any". Lead statuses default to those still in nurture."""

    stages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    lead_statuses: tuple[str, ...] = ("new", "mql")
    min_score: float | None = None
    max_score: float | None = None


@dataclass(frozen=True)
class Timing:
    """When: `day` days after enrollment (or after `milestone`), at `at`, optionally any time until `until`."""

    day: int
    at: time
    until: time | None = None
    milestone: str | None = None  # "stage:<key>": counted from the day the contact entered that stage


@dataclass(frozen=True)
class Step:
    """One touch of a sequence: touchpoint, timing, audience, content, executor, exit rules."""

    id: str
    touchpoint: str
    timing: Timing
    text: str
    attachments: tuple[Attachment, ...] = ()
    audience: Audience = Audience()
    executor: str = "owner"  # "owner" (the staff who owns the relationship) or a staff userid
    exits: tuple[str, ...] = ()
    source: str = ""  # "path:row" for error messages and previews


@dataclass(frozen=True)
class Sequence:
    """A per-contact SOP: who enrolls, the steps, and what ends it."""

    key: str
    name: str
    steps: tuple[Step, ...]
    enroll: Audience = Audience()
    exits: tuple[str, ...] = ("replied", "opted_out", "hot_lead", "lost")
    starts_on: date | None = None
    cycle_days: int = 30


@dataclass(frozen=True)
class MomentPost:
    """A dated Moments post, visible to contacts in `audience` (by stage / tag), posted by `executors` (empty:
    owners)."""

    id: str
    on: date
    at: time
    text: str
    attachments: tuple[Attachment, ...] = ()
    audience: Audience = Audience()
    executors: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Calendar:
    """Everything loaded from one set of content files."""

    sequences: tuple[Sequence, ...] = ()
    moments: tuple[MomentPost, ...] = ()
