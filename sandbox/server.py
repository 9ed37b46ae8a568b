"""The sandbox as a Flask app and as a werkzeug server in a daemon thread (or its own process)."""
from __future__ import annotations

import argparse
import threading
from dataclasses import replace
from typing import Any

from flask import Flask, jsonify
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox import api, api_finance, control, oauth
from sandbox.config import SandboxConfig
from sandbox.state import SandboxState


class _QuietHandler(WSGIRequestHandler):
    """Serve requests without an access-log line per call."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log."""


def create_sandbox_app(state: SandboxState) -> Flask:
    """Build the Flask app that serves the WeCom API and the control endpoints over `state`."""
    app = Flask("wecom_sandbox")
    app.extensions["sandbox_state"] = state
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(api_finance.bp)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(oauth.authorize_bp)

    @app.get("/")
    def index() -> Any:
        """Describe the sandbox."""
        return jsonify({"sandbox": "wecom", "corp_id": state.config.corp_id, "api_base": "/cgi-bin/"})

    return app


class SandboxServer:
    """A running sandbox: its URL, its state, and a way to stop it."""

    def __init__(self, state: SandboxState, server: BaseWSGIServer, thread: threading.Thread) -> None:
        self.state = state
        self._server = server
        self._thread = thread
        host = server.server_address[0]
        host = host.decode() if isinstance(host, bytes) else host
        self.url = f"http://{host}:{server.server_port}"
        self.api_base = f"{self.url}/cgi-bin/"

    @classmethod
    def start(cls, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0,
              state: SandboxState | None = None) -> "SandboxServer":
        """Start a threaded werkzeug server in a daemon thread; port 0 picks a free port."""
        state = state or SandboxState(config or SandboxConfig())
        server = make_server(host, port, create_sandbox_app(state), threaded=True,
                             request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="wecom-sandbox", daemon=True)
        thread.start()
        return cls(state, server, thread)

    def stop(self) -> None:
        """Stop serving and stop the callback workers."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.state.close()

    def __enter__(self) -> "SandboxServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the sandbox in the foreground (settings from SANDBOX_* environment variables)."""
    parser = argparse.ArgumentParser(description="Run the WeCom sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--callback-url", default=None)
    args = parser.parse_args(argv)
    config = SandboxConfig.from_env()
    if args.callback_url:
        config = replace(config, callback_url=args.callback_url)
    sandbox = SandboxServer.start(config, args.host, args.port)
    print(f"WeCom sandbox on {sandbox.url} (api base {sandbox.api_base})", flush=True)
    try:
        sandbox._thread.join()
    except KeyboardInterrupt:
        sandbox.stop()


if __name__ == "__main__":
    main()
