"""The Flask app factory."""
from __future__ import annotations

import logging
from functools import partial

from flask import Flask, jsonify

from app.services import Services, install
from app.settings import Settings
from app.web import guards as request_guards
from app.wiring import build_services
from jobs.queues import InlineQueues


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the web app and the process's Services from settings (environment by default)."""
    settings = settings or (services.settings if services else Settings())
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    own_services = services is None
    services = install(services or build_services(settings))
    if own_services and isinstance(services.queues, InlineQueues):
        from jobs.pipeline.inbox_sweeper import sweep_unfinished

        services.queues.every(services.settings.sweep_interval_seconds, partial(sweep_unfinished, services))
    app = Flask(__name__)
    app.extensions["scrm"] = services
    request_guards.install(app, services.settings)

    from app.web import api, callback
    from app.web import links as links_view
    from app.web.console import init_console

    app.register_blueprint(callback.bp)
    app.register_blueprint(api.bp)  # the JSON API: one parent blueprint, its resources nested (app.web.api)
    app.register_blueprint(links_view.bp)
    init_console(app)
    from app.metrics.view import bp as metrics_bp
    from app.web.health import bp as health_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)

    @app.get("/healthz")
    def healthz():
        """Answer that the process is up."""
        return jsonify(status="ok")

    return app
