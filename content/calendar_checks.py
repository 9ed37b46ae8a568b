"""The calendar rules shared by every format: raw cells as read, value parsers, and field checks that report all."""
from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from content.calendar import ATTACHMENT_KINDS, MAX_ATTACHMENTS, Attachment, Audience
from content.errors import Checker

PLACEHOLDERS = ("name", "staff", "company", "channel")
TEXT_LIMITS = {"private": 4000, "welcome": 4000, "moment": 2000}
EXITS = ("replied", "opted_out", "hot_lead", "lost", "stage:<key>")
MAX_DAY = 365
ATTACHMENT_FIELDS = {"link": (("title", "url"), ("desc", "picurl")), "image": ((), ("pic_url", "media_id")),
                     "miniprogram": (("title", "appid", "page", "pic_media_id"), ()), "video": (("media_id",), ()),
                     "file": (("media_id",), ())}  # kind: (required, optional); an image needs pic_url or media_id
URL_FIELDS = ("url", "picurl", "pic_url")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})\Z")
_USERID = re.compile(r"[A-Za-z0-9_.@-]{1,64}\Z")
_WHOLE = re.compile(r"\s*-?\d+\s*\Z")


@dataclass(frozen=True)
class Cell:
    """One raw value as read from a file, with the line and field to blame for it."""

    value: Any
    line: int | None
    field: str


@dataclass
class Raw:
    """The fields of one sequence, step or Moments post as read from a file, before validation."""

    line: int
    cells: dict[str, Cell] = field(default_factory=dict)
    prefix: str = ""  # field names of missing keys: prefix + names.get(key, key)
    names: dict[str, str] = field(default_factory=dict)
    steps: list[Raw] = field(default_factory=list)

    def name_of(self, key: str) -> str:
        """Return the field name a problem with `key` should carry."""
        return self.cells[key].field if key in self.cells else self.prefix + self.names.get(key, key)


@dataclass
class Known:
    """The names a calendar may refer to, and where each id loaded so far was first defined."""

    stages: tuple[str, ...]
    lead_statuses: tuple[str, ...]
    channels: tuple[str, ...]
    sequences: dict[str, str] = field(default_factory=dict)
    moments: dict[str, str] = field(default_factory=dict)


def _close(value: str, options: tuple[str, ...]) -> str:
    """Say what was expected, naming the closest option when there is one."""
    match = difflib.get_close_matches(value, list(options), n=1)
    return f"did you mean '{match[0]}'?" if match else f"expected one of: {', '.join(options)}"


def parse_text(value: Any) -> str:
    """Parse non-empty text."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise ValueError(f"expected text, got {value!r}")
    return str(value).strip()


def parse_whole(low: int, high: int) -> Callable[[Any], int]:
    """Make a parser of whole numbers from low to high."""
    def parse(value: Any) -> int:
        number = int(value) if isinstance(value, str) and _WHOLE.match(value) else value
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise ValueError(f"expected a whole number from {low} to {high}, got {value!r}")
        return number
    return parse


def parse_clock(value: Any) -> time:
    """Parse an HH:MM wall-clock time."""
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"expected HH:MM, got '{value}'")
    return time(int(match[1]), int(match[2]))


def _parser(convert: Callable[[Any], Any], expected: str) -> Callable[[Any], Any]:
    """Make a parser that converts a value or says what was expected."""
    def parse(value: Any) -> Any:
        try:
            return convert(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected {expected}, got {value!r}") from None
    return parse


parse_date = _parser(lambda v: v if isinstance(v, date) else date.fromisoformat(str(v).strip()), "a date YYYY-MM-DD")
parse_number = _parser(lambda v: float("x" if isinstance(v, bool) else v), "a number")


def parse_names(value: Any) -> tuple[str, ...]:
    """Parse one name or a list of names."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise ValueError(f"expected a name or a list of names, got {value!r}")
    return tuple(v.strip() for v in values)


def _placeholders(text: str) -> list[str]:
    """Return problems with the {placeholders} in a text."""
    try:
        used = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        return [f"bad placeholder: {exc}; write {{{{ and }}}} for literal braces"]
    known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
    return [f"unknown placeholder {{{n}}}; {_close(n, PLACEHOLDERS)} (known: {known})"
            for n in used if n not in PLACEHOLDERS]


def _attachment(value: Any) -> Attachment | str:
    """Parse one attachment `{kind: {fields}}`; return the problem instead when it is bad."""
    if not isinstance(value, dict) or len(value) != 1:
        return f"expected one of {', '.join(ATTACHMENT_KINDS)} with its fields, got {value!r}"
    kind, fields = next(iter(value.items()))
    if kind not in ATTACHMENT_KINDS:
        return f"unknown attachment kind '{kind}'; {_close(str(kind), ATTACHMENT_KINDS)}"
    if not isinstance(fields, dict):
        return f"expected the fields of a {kind}, got {fields!r}"
    required, optional = ATTACHMENT_FIELDS[kind]
    unknown = [str(name) for name in fields if name not in required + optional]
    if unknown:
        return f"unknown {kind} field '{unknown[0]}'; {_close(unknown[0], required + optional)}"
    clean = {k: str(v).strip() for k, v in fields.items() if v is not None and str(v).strip()}
    missing = [name for name in required if name not in clean]
    if missing or (kind == "image" and not {"pic_url", "media_id"} & set(clean)):
        return f"a {kind} needs a {' and a '.join(missing) or 'pic_url or a media_id'}"
    bad = [name for name in URL_FIELDS if name in clean and not clean[name].startswith(("https://", "http://"))]
    return f"{bad[0]} must start with https:// or http://, got '{clean[bad[0]]}'" if bad else Attachment(kind, clean)


def _moment_mix(kinds: list[str]) -> tuple[int, str] | None:
    """Return where and why Moments attachments break "up to 9 images, or 1 video, or 1 link", or None."""
    for n, kind in enumerate(kinds):
        if kind in ("miniprogram", "file"):
            return n, f"Moments take images, one video or one link, not a {kind}"
        if n and (kind != "image" or kinds[0] != "image"):
            shown = "images" if kinds[0] == "image" else f"a {kinds[0]}"
            return n, f"{kind} after {shown}: Moments take up to 9 images, or 1 video, or 1 link, not mixed"
    return None


class CalendarChecks:
    """Check the raw fields of one file against the schema and the known names, recording every problem."""

    def __init__(self, check: Checker, known: Known) -> None:
        """Report into `check`; look names up in `known`."""
        self.check, self.known = check, known

    def add(self, cell: Cell, message: str) -> None:
        """Record a problem with one cell."""
        self.check.add(cell.line, cell.field, message)

    def once(self, seen: dict[str, str], value: str, cell: Cell, what: str) -> None:
        """Report a value already defined in this or an earlier file."""
        if value in seen:
            self.add(cell, f"duplicate {what} '{value}' (first at {seen[value]})")
        seen.setdefault(value, f"{self.check.path}:{cell.line}")

    def get(self, raw: Raw, key: str, parse: Callable[[Any], Any], missing: str | None = None) -> Any:
        """Return a parsed field; report a bad value, and a missing one when `missing` says how."""
        cell = raw.cells.get(key)
        if cell is None:
            if missing is not None:
                self.check.add(raw.line, raw.name_of(key), missing)
            return None
        try:
            return parse(cell.value)
        except ValueError as exc:
            self.add(cell, str(exc))
            return None

    def names(self, raw: Raw, key: str, options: tuple[str, ...] | None = None, what: str = "") -> tuple[str, ...]:
        """Return a one-or-more names field, checking each name against `options` when given."""
        values = self.get(raw, key, parse_names) or ()
        if options is not None:
            for value in values:
                if value not in options:
                    self.add(raw.cells[key], f"unknown {what} '{value}'; {_close(value, options)}")
        return values

    def audience(self, raw: Raw) -> Audience:
        """Return the audience fields: stages, tags, channels, lead statuses and score range."""
        stages, tags = self.names(raw, "stages", self.known.stages, "stage"), self.names(raw, "tags")
        channels = self.names(raw, "channels", self.known.channels, "channel state")
        statuses = self.names(raw, "lead_statuses", self.known.lead_statuses, "lead status")
        low, high = self.get(raw, "min_score", parse_number), self.get(raw, "max_score", parse_number)
        if low is not None and high is not None and low > high:
            self.add(raw.cells["min_score"], f"min_score {low:g} is above max_score {high:g}")
        statuses = statuses if "lead_statuses" in raw.cells else Audience.lead_statuses
        return Audience(stages, tags, channels, statuses, low, high)

    def refs(self, raw: Raw, key: str, options: tuple[str, ...], parse: Callable[[Any], Any]) -> Any:
        """Return a milestone or exits field, checking each "stage:<key>" and each other value."""
        value = self.get(raw, key, parse)
        for item in (value,) if isinstance(value, str) else value or ():
            stage = item.partition(":")[2].strip()
            if item.startswith("stage:") and stage not in self.known.stages:
                self.add(raw.cells[key], f"unknown stage '{stage}' in '{item}'; {_close(stage, self.known.stages)}")
            elif not item.startswith("stage:") and item not in options:
                hint = f"unknown exit kind '{item}'; {_close(item, options)}" if key == "exits" else None
                self.add(raw.cells[key], hint or f"expected stage:<key>, got '{item}'")
        return value

    def staff(self, raw: Raw, key: str) -> tuple[str, ...]:
        """Return staff userids (or "owner"), reporting ones WeCom would not accept."""
        values = self.names(raw, key)
        for value in values:
            if not _USERID.match(value):
                self.add(raw.cells[key], f"'{value}' is not a staff userid (letters, digits, _ . @ -, at most 64)")
        return values

    def content(self, raw: Raw, touchpoint: str | None) -> tuple[str, tuple[Attachment, ...]]:
        """Return text and attachments, checking emptiness, length, placeholders and attachment rules."""
        cell = raw.cells.get("text")
        text = "" if cell is None or cell.value is None else str(cell.value).strip()
        items: list[Cell] = raw.cells["attachments"].value if "attachments" in raw.cells else []
        if not text and not items:
            self.check.add(raw.line if cell is None else cell.line, raw.name_of("text"),
                           "no text and no attachments; a touch needs at least one")
        limit = TEXT_LIMITS.get(touchpoint or "", 0)
        if cell is not None:  # without a text cell the text is empty: nothing more to check in it
            if limit and len(text) > limit:
                where = "a Moments post" if touchpoint == "moment" else "a 1:1 message"
                self.add(cell, f"text is {len(text)} characters; WeCom allows at most {limit} in {where}")
            for message in _placeholders(text):
                self.add(cell, message)
        if len(items) > MAX_ATTACHMENTS:
            self.add(items[MAX_ATTACHMENTS], f"{len(items)} attachments; WeCom allows at most {MAX_ATTACHMENTS}")
        parsed = [(item, _attachment(item.value)) for item in items]
        for item, message in ((i, r) for i, r in parsed if isinstance(r, str)):
            self.add(item, message)
        good = [(item, result) for item, result in parsed if isinstance(result, Attachment)]
        mix = _moment_mix([a.kind for _, a in good]) if touchpoint == "moment" else None
        if mix:
            self.add(good[mix[0]][0], mix[1])
        return text, tuple(a for _, a in good)
