"""The `scrm` command line."""
from __future__ import annotations

import sys

import click

from app.cli.content import content
from app.cli.metrics import metrics
from app.cli.secrets import secrets
from app.cli.users import users
from app.settings import Settings


@click.group()
def main() -> None:
    """WeCom private-domain SCRM bot."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the web app (development server; production runs gunicorn on wsgi:app)."""
    from app.store.db import upgrade
    from app.web.factory import create_app

    settings = Settings()
    app = create_app(settings)
    if settings.uses_sqlite:
        upgrade(app.extensions["scrm"].engine)
    app.run(host=host, port=port, threaded=True)


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from app.store.db import make_engine, upgrade

    engine = make_engine(Settings().database_url)
    upgrade(engine, revision)
    click.echo(f"database at {engine.url.render_as_string(hide_password=True)} is at {revision}")


@main.command()
@click.option("--queues", "-q", multiple=True, help="Queues to listen on (default: all, fast ones first).")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Run an rq worker over Redis (needs REDIS_URL)."""
    from jobs.worker import run_worker

    settings = Settings()
    if not settings.redis_url:
        click.echo("REDIS_URL is not set: jobs run in-process inside `scrm serve`; no worker needed.", err=True)
        sys.exit(2)
    run_worker(settings, queues or None, burst=burst)


@main.command()
def scheduler() -> None:
    """Run the scheduler: one leader (Redis lock) plans schedule slots and enqueues their jobs (needs REDIS_URL)."""
    from jobs.schedule.scheduler import run_scheduler

    settings = Settings()
    if not settings.redis_url:
        click.echo("REDIS_URL is not set: the scheduler needs Redis for its leader lock and the rq queues.", err=True)
        sys.exit(2)
    run_scheduler(settings)


@main.command()
@click.option("--once", is_flag=True, help="Run the scenario, print a summary and exit.")
@click.option("--port", default=8000, show_default=True, type=int)
def demo(once: bool, port: int) -> None:
    """Run the whole system on embedded defaults against the bundled WeCom sandbox."""
    from demo.run import run_demo

    sys.exit(run_demo(once=once, port=port))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """Run the WeCom sandbox in the foreground (`scrm sandbox --port 8900 --callback-url URL`)."""
    from sandbox.server import main as sandbox_main

    sandbox_main(ctx.args)


@main.group()
def sync() -> None:
    """Repair our copy of WeCom's data."""


@sync.command("contacts")
def sync_contacts() -> None:
    """Reconcile contacts and relations with WeCom (batch/get_by_user) and repair what missed callbacks left."""
    from contextlib import ExitStack

    from app.services import install
    from app.wiring import build_services
    from jobs.periodic.reconcile import reconcile_contacts

    services = install(build_services(Settings()))
    with ExitStack() as stack:
        stack.callback(services.close)
        bars: list = []

        def progress(done: int, total: int) -> None:
            if not bars:
                bars.append(stack.enter_context(click.progressbar(length=total, label="follow users", file=sys.stderr)))
            bars[0].update(done - bars[0].pos)

        report = reconcile_contacts(services, progress)
    for line in report.lines():
        click.echo(line)


@main.group()
def channels() -> None:
    """Acquisition channels (WeCom contact ways)."""


@channels.command("sync")
def channels_sync() -> None:
    """Create a contact way for every channel in channels.yaml that has none; print each QR code URL."""
    from app.wiring import build_services
    from jobs.periodic.channels import sync_channels

    services = build_services(Settings())
    try:
        synced = sync_channels(services)
    finally:
        services.close()
    for channel in synced:
        status = "created" if channel.created else "already synced"
        click.echo(f"{channel.state}\t{channel.name}\t{status}\t{channel.qr_code or '-'}")
        if channel.note:
            click.echo(f"  note: {channel.note}", err=True)


main.add_command(content)
main.add_command(secrets)
main.add_command(metrics)
main.add_command(users)


@main.group()
def report() -> None:
    """Reports over our own tables."""


@report.command("staff")
@click.option("--days", default=7, show_default=True, type=click.IntRange(min=1), help="How many days back.")
def report_staff(days: int) -> None:
    """Show how promptly each staff member confirmed mass-send and Moments tasks."""
    from datetime import timedelta

    from app.store.models import utcnow
    from app.wiring import build_services
    from jobs.nurture.confirmation import confirmation_report, report_lines

    services = build_services(Settings())
    try:
        until = utcnow()
        with services.sessions() as session:
            rows = confirmation_report(session, until - timedelta(days=days), until)
    finally:
        services.close()
    for line in report_lines(rows):
        click.echo(line)


@main.command()
def classify() -> None:
    """Classify JSON lines `{"text": ...}` from stdin into buying intents, one JSON line out per line in."""
    import json

    from bots.intents import classify as classify_text
    from bots.intents import load_intents

    model = load_intents()
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8-sig"))
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError('expected a JSON object with a string "text"')
            record["text"].encode("utf-8")
        except UnicodeEncodeError:
            click.echo(json.dumps({"error": '"text" holds an unpaired surrogate escape; it is not valid Unicode',
                                   "line": number}))
            continue
        except RecursionError:
            click.echo(json.dumps({"error": "JSON nested too deeply", "line": number}))
            continue
        except ValueError as exc:
            click.echo(json.dumps({"error": str(exc), "line": number}, ensure_ascii=False))
            continue
        text = record["text"]
        decision = classify_text(text, model)
        click.echo(json.dumps({"text": text, "hot": decision.hot, "intent": decision.intent,
                               "score": decision.score, "reasons": list(decision.reasons)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
