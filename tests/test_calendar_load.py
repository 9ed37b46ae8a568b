"""The shipped 30-day calendar loads alike from YAML, CSV and Excel; small calendars load as expected."""
from __future__ import annotations

import csv
import string
from collections import Counter
from dataclasses import replace
from datetime import time
from pathlib import Path

import pytest

from content.calendar import Calendar
from content.calendars import DEFAULT_CALENDAR, load_calendar
from content.sequences.export import rows as export_rows
from tests.fixtures.calendars.small import HEADER, SMALL_YAML, expected, table, write_csv, write_xlsx

SHIPPED = DEFAULT_CALENDAR.with_suffix("")


def strip(calendar: Calendar) -> Calendar:
    """Blank the `source` fields, which name the file and row each step came from."""
    return Calendar(tuple(replace(s, steps=tuple(replace(t, source="") for t in s.steps)) for s in calendar.sequences),
                    tuple(replace(m, source="") for m in calendar.moments))


@pytest.fixture(scope="module")
def shipped() -> Calendar:
    """The shipped 30-day calendar, loaded from its YAML."""
    return load_calendar([DEFAULT_CALENDAR])


def test_shipped_sequence_is_the_30_day_nurture(shipped: Calendar) -> None:
    (sequence,) = shipped.sequences
    assert (sequence.key, sequence.name) == ("saas_nurture_30d", "SaaS 线索 30 天培育")
    assert sequence.enroll.stages == ("need_arises", "deeper_understanding")
    assert sequence.exits == ("replied", "opted_out", "hot_lead", "lost", "stage:product_selection")
    assert sequence.starts_on is None
    assert sequence.cycle_days == 30
    assert shipped.moments == ()


def test_shipped_sequence_has_105_touches_on_schedule(shipped: Calendar) -> None:
    steps = shipped.sequences[0].steps
    private = [s for s in steps if s.touchpoint == "private"]
    moments = [s for s in steps if s.touchpoint == "moment"]
    assert (len(private), len(moments), len(steps)) == (15, 90, 105)
    assert [s.timing.day for s in private] == list(range(1, 30, 2))
    assert all(s.executor == "owner" and s.timing.until and s.timing.until > s.timing.at for s in private)
    assert Counter(s.timing.day for s in moments) == {day: 3 for day in range(30)}
    assert {s.timing.at for s in moments} == {time(8, 30), time(12, 30), time(20, 0)}
    assert len({s.id for s in steps}) == 105


def test_shipped_content_reads_like_wechat(shipped: Calendar) -> None:
    steps = shipped.sequences[0].steps
    private = [s for s in steps if s.touchpoint == "private"]
    assert all(80 <= len(s.text) <= 200 for s in private)
    assert all(len(s.text) <= 300 for s in steps if s.touchpoint == "moment")
    assert sum(1 for s in private if s.attachments) >= 12
    urls = [a.fields["url"] for s in steps for a in s.attachments if a.kind == "link"]
    assert urls
    assert all(url.startswith("https://example.com/") for url in urls)
    for path in ("/cases/", "/pricing", "/roi-calculator", "/demo"):
        assert any(path in url for url in urls), path
    named = [s.id for s in steps if any(n == "name" for _, n, _, _ in string.Formatter().parse(s.text))]
    assert len(named) <= 1, "{name} makes one task per contact: use it sparingly"


def test_yaml_csv_and_xlsx_load_to_equal_calendars(shipped: Calendar) -> None:
    from_csv = load_calendar([SHIPPED.with_suffix(".csv")])
    from_xlsx = load_calendar([SHIPPED.with_suffix(".xlsx")])
    assert strip(from_csv) == strip(shipped)
    assert strip(from_xlsx) == strip(shipped)
    assert from_csv.sequences[0].steps[0].source == f"{SHIPPED.with_suffix('.csv')}:4"


def test_committed_csv_is_what_export_writes(shipped: Calendar) -> None:
    with SHIPPED.with_suffix(".csv").open(encoding="utf-8-sig", newline="") as handle:
        committed = list(csv.reader(handle))
    assert committed == export_rows(shipped), "run: python -m content.sequences.export " + str(DEFAULT_CALENDAR)


def test_small_yaml_loads_to_the_expected_dataclasses(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_YAML, encoding="utf-8")
    calendar = load_calendar([path])
    assert strip(calendar) == expected()
    lines = SMALL_YAML.splitlines()
    assert calendar.sequences[0].steps[1].source == f"{path}:{lines.index('      - id: case') + 1}"
    assert calendar.moments[0].source == f"{path}:{lines.index('  - id: launch') + 1}"


def test_small_csv_loads_to_the_expected_dataclasses(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "small.csv", table())
    calendar = load_calendar([path])
    assert strip(calendar) == expected()
    assert [s.source for s in calendar.sequences[0].steps] == [f"{path}:{n}" for n in (3, 4, 5)]
    assert calendar.moments[0].source == f"{path}:6"


@pytest.mark.parametrize("times_as_objects", [True, False])
def test_small_xlsx_loads_with_times_as_excel_times_or_text(tmp_path: Path, times_as_objects: bool) -> None:
    path = write_xlsx(tmp_path / "small.xlsx", table(), times=times_as_objects)
    assert strip(load_calendar([path])) == expected()


def test_csv_accepts_bom_comments_blank_rows_and_any_column_order(tmp_path: Path) -> None:
    rows = table()
    order = list(reversed(range(len(HEADER))))
    shuffled = [[row[i] for i in order] for row in rows]
    shuffled[2:2] = [["# 备注：这一行不会被读取"], []]
    path = tmp_path / "small.csv"
    write_csv(path, shuffled)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert strip(load_calendar([path])) == expected()


def test_several_files_merge(tmp_path: Path, shipped: Calendar) -> None:
    small = write_csv(tmp_path / "small.csv", table())
    merged = load_calendar([DEFAULT_CALENDAR, small])
    assert [s.key for s in merged.sequences] == ["saas_nurture_30d", "trial"]
    assert [m.id for m in merged.moments] == ["launch"]
    assert merged.sequences[0] == shipped.sequences[0]
