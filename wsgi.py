"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
from app.web.factory import create_app

app = create_app()
