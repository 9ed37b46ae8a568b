"""WeCom private-domain SCRM bot: the Flask app factory lives in app.factory."""
from app.factory import create_app

__all__ = ["create_app"]
