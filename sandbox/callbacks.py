"""Build, encrypt, sign and deliver WeCom callback events to the app, with WeCom's retries."""
from __future__ import annotations

import base64
import hashlib
import queue
import secrets
import threading
import time
from typing import Callable
from xml.sax.saxutils import escape

import requests
from wechatpy.enterprise.crypto import PrpCrypto

from sandbox.config import SandboxConfig
from sandbox.records import Delivery

INT_FIELDS = ("CreateTime", "JoinScene", "QuitScene", "MemChangeCnt", "AgentID")


def event_xml(fields: dict[str, str | int]) -> str:
    """Render an event as WeCom does: CDATA strings, bare integers, in the given field order."""
    parts = []
    for name, value in fields.items():
        if name in INT_FIELDS:
            parts.append(f"<{name}>{int(value)}</{name}>")
        else:
            text = str(value).replace("]]>", "]]]]><![CDATA[>")
            parts.append(f"<{name}><![CDATA[{text}]]></{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """Return WeCom's msg_signature: sha1 over the four values sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def seal(cfg: SandboxConfig, xml: str, timestamp: str, nonce: str) -> tuple[str, dict[str, str]]:
    """Encrypt `xml` for the app and return the POST body and the query parameters."""
    key = base64.b64decode(cfg.encoding_aes_key + "=")
    encrypt = PrpCrypto(key).encrypt(xml, cfg.corp_id)
    encrypt = encrypt.decode() if isinstance(encrypt, bytes) else encrypt
    body = (
        f"<xml><ToUserName><![CDATA[{escape(cfg.corp_id)}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
        f"<AgentID><![CDATA[{cfg.agent_id}]]></AgentID></xml>"
    )
    params = {"msg_signature": signature(cfg.callback_token, timestamp, nonce, encrypt),
              "timestamp": timestamp, "nonce": nonce}
    return body, params


class CallbackSender:
    """Deliver callbacks from a bounded queue with a small worker pool, retrying like WeCom."""

    def __init__(self, cfg: SandboxConfig, now: Callable[[], float]) -> None:
        self.cfg = cfg
        self.url = cfg.callback_url or ""
        self._now = now
        self._queue: queue.Queue[Delivery | None] = queue.Queue(maxsize=cfg.callback_queue_max)
        self._done = threading.Condition()
        self.deliveries: list[Delivery] = []
        self._workers = [threading.Thread(target=self._work, name=f"sandbox-callback-{i}", daemon=True)
                         for i in range(cfg.callback_workers)]
        for w in self._workers:
            w.start()

    def emit(self, event: str, xml: str) -> Delivery:
        """Queue one event for delivery; a full queue drops it like WeCom may."""
        delivery = Delivery(event=event, xml=xml, created_at=self._now())
        if not self.url:
            self._finish(delivery, "no_url")
            return delivery
        try:
            self._queue.put_nowait(delivery)
        except queue.Full:
            self._finish(delivery, "dropped")
        return delivery

    def wait(self, n: int, timeout: float) -> bool:
        """Block until at least `n` deliveries have finished, or `timeout` seconds passed."""
        with self._done:
            return self._done.wait_for(lambda: len(self.deliveries) >= n, timeout)

    def close(self) -> None:
        """Stop the workers after the queue drains."""
        for _ in self._workers:
            self._queue.put(None)
        for w in self._workers:
            w.join(timeout=self.cfg.callback_timeout * self.cfg.callback_attempts + 1)

    def _finish(self, delivery: Delivery, status: str) -> None:
        delivery.status = status
        with self._done:
            self.deliveries.append(delivery)
            self._done.notify_all()

    def _work(self) -> None:
        session = requests.Session()
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            self._deliver(session, delivery)

    def _deliver(self, session: requests.Session, delivery: Delivery) -> None:
        started = time.monotonic()
        for _ in range(self.cfg.callback_attempts):
            delivery.attempts += 1
            body, params = seal(self.cfg, delivery.xml, str(int(self._now())), secrets.token_hex(8))
            try:
                resp = session.post(self.url, params=params, data=body.encode(),
                                          headers={"Content-Type": "text/xml"},
                                          timeout=self.cfg.callback_timeout)
                delivery.http_status = resp.status_code
                if resp.status_code == 200:
                    delivery.latency = time.monotonic() - started
                    self._finish(delivery, "delivered")
                    return
                delivery.errors.append(f"http {resp.status_code}")
            except requests.RequestException as exc:
                delivery.errors.append(type(exc).__name__)
        delivery.latency = time.monotonic() - started
        self._finish(delivery, "failed")
