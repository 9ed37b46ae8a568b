"""Plain inputs and outputs of the SOP planner: enrollments, limits, planned sends, deferrals and drops."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from content.calendar import Attachment

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAP_MODES = ("per_day", "per_week", "per_month")
REASONS = {
    "quiet_hours": "due in quiet hours; waits for them to end",
    "outside_window": "due outside the step's send window; waits for the next window",
    "window_passed": "the step's window passed more than max_lateness ago; skipped, the contact stays in the sequence",
    "private_cap_ours": "the contact already had private_per_day 1:1 messages that day (our cap, all sequences)",
    "mass_send_cap_platform": "WeCom's per-customer mass-send cap ({mode}) is reached for that period",
    "moments_visible_cap": "contacts who would see the post already see moments_visible_per_day posts that day (WeCom)",
    "moments_cap_ours": "contacts who would see the post already reached our moments_per_day that day",
    "staff_moments_cap": "the staff member already posts moments_per_staff_per_day Moments that day",
    "audience_mismatch": "the contact is not in the step's audience (stage, tags, channel, lead status or score)",
    "opted_out": "the contact asked to stop: leaves nurture at once",
    "hot_lead": "the contact is a hot lead: handed to sales, leaves nurture at once",
    "lost": "the lead is lost: leaves nurture at once",
    "exited": "the contact left this sequence",
    "stage_reached": "the contact reached an exit stage of this sequence",
}


@dataclass(slots=True)
class Enrollment:
    """One contact in one sequence, as the planner needs it (slots, not frozen: a million are built per tick)."""

    contact_id: int | str
    external_userid: str
    owner_userid: str
    sequence_key: str
    enrolled_at: datetime
    stage: str = ""
    stage_entered_at: datetime | None = None
    lead_status: str = "new"
    tags: frozenset[str] = frozenset()
    channel: str = ""
    score: float = 0.0
    name: str = ""
    company: str = ""
    done_steps: frozenset[str] = frozenset()
    exited: str | None = None
    opted_out: bool = False
    hot: bool = False
    milestones: Mapping[str, datetime] | None = None  # stage key -> entered at, for stages already left


@dataclass(frozen=True)
class Limits:
    """Every cap, window and ordering the planner obeys; all are settings (platform values per wecom/FACTS.md)."""

    private_per_day: int = 1
    moments_per_day: int = 3
    mass_send_cap: str = "per_day"
    moments_visible_per_day: int = 3
    moments_per_staff_per_day: int = 3
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    max_recipients: int = 10_000
    max_senders: int = 100_000
    max_lateness: timedelta = timedelta(hours=24)
    welcome_counts: bool = True  # a welcome message counts against our private_per_day
    stage_order: tuple[str, ...] = ()
    feed_anchor: date = date(2026, 1, 5)  # day 0 of a moment feed whose sequence has no starts_on
    max_blocking: int = 100  # contacts named in one moments-cap deferral

    def __post_init__(self) -> None:
        """Reject settings the planner cannot honour."""
        if self.mass_send_cap not in CAP_MODES:
            raise ValueError(f"mass_send_cap must be one of {CAP_MODES}, got {self.mass_send_cap!r}")
        for name in ("private_per_day", "moments_per_day", "moments_visible_per_day", "moments_per_staff_per_day"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.max_recipients < 1 or self.max_senders < 1:
            raise ValueError("max_recipients and max_senders must be positive")
        if self.max_lateness < timedelta(0):
            raise ValueError("max_lateness must not be negative")


@dataclass(frozen=True)
class Visibility:
    """Who sees a Moments post: the senders' customers carrying any of `tags` (all of them when empty)."""

    senders: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class PlannedSend:
    """One WeCom task to create: add_msg_template (private) or add_moment_task (moment)."""

    touchpoint: str
    sequence_key: str
    step_id: str
    executor: str | None  # the sender of a private task; None for Moments (see visibility.senders)
    recipients: tuple[str, ...]  # external_userids (for Moments: every contact who will see the post)
    contact_ids: tuple[int | str, ...]
    text: str
    attachments: tuple[Attachment, ...]
    due_at: datetime
    key: str
    visibility: Visibility | None = None
    note: str = ""


@dataclass(frozen=True)
class Deferral:
    """A send that is due but not allowed yet, and the next moment it may go."""

    code: str
    reason: str
    next_at: datetime
    touchpoint: str
    sequence_key: str
    step_id: str
    contact_id: int | str | None = None
    executor: str | None = None
    blocking: tuple[int | str, ...] = ()  # for Moments: contacts whose cap blocks the post


@dataclass(frozen=True)
class Drop:
    """A due send that will not happen, and why; the contact stays in the sequence unless the code is an exit."""

    code: str
    reason: str
    touchpoint: str
    sequence_key: str
    step_id: str
    contact_id: int | str | None = None
    executor: str | None = None


@dataclass
class Plan:
    """What one planning run decided."""

    sends: list[PlannedSend] = field(default_factory=list)
    deferred: list[Deferral] = field(default_factory=list)
    dropped: list[Drop] = field(default_factory=list)

    @property
    def api_calls(self) -> int:
        """Count the WeCom tasks this plan creates."""
        return len(self.sends)
