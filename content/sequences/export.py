"""Write the spreadsheet copies (.csv and .xlsx beside it) of a YAML calendar.

Run from the project root after editing the YAML:  python -m content.sequences.export content/sequences/FILE.yaml
"""
from __future__ import annotations

import csv
import sys
from datetime import time
from pathlib import Path

from content.calendar import Attachment, Audience, Calendar, MomentPost, Sequence, Step
from content.calendar_table import ATTACHMENT_PARTS, STEP_COLUMNS
from content.calendars import load_calendar

NOTE = ("# 每行一个步骤。sequence 有值、step_id 为空的一行是序列本身（名称、退出条件、入组人群）；"
        "列表用 | 或 、 分隔；附件格式 link|标题|链接|描述、image|图片链接、video|media_id、file|media_id。"
        "以 # 开头的行是备注，不会被读取。本表由同名 YAML 生成：python -m content.sequences.export")
TIME_COLUMNS = ("at", "until")


def columns(calendar: Calendar) -> list[str]:
    """Return the header: the standard columns, plus starts_on, cycle_days and on when the calendar uses them."""
    extra = [name for name, used in (
        ("starts_on", any(s.starts_on for s in calendar.sequences)),
        ("cycle_days", any(s.cycle_days != Sequence.cycle_days for s in calendar.sequences)),
        ("on", bool(calendar.moments))) if used]
    return ["sequence", "sequence_name", *extra, *STEP_COLUMNS[2:], *(f"attachment_{n}" for n in range(1, 10))]


def rows(calendar: Calendar) -> list[list[str]]:
    """Return the header, a note row and one row per sequence, step and dated Moments post."""
    header = columns(calendar)
    found = [header, [NOTE]]
    for sequence in calendar.sequences:
        found.append(_row(header, sequence=sequence.key, sequence_name=sequence.name,
                          starts_on=sequence.starts_on.isoformat() if sequence.starts_on else "",
                          cycle_days=str(sequence.cycle_days), exits="|".join(sequence.exits),
                          **_audience(sequence.enroll)))
        found += [_step_row(header, sequence.key, step) for step in sequence.steps]
    found += [_moment_row(header, post) for post in calendar.moments]
    return found


def _row(header: list[str], attachments: tuple[Attachment, ...] = (), /, **values: str) -> list[str]:
    """Lay values out in header order, attachments in attachment_1 … attachment_9."""
    values.update({f"attachment_{n}": _attachment(a) for n, a in enumerate(attachments, start=1)})
    return [values.get(name, "") for name in header]


def _audience(audience: Audience) -> dict[str, str]:
    """Render an audience's columns; lead statuses are left empty when they are the default, `*` for any."""
    statuses = "" if audience.lead_statuses == Audience.lead_statuses else "|".join(audience.lead_statuses) or "*"
    return {"stages": "|".join(audience.stages), "tags": "|".join(audience.tags),
            "channels": "|".join(audience.channels), "lead_statuses": statuses,
            "min_score": "" if audience.min_score is None else f"{audience.min_score:g}",
            "max_score": "" if audience.max_score is None else f"{audience.max_score:g}"}


def _step_row(header: list[str], key: str, step: Step) -> list[str]:
    """Render one step."""
    timing = step.timing
    return _row(header, step.attachments, sequence=key, step_id=step.id, touchpoint=step.touchpoint,
                day=str(timing.day), at=f"{timing.at:%H:%M}", until=f"{timing.until:%H:%M}" if timing.until else "",
                milestone=timing.milestone or "", executor=step.executor, exits="|".join(step.exits), text=step.text,
                **_audience(step.audience))


def _moment_row(header: list[str], post: MomentPost) -> list[str]:
    """Render one dated Moments post."""
    return _row(header, post.attachments, on=post.on.isoformat(), step_id=post.id, touchpoint="moment",
                at=f"{post.at:%H:%M}", text=post.text, stages="|".join(post.audience.stages),
                tags="|".join(post.audience.tags), executor="|".join(post.executors))


def _attachment(attachment: Attachment) -> str:
    """Render an attachment cell such as `link|title|url|desc`."""
    names = ATTACHMENT_PARTS[attachment.kind]
    if attachment.kind == "image" and "pic_url" not in attachment.fields:
        names = ("media_id",)
    parts = [attachment.kind, *(attachment.fields.get(name, "") for name in names)]
    if any("|" in part for part in parts):
        raise ValueError(f"cannot write {attachment} in a spreadsheet cell: a field contains '|'")
    while parts[-1] == "":
        parts.pop()
    return "|".join(parts)


def write_csv(table: list[list[str]], path: Path) -> None:
    """Write UTF-8 CSV with a BOM so that Excel opens the Chinese text correctly."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(table)


def write_xlsx(table: list[list[str]], path: Path) -> None:
    """Write the first sheet of a workbook, with times as Excel times."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "calendar"
    header = table[0]
    for values in table:
        sheet.append([_clock(v) if header[n] in TIME_COLUMNS and values is not header else v or None
                      for n, v in enumerate(values)])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, time):
                cell.number_format = "hh:mm"
    sheet.freeze_panes = "A2"
    sheet.column_dimensions[sheet.cell(1, header.index("text") + 1).column_letter].width = 80
    book.save(path)


def _clock(value: str) -> time | str | None:
    """Turn "HH:MM" into a time, leaving anything else as it is."""
    if not value:
        return None
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes)) if hours.isdigit() and minutes.isdigit() else value


def main(argv: list[str]) -> int:
    """Export each YAML file named on the command line; print where the copies went."""
    for name in argv:
        source = Path(name)
        table = rows(load_calendar([source]))
        write_csv(table, source.with_suffix(".csv"))
        write_xlsx(table, source.with_suffix(".xlsx"))
        print(f"{source} -> {source.with_suffix('.csv')}, {source.with_suffix('.xlsx')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [str(Path(__file__).with_name("saas_nurture_30d.yaml"))]))
