"""Corp secrets and archive private keys never reach logs or API output, on success and on error paths."""
from __future__ import annotations

import json
import logging

import pytest
from rq import Queue, SimpleWorker

from app.web.factory import create_app
from app.wecom.archive.keys import ArchiveKeys
from app.wecom.archive.reader import ArchiveError
from app.wecom.errors import BadCredentials
from app.wecom.gateway import Gateway
from app.wiring import build_services
from jobs.periodic.reconcile import reconcile_contacts
from jobs.pipeline.archive_pull import pull_archive
from jobs.queues import QUEUE_NAMES
from sandbox import SandboxConfig, SandboxServer
from tests.settings import ADMIN_TOKEN, make_settings

CORP_SECRET = "CorpSecret-Zx81-Kq0p-Lm55"
ARCHIVE_SECRET = "ArchiveSecret-Pp93-Ww17"
WRONG_SECRET = "WrongSecret-Hh42-Yu86"


@pytest.fixture
def sandbox():
    server = SandboxServer.start(SandboxConfig(secrets=(CORP_SECRET,), archive_secret=ARCHIVE_SECRET))
    yield server
    server.stop()


def pem_lines(pems: dict[int, str]) -> list[str]:
    """The base64 body lines of every private key (any one of them in a log would leak key material)."""
    return [line for pem in pems.values() for line in pem.splitlines() if line and not line.startswith("-----")]


def test_secrets_stay_out_of_logs_and_api_output(sandbox, database_url, redis_url, redis, caplog):
    caplog.set_level(logging.DEBUG)
    pems = sandbox.state.archive.private_keys()
    cfg = sandbox.state.config
    settings = make_settings(database_url, redis_url, wecom_corp_id=cfg.corp_id, wecom_token=cfg.callback_token,
                             wecom_aes_key=cfg.encoding_aes_key, wecom_secret=CORP_SECRET,
                             wecom_api_base=sandbox.api_base, archive_secret=ARCHIVE_SECRET,
                             archive_private_keys=json.dumps({str(v): pem for v, pem in pems.items()}),
                             log_level="DEBUG")
    services = build_services(settings)
    client = create_app(services=services).test_client()
    try:
        ext = sandbox.state.contacts.add_prospect("zhangsan", emit=False)["external_userid"]
        reconcile_contacts(services)  # gateway: gettoken (corpsecret in the query string), follow users, contacts
        sandbox.state.contacts.record_message(ext, "zhangsan", "你们这个系统一年多少钱？能发个报价单吗")
        report = pull_archive(services)  # archive secret and RSA private keys in use
        assert report.stored == 1
        SimpleWorker([Queue(n, connection=redis) for n in QUEUE_NAMES], connection=redis).work(burst=True)

        wrong = Gateway.from_settings(settings.model_copy(update={"wecom_secret": WRONG_SECRET}), redis=None)
        with pytest.raises(BadCredentials) as refused:
            wrong.directory.follow_users()
        wrong.close()
        logging.getLogger("test").exception("a job failed: %s", refused.value, exc_info=refused.value)
        with pytest.raises(ArchiveError) as unreadable:
            ArchiveKeys.from_pems({"3": pems[1][:200]})  # a truncated key: the error must not echo it
        logging.getLogger("test").error("archive keys refused: %s", unreadable.value)
        logging.getLogger("test").info("config as logged by mistake: %r %s", settings, settings.archive_private_keys)

        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        bodies = [client.get(path, headers=auth).get_data(as_text=True)
                  for path in ("/api/events?limit=50", "/api/leads", "/api/contacts/1", "/metrics", "/readyz")]
    finally:
        services.close()

    logged = caplog.text
    assert "corpsecret=***" in logged, "the token request was logged, with its secret masked"
    for leaked in (CORP_SECRET, ARCHIVE_SECRET, WRONG_SECRET, *pem_lines(pems)):
        assert leaked not in logged, f"{leaked[:12]}… appears in the logs"
        for body in bodies:
            assert leaked not in body, f"{leaked[:12]}… appears in API output"
    assert "PRIVATE KEY-----" not in logged
    assert CORP_SECRET not in repr(settings)
    assert ARCHIVE_SECRET not in repr(settings)
