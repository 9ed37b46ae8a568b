"""The web console: Chinese pages for marketers and sales, sessions, CSRF and the OpenAPI document."""
from __future__ import annotations

from flask import Flask


def init_console(app: Flask) -> None:
    """Register sign-in, CSRF, the console pages and /api/openapi.json on the app."""
    from app.web.console import openapi, views
    from app.web.console.access import init_auth

    init_auth(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.root)
    app.register_blueprint(openapi.bp)
