"""Read a calendar from a CSV file or the first sheet of an .xlsx workbook (one row per step) into raw cells.

Row 1 names the columns. A row with a `sequence` and an empty `step_id` is that sequence's own row: its
sequence_name, starts_on, cycle_days, exits and audience columns (stages, tags, channels, lead_statuses,
min_score, max_score) describe the sequence and who enrolls. Every other row with a `sequence` is one step.
A row without a `sequence` is a dated Moments post (`on`, `step_id` as its id, `executor` listing the staff).
Lists are separated by `|` or `、`; `*` in lead_statuses means any status. An attachment cell is
`link|title|url|desc|picurl`, `image|pic_url or media_id`, `miniprogram|title|appid|page|pic_media_id`,
`video|media_id` or `file|media_id`. Blank rows and rows starting with `#` are skipped.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from content.calendar_checks import Cell, Raw
from content.errors import Checker, ContentError, ContentProblem, _suggest, read_text

STEP_COLUMNS = ("sequence", "sequence_name", "step_id", "touchpoint", "day", "at", "until", "milestone", "stages",
                "tags", "channels", "lead_statuses", "min_score", "max_score", "executor", "exits", "text")
EXTRA_COLUMNS = ("starts_on", "cycle_days", "on")
REQUIRED_COLUMNS = ("sequence", "step_id", "touchpoint", "day", "at", "text")
LIST_COLUMNS = ("stages", "tags", "channels", "lead_statuses", "exits", "executor")
AUDIENCE_COLUMNS = ("stages", "tags", "channels", "lead_statuses", "min_score", "max_score")
SEQUENCE_ROW = ("sequence", "sequence_name", "starts_on", "cycle_days", "exits", *AUDIENCE_COLUMNS)
MOMENT_ROW = ("on", "step_id", "touchpoint", "at", "text", "stages", "tags", "executor")
STEP_ROW = tuple(name for name in STEP_COLUMNS if name != "sequence_name")
ATTACHMENT_PARTS = {"link": ("title", "url", "desc", "picurl"), "image": ("pic_url",),
                    "miniprogram": ("title", "appid", "page", "pic_media_id"), "video": ("media_id",),
                    "file": ("media_id",)}
ATTACHMENT_COLUMN = re.compile(r"attachment_([1-9]\d*)\Z")
KEYS = {"sequence": "key", "sequence_name": "name", "step_id": "id"}
Rows = list[tuple[int, list[str]]]


def read_csv(path: str, check: Checker) -> tuple[list[Raw], list[Raw]]:
    """Return the raw sequences and dated Moments posts of a UTF-8 CSV file."""
    text = read_text(path)
    if not text.strip():
        raise ContentError([ContentProblem(path, None, "file", "the file is empty")])
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(enumerate(reader, start=1))
    except csv.Error as exc:
        raise ContentError([ContentProblem(path, reader.line_num or None, "file", f"CSV syntax: {exc}")]) from exc
    return _read_rows(check, rows)


def read_xlsx(path: str, check: Checker) -> tuple[list[Raw], list[Raw]]:
    """Return the raw sequences and dated Moments posts of the first sheet of an .xlsx workbook."""
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path).worksheets[0]
    except Exception as exc:  # noqa: BLE001 - a damaged zip or sheet XML fails deep inside openpyxl, zlib or expat
        raise ContentError([ContentProblem(path, None, "file", f"not a readable .xlsx workbook ({exc})")]) from exc
    rows = [(n, [_text(cell.value) for cell in row]) for n, row in enumerate(sheet.iter_rows(min_row=1), start=1)]
    header = [name.strip().lower() for name in rows[0][1]] if rows else []
    for merged in sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        check.add(merged.min_row, _column(header, merged.min_col),
                  f"merged cells {merged.coord}; unmerge them and repeat the value in every row")
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                check.add(cell.row, _column(header, cell.column),
                          f"formula in {cell.coordinate}; type the value itself (formulas are not read)")
    if check.problems:
        raise ContentError(check.problems)
    if not any(any(values) for _, values in rows):
        raise ContentError([ContentProblem(path, None, "file", "the first sheet is empty")])
    return _read_rows(check, rows)


def _column(header: list[str], n: int) -> str:
    """Name the nth column (1-based) by its header, or by its number when it has none."""
    return header[n - 1] if n <= len(header) and header[n - 1] else f"column {n}"


def _text(value: Any) -> str:
    """Render one Excel cell as the text a CSV would hold (times as HH:MM, dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.date() <= date(1900, 1, 1):
            value = value.time()
        else:
            return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, time):
        return f"{value:%H:%M}" if not value.second else f"{value:%H:%M:%S}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_rows(check: Checker, rows: Rows) -> tuple[list[Raw], list[Raw]]:
    """Check the header row, then turn every other row into a sequence, a step or a dated Moments post."""
    header = [name.strip().lower() for name in rows[0][1]]
    known = STEP_COLUMNS + EXTRA_COLUMNS
    if not any(name in known for name in header):
        raise ContentError([ContentProblem(check.path, 1, "header", "no header row: row 1 must name the columns "
                                           f"({', '.join(STEP_COLUMNS)}, attachment_1 …)")])
    for n, name in enumerate(header, start=1):
        if name and name not in known and not ATTACHMENT_COLUMN.match(name):
            check.add(1, name, f"unknown column '{name}'; {_suggest(name, known)}")
        elif name and name in header[: n - 1]:
            check.add(1, name, "column appears twice in the header")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        check.add(1, "header", f"missing columns: {', '.join(missing)}")
    sequences: dict[str, Raw] = {}
    steps: dict[str, list[Raw]] = {}
    moments: list[Raw] = []
    for line, values in rows[1:]:
        cells = {name: value.strip() for name, value in zip(header, values, strict=False) if value.strip()}
        if not cells or next(iter(cells.values())).startswith("#"):
            continue
        for n, value in enumerate(values, start=1):
            if value.strip() and (n > len(header) or not header[n - 1]):
                check.add(line, f"column {n}", "value in a column with no header name")
        cells.pop("", None)
        key = cells.get("sequence")
        if key and "step_id" not in cells:
            if key in sequences:
                check.add(line, "sequence", f"second row for sequence '{key}' (its row is {sequences[key].line})")
            else:
                sequences[key] = _raw(check, line, cells, SEQUENCE_ROW, "a sequence's own row (empty step_id)",
                                      {"key": "sequence", "name": "sequence_name", "steps": "step_id"})
        elif key:
            steps.setdefault(key, []).append(_raw(check, line, cells, STEP_ROW, "a step row",
                                                  {"id": "step_id", "attachments": "attachment_1"}))
        elif "on" in cells:
            moment = _raw(check, line, cells, MOMENT_ROW, "a dated Moments post",
                          {"id": "step_id", "executors": "executor", "attachments": "attachment_1"})
            if "executor" in moment.cells:
                moment.cells["executors"] = moment.cells.pop("executor")
            touchpoint = moment.cells.pop("touchpoint", None)
            if touchpoint is not None and touchpoint.value != "moment":
                check.add(line, "touchpoint", "a row without a sequence is a dated Moments post: touchpoint moment")
            moments.append(moment)
        else:
            check.add(line, "sequence", "missing: give the sequence key, or `on` for a dated Moments post")
    for key, found in steps.items():
        if key not in sequences:
            check.add(found[0].line, "sequence", f"sequence '{key}' has no row of its own: add a row with sequence "
                      f"{key}, its sequence_name and an empty step_id")
            sequences[key] = Raw(found[0].line, {"key": Cell(key, found[0].line, "sequence"),
                                                 "name": Cell(key, found[0].line, "sequence_name")})
        sequences[key].steps = found
    return list(sequences.values()), moments


def _raw(check: Checker, line: int, cells: dict[str, str], allowed: tuple[str, ...], what: str,
         names: dict[str, str]) -> Raw:
    """Turn one row's non-empty cells into raw cells, reporting columns this kind of row does not take."""
    raw = Raw(line, names=names)
    attachments = []
    for name, value in cells.items():
        number = ATTACHMENT_COLUMN.match(name)
        if number and "attachments" in names:
            attachments.append((int(number[1]), _attachment(check, line, name, value)))
        elif name not in allowed or number:
            check.add(line, name, f"{what} does not take {name}")
        else:
            parsed: Any = value
            if name in LIST_COLUMNS:
                parsed = [] if value == "*" else [v.strip() for v in re.split(r"[|、]", value) if v.strip()]
            raw.cells[KEYS.get(name, name)] = Cell(parsed, line, name)
    if attachments:
        items = [cell for _, cell in sorted(attachments, key=lambda pair: pair[0]) if cell is not None]
        raw.cells["attachments"] = Cell(items, line, "attachment_1")
    return raw


def _attachment(check: Checker, line: int, column: str, value: str) -> Cell | None:
    """Parse an attachment cell such as `link|title|url|desc` into `{kind: {fields}}`."""
    kind, *parts = [part.strip() for part in value.split("|")]
    kind = kind.lower()
    names = ATTACHMENT_PARTS.get(kind, ())
    if kind == "image" and parts and not parts[0].startswith(("https://", "http://")):
        names = ("media_id",)
    if kind in ATTACHMENT_PARTS and len(parts) > len(names):
        shape = "|".join((kind, *ATTACHMENT_PARTS[kind]))
        check.add(line, column, f"{len(parts)} parts after '{kind}'; write {shape}")
        return None
    return Cell({kind: dict(zip(names, parts, strict=False))}, line, column)
