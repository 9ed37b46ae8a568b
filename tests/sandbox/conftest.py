"""Fixtures: a sandbox started over real HTTP, an API client for it, and a callback receiver."""
from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import replace
from typing import Any, Callable, Iterator

import pytest
import requests
from flask import Flask, request
from wechatpy.enterprise.crypto import PrpCrypto
from werkzeug.serving import make_server

from sandbox import SandboxConfig, SandboxServer

CORP_ID = "ww5andb0x0000001"
SECRET = "sandbox-contact-secret"


class Api:
    """A minimal WeCom client over HTTP that fetches and keeps one access token."""

    def __init__(self, sandbox: SandboxServer, secret: str = SECRET) -> None:
        self.sandbox = sandbox
        self.secret = secret
        self.token: str | None = None

    def fetch_token(self) -> str:
        """Get a fresh access token."""
        answer = requests.get(self.sandbox.api_base + "gettoken",
                              params={"corpid": CORP_ID, "corpsecret": self.secret}, timeout=5).json()
        assert answer["errcode"] == 0, answer
        self.token = answer["access_token"]
        return self.token

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        """GET an API path with the access token."""
        params.setdefault("access_token", self.token or self.fetch_token())
        return requests.get(self.sandbox.api_base + path, params=params, timeout=10).json()

    def post(self, path: str, body: dict[str, Any], timeout: float = 10, **params: Any) -> dict[str, Any]:
        """POST JSON to an API path with the access token."""
        params.setdefault("access_token", self.token or self.fetch_token())
        return requests.post(self.sandbox.api_base + path, params=params, json=body, timeout=timeout).json()


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with config overrides; stop them all afterwards."""
    started: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxServer:
        sandbox = SandboxServer.start(replace(SandboxConfig(), **overrides))
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """A sandbox with default settings."""
    return start_sandbox()


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    """An API client bound to the default sandbox."""
    return Api(sandbox)


class Receiver:
    """A tiny callback endpoint that records requests and can stall or fail the first few."""

    def __init__(self, stall_first: int = 0, stall_seconds: float = 0.0, fail_status: int | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.stall_first = stall_first
        self.stall_seconds = stall_seconds
        self.fail_status = fail_status
        self._release = threading.Event()
        self._lock = threading.Lock()
        app = Flask("receiver")
        app.add_url_rule("/cb", "cb", self._handle, methods=["POST"])
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/cb"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _handle(self) -> Any:
        with self._lock:
            self.requests.append({"args": request.args.to_dict(), "body": request.get_data(as_text=True)})
            n = len(self.requests)
        if n <= self.stall_first:
            self._release.wait(self.stall_seconds)
        if self.fail_status:
            return "nope", self.fail_status
        return ""

    def stop(self) -> None:
        """Release stalled requests and stop serving."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    """Start callback receivers; stop them afterwards."""
    made: list[Receiver] = []

    def make(**kwargs: Any) -> Receiver:
        r = Receiver(**kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


def open_callback(token: str, aes_key: str, corp_id: str, args: dict[str, str], body: str) -> str:
    """Verify a callback's signature and decrypt it the way the app must; return the event XML."""
    encrypt = body.split("<Encrypt><![CDATA[", 1)[1].split("]]></Encrypt>", 1)[0]
    expected = hashlib.sha1("".join(sorted([token, args["timestamp"], args["nonce"], encrypt])).encode()).hexdigest()
    assert expected == args["msg_signature"]
    plain = PrpCrypto(base64.b64decode(aes_key + "=")).decrypt(encrypt, corp_id)
    return plain.decode() if isinstance(plain, bytes) else plain
