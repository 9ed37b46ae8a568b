"""`scrm content …`: validate, load, diff and preview content calendars."""
from __future__ import annotations

import getpass
import sys

import click
from sqlalchemy import select

from app.settings import Settings


@click.group()
def content() -> None:
    """Content calendars (YAML, CSV, Excel)."""


def _services():
    from app.store.db import upgrade
    from app.wiring import build_services

    services = build_services(Settings())
    if services.settings.uses_sqlite:
        upgrade(services.engine)
    return services


@content.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check calendar files; report every problem with file, row and field; exit 1 if any."""
    from content.calendars import load_calendar
    from content.errors import ContentError

    try:
        calendar = load_calendar(list(files))
    except ContentError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(err.problems)} problem(s); nothing loaded", err=True)
        sys.exit(1)
    steps = sum(len(seq.steps) for seq in calendar.sequences)
    click.echo(f"ok: {len(calendar.sequences)} sequence(s), {steps} step(s), {len(calendar.moments)} dated post(s)")


@content.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "loaded_by", default=None, help="Who loads it (default: the current user).")
def load(files: tuple[str, ...], loaded_by: str | None) -> None:
    """Validate, then store the files as a new active version (enrolled contacts keep their place)."""
    from app.store.content_versions import store_version
    from content.errors import ContentError

    services = _services()
    try:
        with services.sessions() as session:
            stored = store_version(session, list(files), loaded_by or getpass.getuser(),
                                   journey=services.content.journey, channels=services.content.channels())
            session.commit()
    except ContentError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(err.problems)} problem(s); nothing loaded", err=True)
        sys.exit(1)
    finally:
        services.close()
    state = "stored" if stored.created else "unchanged (same files as an earlier version)"
    click.echo(f"version {stored.id} {state}; active; sha256 {stored.content_hash[:12]}")


@content.command()
@click.option("--from", "old_id", type=int, default=None, help="Older version (default: the one before --to).")
@click.option("--to", "new_id", type=int, default=None, help="Newer version (default: the active one).")
def diff(old_id: int | None, new_id: int | None) -> None:
    """Show what changed between two content versions."""
    from app.store.content_versions import active_version, calendar_of
    from app.store.content_versions import diff as calendar_diff
    from app.store.models import ContentVersion

    services = _services()
    with services.sessions() as session:
        new = session.get(ContentVersion, new_id) if new_id else active_version(session)
        if new is None:
            click.echo("no content version loaded yet", err=True)
            sys.exit(1)
        old = session.get(ContentVersion, old_id) if old_id else session.execute(
            select(ContentVersion).where(ContentVersion.id < new.id).order_by(ContentVersion.id.desc())
        ).scalars().first()
        if old is None:
            click.echo(f"version {new.id} is the first version")
            return
        lines = calendar_diff(calendar_of(old), calendar_of(new))
    services.close()
    click.echo(f"version {old.id} -> {new.id}: {len(lines)} change(s)")
    for line in lines:
        click.echo(line)


@content.command()
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 60))
@click.option("--contact", "contact_id", type=int, default=None, help="Only what this contact would receive.")
def preview(days: int, contact_id: int | None) -> None:
    """Print what would go out, to whom, when and by whom, and what the limits push back or drop, and why."""
    from app.store.content_versions import active_version
    from app.store.models import utcnow
    from jobs.nurture.preview import preview as run_preview
    from jobs.nurture.preview import render
    from jobs.nurture.sends import calendar_for

    services = _services()
    with services.sessions() as session:
        version = active_version(session)
        if version is None:
            click.echo("no content version loaded yet: run `scrm content load FILE`", err=True)
            sys.exit(1)
        result = run_preview(session, services, calendar_for(services, version), version.id, days, utcnow(), contact_id)
    services.close()
    for line in render(result):
        click.echo(line)
