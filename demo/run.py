"""`scrm demo`: the whole system on embedded defaults against the bundled WeCom sandbox."""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import click
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.services import Services
from app.settings import Settings
from app.store.db import upgrade
from app.store.models import InboxEvent, OutboxAction
from app.web.factory import create_app
from app.wiring import build_services
from demo.console_account import ensure_demo_admin
from demo.nurture import run_nurture
from demo.ports import free_port
from demo.report import report_inquiries, report_journey
from sandbox import SandboxConfig, SandboxServer
from sandbox.scenario import DEFAULT_SCENARIO, load_scenario, run_scenario

SETTLE_SECONDS = 60.0
PLAY_SECONDS = 10.0
QUIET_SECONDS = 2.5


def verify_callback_url(callback_url: str, settings: Settings) -> bool:
    """Do what WeCom does when an admin saves the callback URL: GET it with an encrypted echostr."""
    from app.wecom.crypto import CallbackCrypto, signature

    crypto = CallbackCrypto(settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id)
    plain = f"demo-{int(time.time())}"
    echostr = crypto.encrypt(plain.encode())
    ts, nonce = str(int(time.time())), "demo"
    query = urlencode({"msg_signature": signature(crypto.token, ts, nonce, echostr), "timestamp": ts, "nonce": nonce,
                       "echostr": echostr})
    response = requests.get(f"{callback_url}?{query}", timeout=5)
    return response.status_code == 200 and response.text == plain


def wait_quiet(sandbox: SandboxServer, quiet: float, timeout: float) -> None:
    """Wait until the sandbox has sent no callback for `quiet` seconds (message notifications trail the scenario)."""
    pause, deadline = threading.Event(), time.monotonic() + timeout
    seen, since = len(sandbox.state.core.callbacks_sent), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        pause.wait(0.2)
        now_seen = len(sandbox.state.core.callbacks_sent)
        if now_seen != seen:
            seen, since = now_seen, time.monotonic()


def wait_settled(services: Services, model, since_id: int, deadline: float) -> dict[str, int]:
    """Wait until the inbox events or outbox actions of this run are finished; return counts by status."""
    pause = threading.Event()
    while True:
        with services.sessions() as session:
            rows = session.execute(
                select(model.status, func.count()).where(model.id > since_id).group_by(model.status)
            ).all()
        counts = {status: n for status, n in rows}
        if not ({"pending", "processing", "running"} & set(counts)) or time.monotonic() > deadline:
            return counts
        pause.wait(0.1)


def run_demo(once: bool, port: int, scenario_path: str | None = None) -> int:
    """Start the app and the sandbox, replay the default scenario through real callbacks, print what arrived."""
    port = port or free_port()
    callback_url = f"http://127.0.0.1:{port}/wecom/callback"
    base = Settings()
    if "LOG_LEVEL" not in os.environ:
        base = base.model_copy(update={"log_level": "WARNING"})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sandbox = SandboxServer.start(SandboxConfig(
        corp_id=base.wecom_corp_id, secrets=(base.wecom_secret,), callback_token=base.wecom_token,
        encoding_aes_key=base.wecom_aes_key, callback_url=callback_url, agent_id=base.wecom_agent_id,
        auto_confirm_rate=1.0, auto_confirm_delay=1800,
    ))
    keys = json.dumps({str(v): pem for v, pem in sandbox.state.archive.private_keys().items()})
    settings = base.model_copy(update={"wecom_api_base": sandbox.api_base, "archive_private_keys": keys})
    services = build_services(settings)
    upgrade(services.engine)
    app = create_app(services=services)
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="scrm-web", daemon=True).start()
    try:
        return _play(services, sandbox, callback_url, once, scenario_path)
    finally:
        sandbox.stop()
        server.shutdown()
        services.close()


def _play(services: Services, sandbox: SandboxServer, callback_url: str, once: bool, scenario_path: str | None) -> int:
    settings = services.settings
    click.echo(f"SCRM service  : {callback_url} (database {services.engine.url.render_as_string(hide_password=True)}, "
               f"queue {'redis' if services.redis else 'in-process'})")
    click.echo(f"WeCom sandbox : {sandbox.url} (corp {settings.wecom_corp_id})")
    verified = verify_callback_url(callback_url, settings)
    click.echo(f"callback URL verification (GET echostr): {'ok' if verified else 'FAILED'}")
    with services.sessions() as session:
        since_id = session.scalar(select(func.coalesce(func.max(InboxEvent.id), 0))) or 0
        since_action = session.scalar(select(func.coalesce(func.max(OutboxAction.id), 0))) or 0
    scenario = load_scenario(scenario_path or DEFAULT_SCENARIO)
    click.echo(f"scenario '{scenario.name}': {scenario.days} simulated days played in {PLAY_SECONDS:.0f} s ...")
    played = run_scenario(sandbox.state, scenario, within=PLAY_SECONDS)
    click.echo(f"actions: {played}")
    sandbox.state.core.wait_callbacks(played.get("add", 0) + played.get("leave", 0), timeout=SETTLE_SECONDS)
    wait_quiet(sandbox, QUIET_SECONDS, SETTLE_SECONDS)
    deadline = time.monotonic() + SETTLE_SECONDS
    statuses = wait_settled(services, InboxEvent, since_id, deadline)
    actions = wait_settled(services, OutboxAction, since_action, deadline)
    ok = _report(services, sandbox, since_id, statuses) and verified
    ok = report_journey(services, sandbox, since_action, actions) and ok
    ok = report_inquiries(services, sandbox) and ok
    ok = run_nurture(services, sandbox, lambda: wait_settled(services, OutboxAction, since_action,
                                                             time.monotonic() + SETTLE_SECONDS)) and ok
    username, password = ensure_demo_admin(services)
    click.echo(f"\nconsole: {callback_url.rsplit('/wecom/', 1)[0]}/console/  (user {username}, password {password})")
    if once:
        return 0 if ok else 1
    click.echo("\nServing; press Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopped")
    return 0


def _report(services: Services, sandbox: SandboxServer, since_id: int, statuses: dict[str, int]) -> bool:
    deliveries = sandbox.state.core.callbacks_sent
    delivered = [d for d in deliveries if d.status == "delivered"]
    attempts = Counter(d.attempts for d in deliveries)
    with services.sessions() as session:
        kinds = session.execute(
            select(InboxEvent.kind, InboxEvent.change_type, func.count())
            .where(InboxEvent.id > since_id).group_by(InboxEvent.kind, InboxEvent.change_type)
        ).all()
    click.echo(f"\ncallbacks sent by the sandbox: {len(deliveries)}, answered 200: {len(delivered)}, "
               f"attempts {dict(attempts)}")
    click.echo("events stored in the inbox (kind / change type: count):")
    for kind, change_type, count in sorted(kinds, key=lambda r: (r[0], r[1] or "")):
        click.echo(f"  {kind} / {change_type or '-'}: {count}")
    stored = sum(count for *_, count in kinds)
    click.echo(f"inbox: {stored} events, by status {statuses}")
    violations = sandbox.state.core.violation_total()
    click.echo(f"sandbox platform-rule violations: {violations} {sandbox.state.core.violations or ''}")
    return stored == len(delivered) == len(deliveries) and statuses.get("done", 0) == stored and violations == 0
