"""A console world: the sandbox and our services with contacts of two teams and a real hot lead, console users,
and the app served over real HTTP (werkzeug in a thread) for browsers and requests."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select
from werkzeug.serving import make_server

from app.store.models import Contact, LeadAlert
from app.web.console.users import create_user, issue_token
from app.web.factory import create_app
from jobs.periodic.reconcile import reconcile_contacts
from jobs.pipeline.archive_pull import pull_archive
from tests.world import World, start_world, stop_world

PASSWORD = "console-test-pass"
QUESTION = "你们这个系统一年多少钱？能发个报价单吗"
USERS = {"admin": ("admin", None), "marketer": ("marketer", None), "zhangsan": ("sales", "zhangsan"),
         "wangwu": ("sales", "wangwu"), "lijingli": ("sales", "manager_li")}


@dataclass
class ConsoleWorld:
    """The world, the ids the tests look at and the HTTP server serving the app."""

    world: World
    base_url: str
    hot_lead: int
    quiet: int
    other_team: int
    other_alert: int
    alert: int
    tokens: dict[str, str] = field(default_factory=dict)
    server: object = None

    @property
    def services(self):
        """Our services."""
        return self.world.services


def start_console_world(database_url: str, redis_url: str, redis) -> ConsoleWorld:
    """Contacts of zhangsan (华东) and wangwu (华南) through the sandbox, each team with a hot lead; then serve."""
    world = start_world(database_url, redis_url, redis)
    hot, quiet = (world.state.contacts.add_prospect("zhangsan", state="webinar_0302", emit=False)["external_userid"]
                  for _ in range(2))
    other = world.state.contacts.add_prospect("wangwu", state="webinar_0302", emit=False)["external_userid"]
    reconcile_contacts(world.services)
    world.drain()
    for ext, owner in ((hot, "zhangsan"), (other, "wangwu")):
        world.state.contacts.record_message(ext, owner, QUESTION)
    pull_archive(world.services)
    world.drain()
    tokens = {}
    with world.services.sessions() as session:
        ids = dict(session.execute(select(Contact.external_userid, Contact.id)).all())
        alerts = dict(session.execute(select(LeadAlert.contact_id, LeadAlert.id)).all())
        assert {ids[hot], ids[other]} <= set(alerts), "the price questions raised no hot-lead alert"
        for username, (role, userid) in USERS.items():
            user = create_user(session, username, role, password=PASSWORD, wecom_userid=userid)
            tokens[username] = issue_token(session, user, "tests")
        session.commit()
    app = create_app(services=world.services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="console-http", daemon=True).start()
    return ConsoleWorld(world, f"http://127.0.0.1:{server.server_port}", ids[hot], ids[quiet], ids[other],
                        alerts[ids[other]], alerts[ids[hot]], tokens, server)


def stop_console_world(built: ConsoleWorld) -> None:
    """Stop the HTTP server, the sandbox and the services."""
    built.server.shutdown()
    built.server.server_close()
    stop_world(built.world)
