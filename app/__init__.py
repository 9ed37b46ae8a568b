"""WeCom private-domain SCRM bot. `create_app` builds the Flask app (imported lazily, so the sandbox stays light)."""
from __future__ import annotations


def create_app(*args, **kwargs):
    """Build the Flask app; see app.web.factory.create_app."""
    from app.web.factory import create_app as factory

    return factory(*args, **kwargs)
