"""Scenario driver: YAML-described prospects arriving over simulated days, played on the sandbox clock."""
from __future__ import annotations

import random
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from sandbox.state import SandboxState

DEFAULT_SCENARIO = Path(__file__).with_name("scenarios") / "default.yaml"
DAY = 86400.0
BEHAVIOURS = ("reply", "ask_price", "leave")


class ScenarioError(ValueError):
    """A scenario file that does not validate, naming the offending field."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


@dataclass(frozen=True)
class Channel:
    """A named acquisition channel: its `state`, the staff it routes to and its daily arrivals."""

    state: str
    staff: tuple[str, ...]
    prospects_per_day: int
    half: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """A validated scenario."""

    name: str
    seed: int
    days: int
    channels: tuple[Channel, ...]
    behaviour: dict[str, float]
    messages: dict[str, tuple[str, ...]]


@dataclass(order=True)
class Action:
    """One timed thing a prospect does, `at` seconds after the scenario starts."""

    at: float
    kind: str = field(compare=False)
    userid: str = field(compare=False)
    external_userid: str = field(compare=False)
    state: str = field(default="", compare=False)
    text: str = field(default="", compare=False)
    half: bool = field(default=False, compare=False)


def _fraction(value: object, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ScenarioError(where, f"expected a fraction between 0 and 1, got {value!r}")
    return float(value)


def _positive_int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ScenarioError(where, f"expected a non-negative integer, got {value!r}")
    return value


def _channel(raw: object, where: str) -> Channel:
    if not isinstance(raw, dict):
        raise ScenarioError(where, "expected a mapping with state, staff and prospects_per_day")
    unknown = set(raw) - {"state", "staff", "prospects_per_day", "half"}
    if unknown:
        raise ScenarioError(where, f"unknown keys {sorted(unknown)}")
    state = raw.get("state")
    if not isinstance(state, str) or not state or len(state) > 30:
        raise ScenarioError(f"{where}.state", "expected a non-empty string of at most 30 characters")
    staff = raw.get("staff")
    staff = [staff] if isinstance(staff, str) else staff
    if not isinstance(staff, list) or not staff or not all(isinstance(s, str) and s for s in staff):
        raise ScenarioError(f"{where}.staff", "expected a staff userid or a list of them")
    return Channel(state, tuple(staff), _positive_int(raw.get("prospects_per_day"), f"{where}.prospects_per_day"),
                   _fraction(raw.get("half", 0.0), f"{where}.half"))


def parse_scenario(raw: object, source: str = "scenario") -> Scenario:
    """Validate a scenario mapping and return it typed; errors name the field."""
    if not isinstance(raw, dict):
        raise ScenarioError(source, "expected a mapping at the top level")
    unknown = set(raw) - {"name", "seed", "days", "channels", "behaviour", "messages"}
    if unknown:
        raise ScenarioError(source, f"unknown keys {sorted(unknown)}")
    channels = raw.get("channels")
    if not isinstance(channels, list) or not channels:
        raise ScenarioError(f"{source}:channels", "expected a non-empty list")
    behaviour_raw = raw.get("behaviour") or {}
    if not isinstance(behaviour_raw, dict) or set(behaviour_raw) - set(BEHAVIOURS):
        raise ScenarioError(f"{source}:behaviour", f"expected a mapping with keys among {BEHAVIOURS}")
    behaviour = {k: _fraction(behaviour_raw.get(k, 0.0), f"{source}:behaviour.{k}") for k in BEHAVIOURS}
    messages_raw = raw.get("messages") or {}
    messages: dict[str, tuple[str, ...]] = {}
    for kind in ("reply", "ask_price"):
        texts = messages_raw.get(kind, [])
        if not isinstance(texts, list) or not all(isinstance(t, str) and t for t in texts):
            raise ScenarioError(f"{source}:messages.{kind}", "expected a list of non-empty strings")
        if behaviour[kind] > 0 and not texts:
            raise ScenarioError(f"{source}:messages.{kind}", f"needed because behaviour.{kind} > 0")
        messages[kind] = tuple(texts)
    days = raw.get("days", 1)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ScenarioError(f"{source}:days", f"expected a positive integer, got {days!r}")
    return Scenario(str(raw.get("name", "scenario")), _positive_int(raw.get("seed", 0), f"{source}:seed"), days,
                    tuple(_channel(c, f"{source}:channels[{i}]") for i, c in enumerate(channels)),
                    behaviour, messages)


def load_scenario(path: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """Read and validate a scenario YAML file."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), f"not valid YAML: {exc}") from None
    return parse_scenario(raw, str(path))


def build_actions(scenario: Scenario, staff: tuple[str, ...] | None = None) -> list[Action]:
    """Expand a scenario into its timed actions, deterministically from its seed."""
    for i, ch in enumerate(scenario.channels):
        missing = [s for s in ch.staff if staff is not None and s not in staff]
        if missing:
            raise ScenarioError(f"channels[{i}].staff", f"unknown staff {missing}")
    rng = random.Random(scenario.seed)
    actions: list[Action] = []
    for day in range(scenario.days):
        for ch in scenario.channels:
            for _ in range(ch.prospects_per_day):
                ext = "wmSC" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(26))
                userid = rng.choice(ch.staff)
                at = day * DAY + rng.uniform(0, 12 * 3600)
                actions.append(Action(at, "add", userid, ext, state=ch.state, half=rng.random() < ch.half))
                if rng.random() < scenario.behaviour["reply"]:
                    actions.append(Action(at + rng.uniform(60, 3600), "message", userid, ext,
                                          text=rng.choice(scenario.messages["reply"])))
                if rng.random() < scenario.behaviour["ask_price"]:
                    actions.append(Action(at + rng.uniform(3600, 2 * DAY), "message", userid, ext,
                                          text=rng.choice(scenario.messages["ask_price"])))
                if rng.random() < scenario.behaviour["leave"]:
                    actions.append(Action(at + rng.uniform(DAY, 5 * DAY), "leave", userid, ext))
    return sorted(actions)


def run_scenario(state: "SandboxState", scenario: Scenario | dict[str, Any] | str | Path = DEFAULT_SCENARIO,
                 speed: float | None = None, stop: threading.Event | None = None,
                 within: float | None = None) -> dict[str, int]:
    """Play a scenario: jump the sandbox clock between actions, or with `speed` pace them at that many times real time.

    With `within` (seconds) the whole scenario is squeezed into that much real time and the sandbox clock is left
    alone, so welcome codes and callbacks keep their real 20-second and 5-second windows.
    """
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    elif isinstance(scenario, dict):
        scenario = parse_scenario(scenario)
    actions = build_actions(scenario, state.config.staff)
    stop = stop or threading.Event()
    start = state.clock.now()
    done: Counter[str] = Counter()
    if within is not None:
        span = max((a.at for a in actions), default=0.0) or 1.0
        began = time.monotonic()
        for action in actions:
            if stop.wait(max(0.0, began + action.at / span * within - time.monotonic())):
                break
            _play(state, action, done)
        return dict(done)
    for action in actions:
        target = start + action.at
        if speed:
            if stop.wait(max(0.0, target - state.clock.now()) / speed):
                break
        elif stop.is_set():
            break
        state.clock.advance_to(target)
        state.tick()
        _play(state, action, done)
    return dict(done)


def _play(state: "SandboxState", action: Action, done: Counter[str]) -> None:
    if action.kind == "add":
        state.contacts.add_prospect(action.userid, state=action.state, half=action.half,
                                    external_userid=action.external_userid)
    elif not state.contacts.is_friend(action.userid, action.external_userid):
        done["skipped"] += 1
        return
    elif action.kind == "message":
        state.contacts.record_message(action.external_userid, action.userid, action.text)
    else:
        state.contacts.delete_follow(action.external_userid, action.userid)
    done[action.kind] += 1
