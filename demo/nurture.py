"""The nurture half of `scrm demo`: load the 30-day sequence, plan a simulated morning, let staff confirm, read
results."""
from __future__ import annotations

from datetime import datetime, timedelta

import click
from sqlalchemy import func, select

from app.services import Services
from app.store.content_versions import store_version
from app.store.models import ContentVersion, Delivery, OutboxAction
from content.calendars import DEFAULT_CALENDAR
from jobs.nurture.preview import preview, render
from jobs.nurture.results import poll_results
from jobs.nurture.sends import calendar_for, plan_nurture
from jobs.planner import SHANGHAI


def run_nurture(services: Services, sandbox, settle) -> bool:
    """Plan the first two simulated days of nurture against the sandbox and print what happened; return success."""
    state = sandbox.state
    day0 = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    with services.sessions() as session:
        version = store_version(session, [DEFAULT_CALENDAR], "demo", now=day0)
        session.commit()
        calendar = calendar_for(services, session.get(ContentVersion, version.id))
        lines = render(preview(session, services, calendar, version.id, 2, day0))
    click.echo(f"\ncontent version {version.id} loaded (30-day SaaS nurture); preview of the first 2 days:")
    for line in lines:
        click.echo(line)
    planned = 0
    for when in (day0 + timedelta(minutes=30), day0 + timedelta(days=1, hours=2, minutes=30)):
        state.clock.advance_to(when.timestamp())
        report = plan_nurture(services, when)
        planned += report.tasks
        settle()
        click.echo(f"{when:%m-%d %H:%M} (simulated) nurture tick: {report.tasks} WeCom tasks for {report.recipients} "
                   f"recipients; deferred {dict(report.deferred) or 0}, dropped {dict(report.dropped) or 0}")
    state.advance(3600)
    polled = poll_results(services, datetime.fromtimestamp(state.clock.now(), SHANGHAI))
    with services.sessions() as session:
        deliveries = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        failed = session.scalar(select(func.count()).select_from(OutboxAction).where(OutboxAction.status == "failed"))
    click.echo(f"staff confirmed in WeCom (sandbox) and results were polled: {polled.confirmed} tasks confirmed; "
               f"1:1 deliveries by status {deliveries}")
    click.echo(f"sandbox: {len(state.campaigns.mass_tasks)} mass-send tasks, "
               f"{len(state.moments.moment_tasks)} Moments tasks; violations {state.core.violation_total()}")
    return planned > 0 and not failed and state.core.violation_total() == 0

