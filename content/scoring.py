"""Load lead-scoring weights, bonuses and link kinds from content/scoring.yaml, every problem located."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from content.errors import Checker, ContentError, Map, load_yaml, read_text
from content.journey import Journey

DEFAULT_SCORING = Path(__file__).with_name("scoring.yaml")
EVENT_KINDS = ("intent_pricing", "intent_purchase", "intent_demo", "intent_trial", "intent_evaluation",
               "intent_contact", "reply", "link_open", "link_open_pricing", "link_open_quote",
               "moment_like", "moment_comment")
TOP_KEYS = ("events", "channel_bonus", "stage_bonus", "link_paths")
MAX_POINTS = 1000


@dataclass(frozen=True)
class EventWeight:
    """Points for one kind of event and the words staff see for it."""

    points: float
    label: str


@dataclass(frozen=True)
class ScoringConfig:
    """The validated scoring file."""

    events: dict[str, EventWeight]
    channel_bonus: dict[str, float] = field(default_factory=dict)
    stage_bonus: dict[str, float] = field(default_factory=dict)
    link_paths: dict[str, str] = field(default_factory=dict)

    def weight(self, kind: str) -> EventWeight:
        """Return the weight of an event kind; raise KeyError if unknown."""
        return self.events[kind]

    def link_kind(self, url: str) -> str | None:
        """Return the link kind of a URL by its longest matching path prefix, or None."""
        path = urlsplit(url).path.rstrip("/") or "/"
        fits = [p for p in self.link_paths if path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/")]
        return self.link_paths[max(fits, key=len)] if fits else None

    def link_event(self, link_kind: str | None) -> str:
        """Return the event kind for opening a link of this kind (pricing and quote weigh more)."""
        specific = f"link_open_{link_kind}"
        return specific if specific in self.events else "link_open"


def load_scoring(path: str | Path = DEFAULT_SCORING, journey: Journey | None = None) -> ScoringConfig:
    """Load and validate a scoring file (against the journey when given); raise ContentError listing every problem."""
    data = load_yaml(path, read_text(path))
    check = Checker(str(path))
    check.keys(data, "", TOP_KEYS, required=("events",))
    events = _events(check, data)
    channel = _bonus(check, data, "channel_bonus", None)
    stage = _bonus(check, data, "stage_bonus", [s.key for s in journey.stages] if journey else None)
    links = _link_paths(check, data, list(journey.link_kinds) if journey else None)
    if check.problems:
        raise ContentError(sorted(check.problems, key=lambda p: p.row or 0))
    return ScoringConfig(events, channel, stage, links)


def _events(check: Checker, data: Map) -> dict[str, EventWeight]:
    """Validate the event weights: every kind present, points within range, a label for staff."""
    block = data.get("events")
    if "events" in data and not isinstance(block, Map):
        check.add(data.line_of("events"), "events", "expected `kind: {points: N, label: 文字}` lines")
    if not isinstance(block, Map):
        return {}
    check.keys(block, "events", EVENT_KINDS, required=EVENT_KINDS)
    found: dict[str, EventWeight] = {}
    for kind in EVENT_KINDS:
        item = block.get(kind)
        if kind not in block:
            continue
        where = f"events.{kind}"
        if not isinstance(item, Map):
            check.add(block.line_of(kind), where, f"expected {{points: N, label: 文字}}, got {item!r}")
            continue
        check.keys(item, where, ("points", "label"), required=("points", "label"))
        points = check.number(item, "points", f"{where}.points", minimum=0)
        if points is not None and points > MAX_POINTS:
            check.add(item.line_of("points"), f"{where}.points", f"must be at most {MAX_POINTS}, got {points}")
            points = None
        label = check.text(item, "label", f"{where}.label", limit=20)
        if points is not None and label is not None:
            found[kind] = EventWeight(float(points), label)
    return found


def _bonus(check: Checker, data: Map, key: str, allowed: list[str] | None) -> dict[str, float]:
    """Validate a `name: points` block, names checked against `allowed` when given."""
    block = data.get(key)
    if key not in data or block is None:
        return {}
    if not isinstance(block, Map):
        check.add(data.line_of(key), key, "expected `name: points` lines")
        return {}
    check.keys(block, key, list(block))
    found: dict[str, float] = {}
    for name in block:
        if allowed is not None and not check.member(name, allowed, block.line_of(name), f"{key}.{name}", "stage"):
            continue
        points = check.number(block, name, f"{key}.{name}", minimum=0)
        if points is not None and points > MAX_POINTS:
            check.add(block.line_of(name), f"{key}.{name}", f"must be at most {MAX_POINTS}, got {points}")
        elif points is not None:
            found[str(name)] = float(points)
    return found


def _link_paths(check: Checker, data: Map, kinds: list[str] | None) -> dict[str, str]:
    """Validate `path prefix: link kind` lines; kinds are checked against the journey's when given."""
    block = data.get("link_paths")
    if "link_paths" not in data or block is None:
        return {}
    if not isinstance(block, Map):
        check.add(data.line_of("link_paths"), "link_paths", "expected `/path: link_kind` lines")
        return {}
    check.keys(block, "link_paths", list(block))
    found: dict[str, str] = {}
    for prefix in block:
        where, line = f"link_paths.{prefix}", block.line_of(prefix)
        if not str(prefix).startswith("/"):
            check.add(line, where, f"a path must start with '/', got {prefix!r}")
            continue
        kind = check.text(block, prefix, where)
        if kind is None or (kinds is not None and not check.member(kind, kinds, line, where, "link kind")):
            continue
        found[str(prefix)] = kind
    return found
