"""Fuzzing the content loaders: arbitrary or mutated files give ContentError naming file, row and field, never
another exception, and a calendar that fails to load stores nothing."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from app.store.content_versions import store_version
from app.store.db import make_engine, upgrade
from app.store.models import ContentVersion
from bots.intents import DEFAULT_INTENTS, load_intents
from content.calendars import DEFAULT_CALENDAR, load_calendar
from content.channels import DEFAULT_CHANNELS, load_channels
from content.errors import ContentError
from content.journey import DEFAULT_JOURNEY, load_journey
from content.scoring import DEFAULT_SCORING, load_scoring
from content.staff import DEFAULT_STAFF, load_staff
from tests.fuzzing import FUZZ

JOURNEY = load_journey()
CHANNELS = load_channels(DEFAULT_CHANNELS, {stage.key for stage in JOURNEY.stages})
STAGES = {stage.key for stage in JOURNEY.stages}
CSV_CALENDAR = DEFAULT_CALENDAR.with_suffix(".csv")
XLSX_CALENDAR = DEFAULT_CALENDAR.with_suffix(".xlsx")
YAML_LOADERS = {
    "journey": (DEFAULT_JOURNEY, load_journey),
    "channels": (DEFAULT_CHANNELS, lambda path: load_channels(path, STAGES)),
    "staff": (DEFAULT_STAFF, load_staff),
    "scoring": (DEFAULT_SCORING, lambda path: load_scoring(path, JOURNEY)),
    "intents": (DEFAULT_INTENTS, lambda path: load_intents(path, JOURNEY.intents)),
    "calendar": (DEFAULT_CALENDAR, lambda path: load_calendar([path], journey=JOURNEY, channels=CHANNELS)),
}
NASTY_SCALARS = ("2024-13-45", "2024-02-30", "!!int x", "!!float y", "!!timestamp z", "!!binary ###", "[", "{",
                 "]", "}", "*anchor", "&a [*a]", "<<: 1", "? [1]", "~", "null", "yes", "no", "on", "1e400",
                 "-0", "0x1F", "99:99", "25:00", "10:30", "\"\\ud800\"", "'", "\"", "|", ">", "- x", "@", "%YAML 2",
                 "---", "...", "!!set {a}", "!!omap [a]", "!!python/object:os.system x", "中文", "\t", "")
SLOW = settings(FUZZ, max_examples=max(8, FUZZ.max_examples // 4))


def assert_loads_or_explains(loader, path: Path, rows: int | None = None) -> None:
    """The loader returns, or raises ContentError whose every problem names the file, a field and a sane row."""
    try:
        loader(path)
    except ContentError as exc:
        problems = exc.problems
    else:
        return
    assert problems
    for problem in problems:
        assert problem.path == str(path), problem
        assert isinstance(problem.field, str), problem
        assert problem.field, problem
        assert problem.message, problem
        assert problem.row is None or (isinstance(problem.row, int) and problem.row >= 1), problem
        if rows is not None and problem.row is not None:
            assert problem.row <= rows + 1, problem


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


yaml_scalars = st.one_of(st.sampled_from(NASTY_SCALARS), st.text(max_size=30), st.integers().map(str),
                         st.floats().map(str), st.dates().map(str), st.times().map(lambda t: t.strftime("%H:%M")))


@st.composite
def mutated_lines(draw, text: str) -> str:
    """The file's lines with one to four edits: values replaced, lines dropped, doubled, moved or re-indented."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(("value", "value", "value", "drop", "double", "move", "indent", "insert")))
        if op == "value" and ":" in lines[n]:
            head, _, _ = lines[n].partition(":")
            lines[n] = f"{head}: {draw(yaml_scalars)}"
        elif op == "value" and lines[n].lstrip().startswith("- "):
            lines[n] = lines[n][: len(lines[n]) - len(lines[n].lstrip())] + f"- {draw(yaml_scalars)}"
        elif op == "drop":
            del lines[n]
        elif op == "double":
            lines.insert(n, lines[n])
        elif op == "move":
            lines.insert(draw(st.integers(0, len(lines))), lines.pop(n))
        elif op == "indent":
            lines[n] = " " * draw(st.integers(0, 6)) + lines[n].lstrip()
        else:
            lines.insert(n, draw(st.text(max_size=40)))
        if not lines:
            break
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", sorted(YAML_LOADERS))
@FUZZ
@given(text=st.one_of(st.text(max_size=400), st.binary(max_size=400).map(lambda b: b.decode("latin-1"))))
@example(text="a: 2024-13-45\n")
@example(text="[" * 3000 + "]" * 3000)
@example(text="a: !!int x\n")
@example(text="a: &x [*x, *x]\nb: [*a]\n")
def test_arbitrary_yaml_text_loads_or_is_explained(tmp_path, name, text):
    _, loader = YAML_LOADERS[name]
    assert_loads_or_explains(loader, write(tmp_path, f"{name}.yaml", text))


@pytest.mark.parametrize("name", sorted(YAML_LOADERS))
@FUZZ
@given(data=st.data())
def test_mutated_content_file_loads_or_is_explained(tmp_path, name, data):
    source, loader = YAML_LOADERS[name]
    text = data.draw(mutated_lines(source.read_text(encoding="utf-8")))
    assert_loads_or_explains(loader, write(tmp_path, f"{name}.yaml", text), rows=text.count("\n"))


@FUZZ
@given(text=st.text(max_size=400))
def test_arbitrary_csv_text_loads_or_is_explained(tmp_path, text):
    path = write(tmp_path, "calendar.csv", text)
    assert_loads_or_explains(lambda p: load_calendar([p], journey=JOURNEY, channels=CHANNELS), path)


cell_values = st.one_of(yaml_scalars, st.sampled_from(("private", "moment", "welcome", "owner", "stage:x", "*",
                                                        "link|a|b", "image|x", "video", "a|b|c|d|e|f")))


@st.composite
def mutated_rows(draw) -> list[list[str]]:
    """The showcase CSV's rows with cells replaced, rows dropped or doubled, and columns dropped."""
    rows = list(csv.reader(io.StringIO(CSV_CALENDAR.read_text(encoding="utf-8-sig"))))
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(("cell", "cell", "cell", "drop_row", "double_row", "drop_column", "header")))
        r = draw(st.integers(0, len(rows) - 1))
        if op == "cell" and rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(cell_values)
        elif op == "drop_row" and len(rows) > 1:
            del rows[r]
        elif op == "double_row":
            rows.insert(r, list(rows[r]))
        elif op == "drop_column" and rows[0]:
            column = draw(st.integers(0, len(rows[0]) - 1))
            rows = [row[:column] + row[column + 1:] for row in rows]
        elif op == "header" and rows[0]:
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(st.text(max_size=12))
    return rows


@FUZZ
@given(rows=mutated_rows())
def test_mutated_csv_calendar_loads_or_is_explained(tmp_path, rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = write(tmp_path, "calendar.csv", out.getvalue())
    assert_loads_or_explains(lambda p: load_calendar([p], journey=JOURNEY, channels=CHANNELS), path,
                             rows=out.getvalue().count("\n"))


excel_values = st.one_of(cell_values, st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                         st.booleans(), st.none(), st.dates(min_value=date(1900, 1, 1)),
                         st.datetimes(min_value=datetime(1900, 1, 1)), st.times().map(lambda t: t.replace(tzinfo=None)),
                         st.just("=1+1"), st.just(time(10, 30)))


@SLOW
@given(edits=st.lists(st.tuples(st.integers(1, 60), st.integers(1, 30), excel_values), min_size=1, max_size=6),
       merge=st.booleans())
def test_edited_excel_calendar_loads_or_is_explained(tmp_path, edits, merge):
    book = load_workbook(XLSX_CALENDAR)
    sheet = book.worksheets[0]
    for row, column, value in edits:
        sheet.cell(row=row, column=column,
                   value=ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
    if merge:
        sheet.merge_cells(start_row=edits[0][0], start_column=edits[0][1], end_row=edits[0][0] + 1,
                          end_column=edits[0][1])
    path = tmp_path / "calendar.xlsx"
    book.save(path)
    assert_loads_or_explains(lambda p: load_calendar([p], journey=JOURNEY, channels=CHANNELS), path,
                             rows=sheet.max_row)


@SLOW
@given(data=st.data())
def test_corrupted_excel_file_loads_or_is_explained(tmp_path, data):
    raw = bytearray(XLSX_CALENDAR.read_bytes())
    op = data.draw(st.sampled_from(("flip", "truncate", "member")))
    if op == "member":
        with zipfile.ZipFile(io.BytesIO(bytes(raw))) as source:
            names = source.namelist()
            victim = data.draw(st.sampled_from(names))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as target:
                for member in names:
                    content = source.read(member)
                    if member == victim:
                        content = data.draw(st.one_of(st.binary(max_size=200), st.just(content[: len(content) // 2])))
                    target.writestr(member, content)
        raw = bytearray(out.getvalue())
    else:
        at = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        else:
            del raw[at:]
    path = tmp_path / "calendar.xlsx"
    path.write_bytes(bytes(raw))
    assert_loads_or_explains(lambda p: load_calendar([p], journey=JOURNEY, channels=CHANNELS), path)


@pytest.fixture(scope="module")
def versions_db(tmp_path_factory):
    """A migrated SQLite database holding one good content version."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'scrm.db'}")
    upgrade(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        store_version(session, [DEFAULT_CALENDAR], "fuzz", journey=JOURNEY, channels=CHANNELS)
        session.commit()
    yield engine
    engine.dispose()


@FUZZ
@given(data=st.data())
def test_a_calendar_that_fails_to_load_stores_nothing(versions_db, tmp_path, data):
    from sqlalchemy.orm import Session

    text = data.draw(mutated_lines(DEFAULT_CALENDAR.read_text(encoding="utf-8")))
    path = write(tmp_path, "nurture.yaml", text)
    with Session(versions_db) as session:
        before = session.execute(select(func.count(), func.max(ContentVersion.id))).one()
        active = session.scalars(select(ContentVersion.id).where(ContentVersion.active)).all()
        try:
            store_version(session, [path], "fuzz", journey=JOURNEY, channels=CHANNELS)
        except ContentError:
            session.rollback()
            assert session.execute(select(func.count(), func.max(ContentVersion.id))).one() == before
            assert session.scalars(select(ContentVersion.id).where(ContentVersion.active)).all() == active
        else:
            session.rollback()
