"""Load the customer journey: stages, lead statuses, stage rules and scoring segments."""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

from content.errors import Checker, ContentError, Map, load_yaml, read_text

DEFAULT_JOURNEY = Path(__file__).with_name("journey.yaml")
TAG_NAME_LIMIT = 30
SIGNAL_KINDS = ("replied", "link_clicked", "intent", "signed", "inactive")
REQUIRED_LEAD_STATUSES = ("new", "mql", "sql", "customer", "lost")
PLACEHOLDERS = {"link_clicked": "link_kind", "intent": "intent", "inactive": "days"}
TOP_KEYS = ("tag_group", "stages", "initial_stage", "lead_statuses", "link_kinds", "intents",
            "rules", "segments", "default_segment", "score_half_life_days")
RULE_KEYS = ("id", "on", "from", "to", "lead_status", "backward", "reason", "link_kind", "intents", "days")
SEGMENT_KEYS = ("key", "min_employees", "mql", "sql")


@dataclass(frozen=True)
class Stage:
    """One journey stage; `name` is also its WeCom tag, `order` its 0-based position."""

    key: str
    name: str
    order: int


@dataclass(frozen=True)
class Rule:
    """A milestone that moves a contact from some stages to another."""

    id: str
    on: str
    from_stages: tuple[str, ...] | None
    to: str
    lead_status: str | None
    backward: bool
    reason: str
    link_kinds: tuple[str, ...]
    intents: tuple[str, ...]
    days: int | None
    line: int


@dataclass(frozen=True)
class Segment:
    """Lead-scoring thresholds for companies of at least `min_employees` people."""

    key: str
    min_employees: int
    mql: int
    sql: int


@dataclass(frozen=True)
class Journey:
    """The validated journey file."""

    tag_group: str
    stages: tuple[Stage, ...]
    initial_stage: str
    lead_statuses: dict[str, str]
    rules: tuple[Rule, ...]
    segments: tuple[Segment, ...]
    score_half_life_days: float
    default_segment: str = ""
    link_kinds: dict[str, str] = field(default_factory=dict)
    intents: dict[str, str] = field(default_factory=dict)

    def stage(self, key: str) -> Stage:
        """Return the stage with this key; raise KeyError if unknown."""
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def index(self, key: str) -> int:
        """Return the 0-based position of a stage; raise KeyError if unknown."""
        return self.stage(key).order

    def segment_for(self, employees: int | None) -> Segment:
        """Pick the segment for a company size; the default one when unknown or unmatched."""
        default = next(s for s in self.segments if s.key == self.default_segment)
        if employees is None:
            return default
        fitting = [s for s in self.segments if s.min_employees <= employees]
        return max(fitting, key=lambda s: s.min_employees, default=default)


def load_journey(path: str | Path = DEFAULT_JOURNEY) -> Journey:
    """Load and validate a journey file; raise ContentError listing every problem."""
    data = load_yaml(path, read_text(path))
    check = Checker(str(path))
    check.keys(data, "", TOP_KEYS, required=TOP_KEYS)
    tag_group = check.text(data, "tag_group", "tag_group", limit=TAG_NAME_LIMIT)
    stages = _stages(check, data)
    keys = [stage.key for stage in stages]
    initial = check.text(data, "initial_stage", "initial_stage")
    if initial is not None:
        check.member(initial, keys, data.line_of("initial_stage"), "initial_stage", "stage")
    statuses = check.labels(data, "lead_statuses")
    for status in REQUIRED_LEAD_STATUSES:
        if isinstance(data.get("lead_statuses"), Map) and status not in statuses:
            check.add(data.line_of("lead_statuses"), f"lead_statuses.{status}", "missing; this status is required")
    link_kinds = check.labels(data, "link_kinds")
    intents = check.labels(data, "intents")
    rules = [_rule(check, item, f"rules[{n}]", stages, statuses, link_kinds, intents)
             for n, item in check.items(data, "rules")]
    check.unique([(r.id, r.line) for r in rules if r], "rules.id")
    segments = [_segment(check, item, f"segments[{n}]") for n, item in check.items(data, "segments")]
    check.unique([(s.key, line) for s, line in segments if s], "segments.key")
    check.unique([(s.min_employees, line) for s, line in segments if s], "segments.min_employees")
    default = check.text(data, "default_segment", "default_segment")
    if default is not None:
        check.member(default, [s.key for s, _ in segments if s], data.line_of("default_segment"),
                     "default_segment", "segment")
    half_life = check.number(data, "score_half_life_days", "score_half_life_days", minimum=0, strict=True)
    if check.problems:
        raise ContentError(sorted(check.problems, key=lambda p: p.row or 0))
    # Required keys: one missing or malformed is a problem reported above.
    assert tag_group is not None
    assert initial is not None
    assert default is not None
    return Journey(tag_group, tuple(stages), initial, statuses, tuple(r for r in rules if r),
                   tuple(s for s, _ in segments if s), half_life, default, link_kinds, intents)


def _stages(check: Checker, data: Map) -> list[Stage]:
    """Validate the ordered stage list; skip broken entries after reporting them."""
    stages: list[Stage] = []
    keys: list[tuple[str, int]] = []
    names: list[tuple[str, int]] = []
    for n, item in check.items(data, "stages"):
        where = f"stages[{n}]"
        check.keys(item, where, ("key", "name"), required=("key", "name"))
        key = check.text(item, "key", f"{where}.key", slug=True)
        name = check.text(item, "name", f"{where}.name", limit=TAG_NAME_LIMIT)
        if key is not None:
            keys.append((key, item.line_of("key")))
        if name is not None:
            names.append((name, item.line_of("name")))
        if key is not None and name is not None and key not in {s.key for s in stages}:
            stages.append(Stage(key, name, len(stages)))
    check.unique(keys, "stages.key")
    check.unique(names, "stages.name")
    return stages


def _rule(check: Checker, item: Map, where: str, stages: list[Stage], statuses: dict[str, str],
          link_kinds: dict[str, str], intents: dict[str, str]) -> Rule | None:
    """Validate one rule; return None if it is too broken to build."""
    before = len(check.problems)
    check.keys(item, where, RULE_KEYS, required=("id", "on", "from", "to", "reason"))
    order = {stage.key: stage.order for stage in stages}
    rule_id = check.text(item, "id", f"{where}.id", slug=True)
    on = check.text(item, "on", f"{where}.on")
    if on is not None:
        check.member(on, SIGNAL_KINDS, item.line_of("on"), f"{where}.on", "signal kind")
    from_stages = _from_stages(check, item, f"{where}.from", order)
    to = check.text(item, "to", f"{where}.to")
    if to is not None:
        check.member(to, order, item.line_of("to"), f"{where}.to", "stage")
    lead_status = check.text(item, "lead_status", f"{where}.lead_status")
    if lead_status is not None:
        check.member(lead_status, statuses, item.line_of("lead_status"), f"{where}.lead_status", "lead status")
    backward = check.flag(item, "backward", f"{where}.backward")
    reason = check.text(item, "reason", f"{where}.reason")
    kinds = check.choices(item, "link_kind", f"{where}.link_kind", link_kinds)
    wanted = check.choices(item, "intents", f"{where}.intents", intents)
    for key, owner in (("link_kind", "link_clicked"), ("intents", "intent")):
        if key in item and on in SIGNAL_KINDS and on != owner:
            check.add(item.line_of(key), f"{where}.{key}", f"only a `{owner}` rule takes {key}")
    days = check.number(item, "days", f"{where}.days", minimum=1, integer=True)
    if on == "inactive" and days is None and "days" not in item:
        check.add(item.line, f"{where}.days", "required for an `inactive` rule (whole days without activity)")
    elif on not in (None, "inactive") and "days" in item:
        check.add(item.line_of("days"), f"{where}.days", "only an `inactive` rule takes days")
    if to in order and from_stages:
        later = [key for key in from_stages if key in order and order[key] > order[to]]
        if later and not backward:
            check.add(item.line_of("to"), f"{where}.to", f"moves {', '.join(later)} back to {to}; "
                      "add `backward: true` if that is intended")
        if backward and not later:
            check.add(item.line_of("backward"), f"{where}.backward", f"no listed stage is after {to}")
    if reason is not None and on in SIGNAL_KINDS:
        _check_reason(check, reason, on, item.line_of("reason"), f"{where}.reason", len(kinds or wanted or ()))
    if len(check.problems) > before or rule_id is None or on is None or to is None or reason is None:
        return None
    return Rule(rule_id, on, from_stages, to, lead_status, backward, reason, kinds, wanted, days, item.line)


def _from_stages(check: Checker, item: Map, field: str, order: dict[str, int]) -> tuple[str, ...] | None:
    """Return the listed stage keys, or None for "*" (any stage) and for a broken list."""
    value = item.get("from")
    if "from" not in item or value == "*":
        return None
    if not isinstance(value, list) or not value or not all(isinstance(key, str) for key in value):
        check.add(item.line_of("from"), field, f'expected a list of stage keys or "*", got {value!r}')
        return None
    for key in value:
        check.member(key, order, item.line_of("from"), field, "stage")
    return tuple(value)


def _check_reason(check: Checker, reason: str, on: str, line: int, field: str, choices: int) -> None:
    """Check a reason's placeholders fit its signal and name the trigger when it could vary."""
    allowed = PLACEHOLDERS.get(on)
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(reason) if name is not None}
    except ValueError as exc:
        check.add(line, field, f"bad placeholder: {exc}; write {{{{ and }}}} for literal braces")
        return
    for name in sorted(used - {allowed}):
        hint = f"only {{{allowed}}} fits" if allowed else "no placeholder fits"
        check.add(line, field, f"unknown placeholder {{{name}}}: {hint} a `{on}` rule")
    if allowed and allowed not in used and (on == "inactive" or choices != 1):
        check.add(line, field, f"must mention {{{allowed}}} so staff see what triggered the move")


def _segment(check: Checker, item: Map, where: str) -> tuple[Segment | None, int]:
    """Validate one scoring segment; return it (None if broken) with its line."""
    before = len(check.problems)
    check.keys(item, where, SEGMENT_KEYS, required=SEGMENT_KEYS)
    key = check.text(item, "key", f"{where}.key", slug=True)
    minimum = check.number(item, "min_employees", f"{where}.min_employees", minimum=0, integer=True)
    mql = check.number(item, "mql", f"{where}.mql", minimum=1, integer=True)
    sql = check.number(item, "sql", f"{where}.sql", minimum=1, integer=True)
    if mql is not None and sql is not None and sql <= mql:
        check.add(item.line_of("sql"), f"{where}.sql", f"must be above mql ({mql})")
    if len(check.problems) > before or key is None or minimum is None or mql is None or sql is None:
        return None, item.line
    return Segment(key, minimum, mql, sql), item.line
