"""Load content calendars from YAML, CSV and Excel files into one Calendar, or report every problem in all of them."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from pathlib import Path

from content.calendar import TOUCHPOINTS, Audience, Calendar, MomentPost, Sequence, Step, Timing
from content.calendar_checks import (
    EXITS,
    MAX_DAY,
    CalendarChecks,
    Known,
    Raw,
    parse_clock,
    parse_date,
    parse_names,
    parse_text,
    parse_whole,
)
from content.calendar_table import read_csv, read_xlsx
from content.calendar_yaml import read_yaml
from content.channels import DEFAULT_CHANNELS, ChannelBook, load_channels
from content.errors import Checker, ContentError, ContentProblem
from content.journey import Journey, load_journey

DEFAULT_CALENDAR = Path(__file__).parent / "sequences" / "saas_nurture_30d.yaml"
READERS: dict[str, Callable[[str, Checker], tuple[list[Raw], list[Raw]]]] = {
    ".yaml": read_yaml, ".yml": read_yaml, ".csv": read_csv, ".xlsx": read_xlsx}
_SLUG = re.compile(r"[a-z][a-z0-9_]*\Z")


def load_calendar(paths: list[str | Path], journey: Journey | None = None,
                  channels: ChannelBook | None = None) -> Calendar:
    """Load and merge calendar files; raise one ContentError listing every problem in every file."""
    journey = journey or load_journey()
    channels = channels or load_channels(DEFAULT_CHANNELS, {stage.key for stage in journey.stages})
    known = Known(tuple(s.key for s in journey.stages), tuple(journey.lead_statuses), tuple(channels.channels))
    problems: list[ContentProblem] = []
    sequences: list[Sequence | None] = []
    moments: list[MomentPost | None] = []
    if not paths:
        problems.append(ContentProblem("", None, "paths", "no calendar files given"))
    for path in paths:
        check = Checker(str(path))
        reader = READERS.get(Path(path).suffix.lower())
        if reader is None:
            check.add(None, "file", f"unsupported file type '{Path(path).suffix}'; use .yaml, .yml, .csv or .xlsx")
            problems.extend(check.problems)
            continue
        try:
            raw_sequences, raw_moments = reader(str(path), check)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        checks = CalendarChecks(check, known)
        sequences += [_sequence(checks, raw) for raw in raw_sequences]
        moments += [_moment(checks, raw) for raw in raw_moments]
        problems.extend(sorted(check.problems, key=lambda p: p.row or 0))
    if problems:
        raise ContentError(problems)
    return Calendar(tuple(s for s in sequences if s), tuple(m for m in moments if m))


def _sequence(checks: CalendarChecks, raw: Raw) -> Sequence | None:
    """Validate one sequence and its steps; return None when anything is wrong."""
    before = len(checks.check.problems)
    key, name = checks.get(raw, "key", parse_text, "missing"), checks.get(raw, "name", parse_text, "missing")
    if key is not None and not _SLUG.match(key):
        checks.add(raw.cells["key"], f"'{key}' must be lowercase ascii letters, digits and _")
    starts_on = checks.get(raw, "starts_on", parse_date)
    cycle = checks.get(raw, "cycle_days", parse_whole(1, MAX_DAY)) or Sequence.cycle_days
    exits = checks.refs(raw, "exits", EXITS, parse_names) if "exits" in raw.cells else Sequence.exits
    enroll = checks.audience(raw)
    if not raw.steps:
        checks.check.add(raw.line, raw.name_of("steps"), "the sequence has no steps")
    seen: dict[str, str] = {}
    steps = [_step(checks, step, cycle, seen) for step in raw.steps]
    if key is not None:
        checks.once(checks.known.sequences, key, raw.cells["key"], "sequence key")
    if len(checks.check.problems) > before:
        return None
    # A broken step is None and has reported a problem, so here every step is built.
    return Sequence(key, name, tuple(s for s in steps if s), enroll, exits or (), starts_on, cycle)


def _step(checks: CalendarChecks, raw: Raw, cycle_days: int, seen: dict[str, str]) -> Step | None:
    """Validate one step of a sequence; return None when anything is wrong."""
    before = len(checks.check.problems)
    step_id = checks.get(raw, "id", parse_text, "missing")
    if step_id is not None:
        checks.once(seen, step_id, raw.cells["id"], "step id")
    touchpoint = checks.get(raw, "touchpoint", parse_text, "missing")
    if touchpoint is not None:
        checks.names(raw, "touchpoint", TOUCHPOINTS, "touchpoint")
    day = checks.get(raw, "day", parse_whole(0, MAX_DAY), "missing")
    if touchpoint == "welcome" and day not in (None, 0):
        checks.add(raw.cells["day"], f"a welcome step is sent when the contact is added: day must be 0, got {day}")
    if touchpoint == "moment" and day is not None and day >= cycle_days:
        checks.add(raw.cells["day"], f"day {day} is outside the sequence's {cycle_days}-day Moments cycle (0 to "
                   f"{cycle_days - 1})")
    at = checks.get(raw, "at", parse_clock, None if touchpoint == "welcome" else "missing; expected HH:MM")
    until = checks.get(raw, "until", parse_clock)
    if at is not None and until is not None and until <= at:
        checks.add(raw.cells["until"], f"until {until:%H:%M} is not after at {at:%H:%M}")
    milestone = checks.refs(raw, "milestone", ("stage:<key>",), parse_text)
    audience = checks.audience(raw)
    executor = checks.staff(raw, "executor") or ("owner",)
    if len(executor) > 1:
        checks.add(raw.cells["executor"], "a step has one executor: owner or a staff userid")
    exits = checks.refs(raw, "exits", EXITS, parse_names) or ()
    text, attachments = checks.content(raw, touchpoint)
    if len(checks.check.problems) > before:
        return None
    timing = Timing(day, at or time(0, 0), until, milestone)
    return Step(step_id, touchpoint, timing, text, attachments, audience, executor[0], exits,
                f"{checks.check.path}:{raw.line}")


def _moment(checks: CalendarChecks, raw: Raw) -> MomentPost | None:
    """Validate one dated Moments post; return None when anything is wrong."""
    before = len(checks.check.problems)
    post_id = checks.get(raw, "id", parse_text, "missing")
    on = checks.get(raw, "on", parse_date, "missing; expected YYYY-MM-DD")
    at = checks.get(raw, "at", parse_clock, "missing; expected HH:MM")
    audience = Audience(checks.names(raw, "stages", checks.known.stages, "stage"), checks.names(raw, "tags"))
    executors = checks.staff(raw, "executors")
    text, attachments = checks.content(raw, "moment")
    if post_id is not None:
        checks.once(checks.known.moments, post_id, raw.cells["id"], "Moments post id")
    if len(checks.check.problems) > before:
        return None
    return MomentPost(post_id, on, at, text, attachments, audience, executors, f"{checks.check.path}:{raw.line}")
