"""A small world for integration tests: the sandbox, our services on a real database and Redis, a test client."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from redis import Redis
from rq import Queue, SimpleWorker

from app.services import Services
from app.web.factory import create_app
from app.wiring import build_services
from jobs.periodic.reconcile import reconcile_contacts
from jobs.periodic.staff_sync import sync_staff as sync_staff_directory
from jobs.pipeline.archive_pull import pull_archive
from jobs.queues import QUEUE_NAMES
from sandbox import SandboxConfig, SandboxServer
from sandbox.callbacks import event_xml
from tests.callbacks import post_event
from tests.settings import make_settings


@dataclass
class World:
    """The sandbox and our service, wired together; callbacks are posted by the test, not the sandbox."""

    sandbox: SandboxServer
    services: Services
    client: object
    redis: Redis

    @property
    def state(self):
        """The sandbox's simulated corp."""
        return self.sandbox.state

    def pin(self, moment: datetime) -> datetime:
        """Put the sandbox clock at `moment` (the instant the test passes to our jobs as `now`) and return it."""
        self.state.clock.set(moment.timestamp())
        return moment

    def post(self, fields: dict) -> None:
        """POST one change_external_contact event to our callback endpoint, encrypted and signed."""
        config = self.state.config
        xml = event_xml({"ToUserName": config.corp_id, "FromUserName": "sys", "MsgType": "event",
                         "Event": "change_external_contact", **fields})
        assert post_event(self.client, self.services.crypto, xml).status_code == 200

    def known_prospects(self, n: int, owner: str = "zhangsan", channel: str = "webinar_0302") -> list[str]:
        """Add `n` prospects to `owner` in the sandbox and bring them in through reconciliation; return their ids."""
        exts = [self.state.contacts.add_prospect(owner, state=channel, emit=False)["external_userid"] for _ in range(n)]
        reconcile_contacts(self.services)
        self.drain()
        return exts

    def say(self, ext: str, text: str, owner: str = "zhangsan") -> None:
        """The prospect writes to `owner`; pull the session archive and run everything it triggers."""
        self.state.contacts.record_message(ext, owner, text)
        pull_archive(self.services)
        self.drain()

    def drain(self) -> None:
        """Run every queued job (events, then the actions they record) with a real rq worker until idle."""
        queues = [Queue(name, connection=self.redis) for name in QUEUE_NAMES]
        SimpleWorker(queues, connection=self.redis).work(burst=True)


def start_world(database_url: str, redis_url: str, redis: Redis, *, sync_staff: bool = False,
                start_at: datetime | None = None, **config) -> World:
    """Start a sandbox (its settings from `config`; its clock at `start_at` when given) and services pointing at it.

    The services can read the sandbox's session archive (its private keys are set); `sync_staff` loads the staff
    directory from the sandbox before the test starts.
    """
    sandbox_config = SandboxConfig(**config)
    if start_at is not None:
        sandbox_config = replace(sandbox_config, start_at=start_at.timestamp())
    sandbox = SandboxServer.start(sandbox_config)
    cfg = sandbox.state.config
    keys = json.dumps({str(v): pem for v, pem in sandbox.state.archive.private_keys().items()})
    settings = make_settings(database_url, redis_url, wecom_corp_id=cfg.corp_id, wecom_token=cfg.callback_token,
                             wecom_aes_key=cfg.encoding_aes_key, wecom_secret=cfg.secrets[0],
                             wecom_api_base=sandbox.api_base, archive_private_keys=keys)
    services = build_services(settings)
    world = World(sandbox, services, create_app(services=services).test_client(), redis)
    if sync_staff:
        sync_staff_directory(services)
    return world


def stop_world(world: World) -> None:
    """Stop the sandbox and release the services."""
    world.services.close()
    world.sandbox.stop()
