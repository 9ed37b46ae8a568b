"""The confirmation report counts tasks per staff member from what polling, reminders and escalation recorded."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from app.cli.root import main
from jobs.nurture.confirmation import StaffConfirmation, confirmation_report, report_lines
from jobs.nurture.reminders import escalate_unconfirmed, remind_unconfirmed
from jobs.nurture.results import poll_results
from jobs.planner.model import SHANGHAI
from tests.sandbox_tasks import STAFF, mass_task, moment_task, prospects

START = datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)
pytestmark = pytest.mark.world(staff=STAFF, sync_staff=True)


@pytest.mark.world(staff=STAFF, sync_staff=True, start_at=START)
def test_report_counts_tasks_confirmations_reminders_and_escalations(world):
    start = START
    quick, late = prospects(world, "zhangsan", 1), prospects(world, "zhangsan", 2)
    _, quick_msg = mass_task(world, "zhangsan", quick, start)
    mass_task(world, "zhangsan", late, start)
    _, jobid = moment_task(world, ["lisi", "wangwu"], start)
    world.state.advance(30 * 60)
    world.state.campaigns.confirm_mass_task(quick_msg, "zhangsan")
    world.state.moments.confirm_moment_task(jobid, "lisi")
    polled = start + timedelta(minutes=45)
    poll_results(world.services, polled)
    assert remind_unconfirmed(world.services, start + timedelta(hours=2)) == 1
    assert escalate_unconfirmed(world.services, start + timedelta(hours=6)) == 2

    with world.services.sessions() as session:
        rows = confirmation_report(session, start - timedelta(days=1), start + timedelta(days=1))
        empty = confirmation_report(session, start + timedelta(days=1), start + timedelta(days=2))

    by_user = {row.userid: row for row in rows}
    assert list(by_user) == ["lisi", "wangwu", "zhangsan"]
    zhang = by_user["zhangsan"]
    assert (zhang.name, zhang.tasks, zhang.confirmed, zhang.rate, zhang.reminders, zhang.escalations) == (
        "张三", 2, 1, 0.5, 1, 1)
    assert abs(zhang.median_minutes_to_confirm - 30) <= 1            # WeCom's send time, not the poll time
    assert by_user["lisi"] == StaffConfirmation("lisi", "李四", 1, 1, 1.0, 45.0, 0, 0)
    assert by_user["wangwu"] == StaffConfirmation("wangwu", "王五", 1, 0, 0.0, None, 0, 1)
    assert empty == []
    lines = report_lines(rows)
    assert len(lines) == 4
    assert "张三" in lines[3]
    assert "50%" in lines[3]


def test_cli_prints_the_staff_report(world, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", world.services.settings.database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    (contact,) = prospects(world, "sunqi", 1)
    mass_task(world, "sunqi", [contact], datetime.now(timezone.utc))  # the report covers the last 7 days of now
    result = CliRunner().invoke(main, ["report", "staff", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "孙七" in result.output
    assert "0%" in result.output
