"""Every kind of calendar mistake, in every format, is reported with its file, row and field, all at once."""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from content.calendars import DEFAULT_CALENDAR
from content.errors import ContentProblem
from tests.fixtures.calendars.small import (
    HEADER,
    SMALL_YAML,
    line_of,
    only,
    problems,
    table,
    write_csv,
    write_xlsx,
    write_yaml,
)

FIXTURES = Path(__file__).parent / "fixtures" / "calendars"
LINK = "link|案例|https://example.com/x"


@pytest.mark.parametrize(
    ("changes", "row", "field", "words"),
    [
        ({(4, "at"): "25:00"}, 4, "at", "expected HH:MM, got '25:00'"),
        ({(4, "until"): "10:00"}, 4, "until", "until 10:00 is not after at 10:30"),
        ({(4, "day"): "400"}, 4, "day", "from 0 to 365, got '400'"),
        ({(4, "day"): "-1"}, 4, "day", "from 0 to 365, got '-1'"),
        ({(4, "day"): "two"}, 4, "day", "whole number"),
        ({(3, "day"): "1"}, 3, "day", "welcome step is sent when the contact is added: day must be 0"),
        ({(4, "touchpoint"): "privat"}, 4, "touchpoint", "unknown touchpoint 'privat'; did you mean 'private'?"),
        ({(2, "stages"): "need_arise"}, 2, "stages", "unknown stage 'need_arise'; did you mean 'need_arises'?"),
        ({(4, "stages"): "选择产品"}, 4, "stages", "unknown stage '选择产品'"),
        ({(4, "milestone"): "stage:onbording"}, 4, "milestone", "did you mean 'onboarding'?"),
        ({(4, "milestone"): "replied"}, 4, "milestone", "expected stage:<key>, got 'replied'"),
        ({(2, "exits"): "opted_out|stage:nowhere"}, 2, "exits", "unknown stage 'nowhere' in 'stage:nowhere'"),
        ({(4, "exits"): "unsubscribed"}, 4, "exits", "unknown exit kind 'unsubscribed'"),
        ({(2, "channels"): "webinar_0303"}, 2, "channels", "unknown channel state 'webinar_0303'; did you mean"),
        ({(4, "lead_statuses"): "hot"}, 4, "lead_statuses", "unknown lead status 'hot'"),
        ({(4, "min_score"): "60"}, 4, "min_score", "min_score 60 is above max_score 50"),
        ({(4, "max_score"): "lots"}, 4, "max_score", "expected a number, got 'lots'"),
        ({(4, "executor"): "zhang san"}, 4, "executor", "is not a staff userid"),
        ({(4, "executor"): "zhangsan|lisi"}, 4, "executor", "a step has one executor"),
        ({(5, "text"): "", (5, "attachment_1"): "", (5, "attachment_2"): ""}, 5, "text", "no text and no attachments"),
        ({(4, "text"): "长" * 4001}, 4, "text", "4001 characters; WeCom allows at most 4000 in a 1:1 message"),
        ({(5, "text"): "长" * 2001}, 5, "text", "2001 characters; WeCom allows at most 2000 in a Moments post"),
        ({(3, "text"): "您好 {nmae}"}, 3, "text", "unknown placeholder {nmae}; did you mean 'name'?"),
        ({(3, "text"): "您好 {name"}, 3, "text", "bad placeholder"),
        ({(5, "step_id"): "case"}, 5, "step_id", "duplicate step id 'case'"),
        ({(5, "attachment_2"): LINK}, 5, "attachment_2", "link after images: Moments take up to 9 images"),
        ({(5, "attachment_1"): LINK, (5, "attachment_2"): LINK}, 5, "attachment_2", "link after a link"),
        ({(5, "attachment_1"): "file|MEDIA2", (5, "attachment_2"): ""}, 5, "attachment_1", "not a file"),
        ({(3, "attachment_1"): "link|案例"}, 3, "attachment_1", "a link needs a url"),
        ({(3, "attachment_1"): "link||https://example.com"}, 3, "attachment_1", "a link needs a title"),
        ({(3, "attachment_1"): "link|案例|example.com"}, 3, "attachment_1", "url must start with https://"),
        ({(3, "attachment_1"): "pdf|x"}, 3, "attachment_1", "unknown attachment kind 'pdf'"),
        ({(3, "attachment_1"): "video|a|b"}, 3, "attachment_1", "2 parts after 'video'; write video|media_id"),
        ({(6, "on"): "2026-02-30"}, 6, "on", "expected a date YYYY-MM-DD"),
        ({(6, "on"): "", (6, "sequence"): ""}, 6, "sequence", "give the sequence key, or `on`"),
        ({(6, "day"): "3"}, 6, "day", "a dated Moments post does not take day"),
        ({(3, "sequence_name"): "x"}, 3, "sequence_name", "a step row does not take sequence_name"),
        ({(2, "text"): "x"}, 2, "text", "a sequence's own row (empty step_id) does not take text"),
        ({(2, "sequence"): "Trial"}, 3, "sequence", "sequence 'trial' has no row of its own"),
    ],
)
def test_each_csv_mistake_names_file_row_and_field(tmp_path: Path, changes: dict, row: int, field: str,
                                                   words: str) -> None:
    path = write_csv(tmp_path / "calendar.csv", table(changes))
    found = [p for p in problems(path) if (p.row, p.field) == (row, field)]
    assert found, [str(p) for p in problems(path)]
    assert found[0].path == str(path)
    assert words in found[0].message


def test_unknown_column_is_a_typo_with_a_suggestion(tmp_path: Path) -> None:
    header = [name if name != "stages" else "satges" for name in HEADER]
    path = write_csv(tmp_path / "calendar.csv", table(header=header))
    found = problems(path)
    assert (found[0].row, found[0].field) == (1, "satges")
    assert "did you mean 'stages'?" in found[0].message


def test_missing_columns_are_named(tmp_path: Path) -> None:
    rows = [[v for name, v in zip(HEADER, row, strict=True) if name not in ("at", "text")] for row in table()]
    found = problems(write_csv(tmp_path / "calendar.csv", rows))
    assert (found[0].row, found[0].field, found[0].message) == (1, "header", "missing columns: at, text")


@pytest.mark.parametrize("name", ["calendar.csv", "calendar.yaml"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("\n", encoding="utf-8")
    assert only(path) == ContentProblem(str(path), None, "file", "the file is empty")


def test_csv_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "calendar.csv", table())
    path.write_bytes(path.read_bytes().replace("早安".encode(), "早安".encode("gbk")))
    problem = only(path)
    assert (problem.path, problem.row, problem.field) == (str(path), 5, "file")
    assert "not valid UTF-8" in problem.message


def test_yaml_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, SMALL_YAML.encode().replace("早安".encode(), "早安".encode("gbk")))
    problem = only(path)
    assert (problem.row, problem.field) == (line_of(SMALL_YAML, "早安"), "file")


@pytest.mark.parametrize(
    ("old", "new", "marker", "field", "words"),
    [
        ('at: 10:30', 'at: "25:00"', '"25:00"', "sequences[1].steps[2].at", "expected HH:MM, got '25:00'"),
        ("touchpoint: private", "touchpont: private", "touchpont", "sequences[1].steps[2].touchpont",
         "did you mean 'touchpoint'?"),
        ("      stages: [need_arises]", "      stages: [need_arise]", "need_arise", "sequences[1].enroll.stages",
         "did you mean 'need_arises'?"),
        ("sequences:", "sequence:", "sequence:", "sequence", "did you mean 'sequences'?"),
        ("    text: 新版本上线\n    attachments:\n      - link: {title: 发布会, url: \"https://example.com/launch\"}\n",
         "", "- id: launch", "moments[1].text", "no text and no attachments"),
        ("      - link: {title: 发布会, url: \"https://example.com/launch\"}",
         "      - link: {title: 发布会, url: \"https://example.com/launch\"}\n      - video: {media_id: V1}",
         "media_id: V1", "moments[1].attachments[2]", "video after a link"),
        ("      - id: feed", "      - id: case", "id: case", "sequences[1].steps[3].id", "duplicate step id 'case'"),
        ("          - link: {title: 案例,", "          - link: {tittle: 案例,", "tittle",
         "sequences[1].steps[1].attachments[1]", "unknown link field 'tittle'; did you mean 'title'?"),
        ("    on: 2026-03-02", "    on: 2026-3-2", "on: 2026-3-2", "moments[1].on", "expected a date YYYY-MM-DD"),
        ("    executors: [zhangsan, lisi]", "    executors: [zhangsan, 李四]", "李四", "moments[1].executors",
         "'李四' is not a staff userid"),
    ],
)
def test_each_yaml_mistake_names_file_line_and_field(tmp_path: Path, old: str, new: str, marker: str, field: str,
                                                     words: str) -> None:
    assert old in SMALL_YAML
    text = SMALL_YAML.replace(old, new, 1)
    path = write_yaml(tmp_path, text)
    found = [p for p in problems(path) if p.field == field]
    assert found, [str(p) for p in problems(path)]
    assert (found[0].path, found[0].row) == (str(path), line_of(text, marker))
    assert words in found[0].message


def test_ten_attachments(tmp_path: Path) -> None:
    ten = "".join(f"          - image: {{pic_url: \"https://example.com/{n}.jpg\"}}\n" for n in range(10))
    text = SMALL_YAML.replace("          - image: {pic_url: \"https://example.com/a.jpg\"}\n"
                              "          - image: {media_id: MEDIA1}\n", ten)
    problem = only(write_yaml(tmp_path, text))
    assert (problem.row, problem.field) == (line_of(text, "/9.jpg"), "sequences[1].steps[3].attachments[10]")
    assert problem.message == "10 attachments; WeCom allows at most 9"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = SMALL_YAML.replace("exits: [replied]", "exits: [replied")
    problem = only(write_yaml(tmp_path, text))
    assert problem.field == "file"
    assert problem.message.startswith("YAML syntax")
    assert line_of(text, "exits: [replied") <= problem.row <= line_of(text, "text: 分享一个案例")


def test_duplicate_sequence_key_across_files(tmp_path: Path) -> None:
    first = write_yaml(tmp_path, SMALL_YAML.split("moments:")[0])
    second = write_csv(tmp_path / "again.csv", table())
    found = problems(first, second)
    assert len(found) == 1, [str(p) for p in found]
    problem = found[0]
    assert (problem.path, problem.row, problem.field) == (str(second), 2, "sequence")
    assert problem.message == f"duplicate sequence key 'trial' (first at {first}:2)"


def test_five_different_errors_are_all_reported(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "calendar.csv", table({
        (4, "at"): "25:00", (2, "stages"): "need_arise", (3, "text"): "您好 {nmae}",
        (5, "text"): "", (5, "attachment_1"): "", (5, "attachment_2"): "", (6, "attachment_1"): "link|发布会"}))
    found = [(p.path, p.row, p.field) for p in problems(path)]
    assert found == [(str(path), 2, "stages"), (str(path), 3, "text"), (str(path), 4, "at"),
                     (str(path), 5, "text"), (str(path), 6, "attachment_1")]


def test_the_committed_five_error_fixture_reports_five(tmp_path: Path) -> None:
    found = problems(FIXTURES / "five_errors.csv")
    assert [(p.row, p.field) for p in found] == [(3, "day"), (3, "at"), (4, "stages"), (5, "text"), (6, "attachment_1")]


def test_nothing_is_returned_when_any_file_is_bad(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", table({(4, "at"): "25:00"}))
    found = problems(DEFAULT_CALENDAR, bad)
    assert [(p.path, p.row, p.field) for p in found] == [(str(bad), 4, "at")]


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "calendar.txt"
    path.write_text("x", encoding="utf-8")
    assert only(path).message.startswith("unsupported file type '.txt'")


def test_excel_merged_cells_are_rejected_by_range(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "merged.xlsx", table())
    book = load_workbook(path)
    book.active.merge_cells("A3:A5")
    book.save(path)
    problem = only(path)
    assert (problem.path, problem.row, problem.field) == (str(path), 3, "sequence")
    assert "merged cells A3:A5" in problem.message


def test_excel_formulas_are_rejected_by_cell(tmp_path: Path) -> None:
    rows = table({(4, "day"): "=1+1"})
    path = write_xlsx(tmp_path / "formula.xlsx", rows)
    problem = only(path)
    column = chr(ord("A") + HEADER.index("day"))
    assert (problem.row, problem.field) == (4, "day")
    assert f"formula in {column}4" in problem.message


def test_excel_without_a_header_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "noheader.xlsx", table()[1:])
    problem = only(path)
    assert (problem.row, problem.field) == (1, "header")
    assert problem.message.startswith("no header row")


def test_excel_empty_sheet_and_broken_file(tmp_path: Path) -> None:
    empty = write_xlsx(tmp_path / "empty.xlsx", [])
    assert only(empty).message == "the first sheet is empty"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert only(broken).message.startswith("not a readable .xlsx workbook")


def test_excel_bad_time_is_reported_at_its_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "time.xlsx", table({(4, "at"): "25:00"}))
    problem = only(path)
    assert (problem.path, problem.row, problem.field, problem.message) == (
        str(path), 4, "at", "expected HH:MM, got '25:00'")
