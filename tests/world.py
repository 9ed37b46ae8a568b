"""A small world for integration tests: the sandbox, our services on a real database and Redis, a test client."""
from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from rq import Queue, SimpleWorker

from app.factory import create_app
from app.sandbox import SandboxConfig, SandboxServer
from app.sandbox.callbacks import event_xml
from app.services import Services, build_services
from jobs.queues import QUEUE_NAMES
from tests.callbacks import post_event
from tests.conftest import make_settings


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

    def post(self, fields: dict) -> None:
        """POST one change_external_contact event to our callback endpoint, encrypted and signed."""
        config = self.state.config
        xml = event_xml({"ToUserName": config.corp_id, "FromUserName": "sys", "MsgType": "event",
                         "Event": "change_external_contact", **fields})
        assert post_event(self.client, self.services.crypto, xml).status_code == 200

    def drain(self) -> None:
        """Run every queued job (events, then the actions they record) with a real rq worker until idle."""
        queues = [Queue(name, connection=self.redis) for name in QUEUE_NAMES]
        SimpleWorker(queues, connection=self.redis).work(burst=True)


def start_world(database_url: str, redis_url: str, redis: Redis, **config) -> World:
    """Start a sandbox and services pointing at it."""
    sandbox = SandboxServer.start(SandboxConfig(**config))
    cfg = sandbox.state.config
    settings = make_settings(database_url, redis_url, wecom_corp_id=cfg.corp_id, wecom_token=cfg.callback_token,
                             wecom_aes_key=cfg.encoding_aes_key, wecom_secret=cfg.secrets[0],
                             wecom_api_base=sandbox.api_base)
    services = build_services(settings)
    return World(sandbox, services, create_app(services=services).test_client(), redis)


def stop_world(world: World) -> None:
    """Stop the sandbox and release the services."""
    world.services.close()
    world.sandbox.stop()
