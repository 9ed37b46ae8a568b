"""Problems in content files, and the line-aware YAML reading that finds them all at once."""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_SLUG = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class ContentProblem:
    """One problem in one content file: where it is and what is wrong."""

    path: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        """Render as `path:row: field: message`, leaving out the row when unknown."""
        place = self.path if self.row is None else f"{self.path}:{self.row}"
        return f"{place}: {self.field}: {self.message}"


class ContentError(ValueError):
    """All problems found in one or more content files; nothing is loaded when raised."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        """Keep every problem and list them all in the message."""
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in content:\n{lines}")


def read_text(path: str | Path) -> str:
    """Read a UTF-8 content file (a leading BOM is fine); raise ContentError if unreadable."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ContentError([ContentProblem(name, None, "file", f"cannot read: {exc.strerror or exc}")]) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise ContentError([ContentProblem(name, line, "file", message)]) from exc


class Map(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int = 0
    lines: dict[str, int]
    duplicates: list[tuple[str, int]]

    def line_of(self, key: str) -> int:
        """Return the line of `key`, or of the mapping itself when the key is absent."""
        return self.lines.get(key, self.line)


class Seq(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int = 0
    lines: list[int]


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reporting a value it cannot build (2024-13-45, `!!int x`) as a YAML error at its line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Build one node; turn a plain exception from a constructor into a ConstructorError with the node's line."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            shown = f" {node.value!r}" if isinstance(node, yaml.ScalarNode) else ""
            raise yaml.constructor.ConstructorError(None, None, f"cannot read the value{shown[:80]} ({exc})",
                                                    node.start_mark) from exc


class _LineLoader(SafeLoader):
    """Safe YAML loader whose mappings and sequences remember their source lines."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Map:
    """Build a Map, keeping keys as written: YAML 1.1 would read the key `on` as True."""
    loader.flatten_mapping(node)
    result = Map()
    result.line, result.lines, result.duplicates = node.start_mark.line + 1, {}, []
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = key_node.value
        else:
            key = str(loader.construct_object(key_node, deep=True))
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicates.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> Seq:
    """Build a Seq that knows each item's line."""
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.lines = node.start_mark.line + 1, [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def parse_yaml(path: str | Path, text: str, loader: type[SafeLoader] = _LineLoader) -> Any:
    """Parse one YAML document with a safe loader; raise ContentError with the line for anything unreadable."""
    name = str(path)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        raise ContentError([ContentProblem(name, line, "file", f"YAML syntax: {message}")]) from exc
    except yaml.YAMLError as exc:
        raise ContentError([ContentProblem(name, None, "file", f"YAML syntax: {exc}")]) from exc
    except RecursionError as exc:
        raise ContentError([ContentProblem(name, None, "file", "YAML syntax: nested too deeply")]) from exc


def load_yaml(path: str | Path, text: str) -> Map:
    """Parse one YAML document that must be a mapping; raise ContentError with the line if not."""
    name = str(path)
    data = parse_yaml(path, text)
    if not isinstance(data, Map):
        raise ContentError([ContentProblem(name, 1, "file", "expected a mapping of settings at the top")])
    return data


def _suggest(value: str, options: Iterable[str]) -> str:
    """Say what was expected, naming the closest option when there is one."""
    options = list(options)
    close = difflib.get_close_matches(value, options, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"expected one of: {', '.join(options)}"


class Checker:
    """Collect problems while reading a parsed content file field by field."""

    def __init__(self, path: str) -> None:
        """Start with no problems for the file at `path`."""
        self.path = path
        self.problems: list[ContentProblem] = []

    def add(self, line: int | None, field: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(ContentProblem(self.path, line, field, message))

    def keys(self, data: Map, where: str, allowed: Sequence[str], required: Sequence[str] = ()) -> None:
        """Report unknown, repeated and missing keys of a mapping."""
        prefix = f"{where}." if where else ""
        for key in data:
            if key not in allowed:
                self.add(data.line_of(key), f"{prefix}{key or '(empty key)'}", f"unknown key; {_suggest(key, allowed)}")
        for key, line in data.duplicates:
            self.add(line, f"{prefix}{key}", "key appears twice in the same block")
        for key in required:
            if key not in data:
                self.add(data.line, f"{prefix}{key}", "missing")

    def member(self, value: str, options: Iterable[str], line: int, field: str, what: str) -> bool:
        """Report a value that is not one of the options; return whether it is."""
        options = list(options)
        if value in options:
            return True
        self.add(line, field, f"unknown {what} '{value}'; {_suggest(value, options)}")
        return False

    def text(self, data: Map, key: str, field: str, limit: int | None = None, slug: bool = False) -> str | None:
        """Return a non-empty string field, or None (reporting it) when absent or malformed."""
        value = data.get(key)
        if key not in data:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(data.line_of(key), field, f"expected text, got {value!r}")
            return None
        if slug and not _SLUG.match(value):
            self.add(data.line_of(key), field, f"'{value}' must be lowercase ascii letters, digits and _")
            return None
        if limit is not None and len(value) > limit:
            self.add(data.line_of(key), field, f"'{value}' is {len(value)} characters; WeCom allows {limit}")
            return None
        return value

    def number(self, data: Map, key: str, field: str, minimum: float, integer: bool = False,
               strict: bool = False) -> Any:
        """Return a number at or above `minimum` (above it when strict), or None when absent or bad."""
        if key not in data:
            return None
        value = data[key]
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.add(data.line_of(key), field, f"expected {'a whole number' if integer else 'a number'}, got {value!r}")
            return None
        if value < minimum or (strict and value == minimum):
            self.add(data.line_of(key), field, f"must be {'above' if strict else 'at least'} {minimum}, got {value}")
            return None
        return value

    def flag(self, data: Map, key: str, field: str) -> bool:
        """Return a true/false field, False when absent or malformed."""
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.add(data.line_of(key), field, f"expected true or false, got {value!r}")
            return False
        return value

    def items(self, data: Map, key: str, where: str = "") -> list[tuple[int, Map]]:
        """Return (1-based position, mapping) for each mapping in a list field, reporting the rest."""
        field = f"{where}{key}"
        if key not in data:
            return []
        value = data[key]
        if not isinstance(value, Seq) or not value:
            self.add(data.line_of(key), field, "expected a non-empty list of `- key: value` blocks")
            return []
        found = []
        for n, (item, line) in enumerate(zip(value, value.lines, strict=True), start=1):
            if isinstance(item, Map):
                found.append((n, item))
            else:
                self.add(line, f"{field}[{n}]", f"expected a block of `key: value` lines, got {item!r}")
        return found

    def labels(self, data: Map, key: str) -> dict[str, str]:
        """Return a mapping of slug keys to non-empty labels, reporting bad entries."""
        value = data.get(key)
        if key not in data:
            return {}
        if not isinstance(value, Map) or not value:
            self.add(data.line_of(key), key, "expected `key: label` lines")
            return {}
        self.keys(value, key, list(value))
        found = {}
        for name in value:
            label = self.text(value, name, f"{key}.{name}")
            if not _SLUG.match(name):
                self.add(value.line_of(name), f"{key}.{name}", "keys must be lowercase ascii letters, digits and _")
            elif label is not None:
                found[name] = label
        return found

    def choices(self, data: Map, key: str, field: str, options: Iterable[str]) -> tuple[str, ...]:
        """Return a field holding one option or a list of options; () when absent or bad."""
        if key not in data:
            return ()
        value = data[key]
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            self.add(data.line_of(key), field, f"expected a name or a list of names, got {value!r}")
            return ()
        options = list(options)
        good = [self.member(v, options, data.line_of(key), field, key.rstrip("s").replace("_", " ")) for v in values]
        return tuple(values) if all(good) else ()

    def unique(self, pairs: Iterable[tuple[Any, int]], field: str) -> None:
        """Report values that appear more than once, naming where each first appeared."""
        seen: dict[Any, int] = {}
        for value, line in pairs:
            if value in seen:
                self.add(line, field, f"duplicate '{value}' (first on line {seen[value]})")
            else:
                seen[value] = line
