"""Read a YAML calendar file into raw cells for the shared checks, reporting unknown keys with their lines."""
from __future__ import annotations

import re
from typing import Any

from content.calendar_checks import Cell, Raw
from content.errors import Checker, ContentError, ContentProblem, Map, Seq, _LineLoader, parse_yaml, read_text

TOP_KEYS = ("sequences", "moments")
SEQUENCE_KEYS = ("key", "name", "starts_on", "cycle_days", "enroll", "exits", "steps")
AUDIENCE_KEYS = ("stages", "tags", "channels", "lead_statuses", "min_score", "max_score")
STEP_KEYS = ("id", "touchpoint", "day", "at", "until", "milestone", "audience", "executor", "exits", "text",
             "attachments")
MOMENT_KEYS = ("id", "on", "at", "text", "attachments", "audience", "executors")
MOMENT_AUDIENCE_KEYS = ("stages", "tags")


class _CalendarLoader(_LineLoader):
    """The line-aware loader, keeping clock times such as 10:30 as text (YAML 1.1 reads them as 630)."""


_CLOCK_AS_TEXT = ("tag:yaml.org,2002:str", re.compile(r"^\d+:\d+$"))
_CalendarLoader.yaml_implicit_resolvers = {
    first: ([_CLOCK_AS_TEXT] if isinstance(first, str) and first.isdigit() else []) + list(resolvers)
    for first, resolvers in _LineLoader.yaml_implicit_resolvers.items()}


def read_yaml(path: str, check: Checker) -> tuple[list[Raw], list[Raw]]:
    """Return the raw sequences and dated Moments posts of a YAML file; raise ContentError if it is unreadable."""
    data = _parse(path, read_text(path))
    check.keys(data, "", TOP_KEYS)
    if not any(key in data for key in TOP_KEYS):
        check.add(data.line, "file", "expected `sequences:` and/or `moments:` at the top")
    sequences = [_sequence(check, item, f"sequences[{n}]") for n, item in check.items(data, "sequences", "")]
    moments = [_moment(check, item, f"moments[{n}]") for n, item in check.items(data, "moments", "")]
    return sequences, moments


def _parse(path: str, text: str) -> Map:
    """Parse one YAML document that must be a mapping; raise ContentError with the line if not."""
    if not text.strip():
        raise ContentError([ContentProblem(path, None, "file", "the file is empty")])
    data = parse_yaml(path, text, _CalendarLoader)
    if not isinstance(data, Map):
        raise ContentError([ContentProblem(path, 1, "file", "expected `sequences:` and/or `moments:` at the top")])
    return data


def _cells(raw: Raw, data: Map, keys: tuple[str, ...], where: str) -> None:
    """Copy the given keys of a mapping into raw cells, each with its line and field."""
    for key in keys:
        if key in data:
            raw.cells[key] = Cell(data[key], data.line_of(key), f"{where}.{key}")


def _block(check: Checker, raw: Raw, data: Map, key: str, where: str, allowed: tuple[str, ...]) -> None:
    """Copy a nested block (enroll, audience) into raw cells, reporting unknown keys."""
    if key not in data:
        return
    value = data[key]
    if not isinstance(value, Map):
        check.add(data.line_of(key), f"{where}.{key}", f"expected `{allowed[0]}: …` lines, got {value!r}")
        return
    check.keys(value, f"{where}.{key}", allowed)
    _cells(raw, value, allowed, f"{where}.{key}")


def _attachments(check: Checker, raw: Raw, data: Map, where: str) -> None:
    """Copy the attachment list into raw cells, one cell per attachment."""
    if "attachments" not in data:
        return
    value: Any = data["attachments"]
    if not isinstance(value, Seq):
        check.add(data.line_of("attachments"), f"{where}.attachments", f"expected a list, got {value!r}")
        return
    items = [Cell(item, line, f"{where}.attachments[{n}]")
             for n, (item, line) in enumerate(zip(value, value.lines, strict=True), start=1)]
    raw.cells["attachments"] = Cell(items, data.line_of("attachments"), f"{where}.attachments")


def _sequence(check: Checker, item: Map, where: str) -> Raw:
    """Return one sequence block and its steps as raw cells."""
    check.keys(item, where, SEQUENCE_KEYS)
    raw = Raw(item.line, prefix=f"{where}.")
    _cells(raw, item, ("key", "name", "starts_on", "cycle_days", "exits"), where)
    _block(check, raw, item, "enroll", where, AUDIENCE_KEYS)
    raw.steps = [_step(check, step, f"{where}.steps[{n}]") for n, step in check.items(item, "steps", f"{where}.")]
    return raw


def _step(check: Checker, item: Map, where: str) -> Raw:
    """Return one step block as raw cells."""
    check.keys(item, where, STEP_KEYS)
    raw = Raw(item.line, prefix=f"{where}.")
    _cells(raw, item, ("id", "touchpoint", "day", "at", "until", "milestone", "executor", "exits", "text"), where)
    _block(check, raw, item, "audience", where, AUDIENCE_KEYS)
    _attachments(check, raw, item, where)
    return raw


def _moment(check: Checker, item: Map, where: str) -> Raw:
    """Return one dated Moments post block as raw cells."""
    check.keys(item, where, MOMENT_KEYS)
    raw = Raw(item.line, prefix=f"{where}.")
    _cells(raw, item, ("id", "on", "at", "text", "executors"), where)
    _block(check, raw, item, "audience", where, MOMENT_AUDIENCE_KEYS)
    _attachments(check, raw, item, where)
    return raw
