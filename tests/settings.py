"""Settings and paths shared by the tests: the official vector's corp, token and key, the admin token."""
from __future__ import annotations

from pathlib import Path

from app.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
ADMIN_TOKEN = "test-admin-token"


def make_settings(database_url: str, redis_url: str | None, **overrides) -> Settings:
    """Settings for a test: the official vector's corp, token and key unless overridden."""
    values = dict(
        database_url=database_url,
        redis_url=redis_url,
        wecom_corp_id="wx5823bf96d3bd56c7",
        wecom_token="QDG6eK",
        wecom_aes_key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        scrm_admin_token=ADMIN_TOKEN,
        job_retry_intervals=(0, 0),
        enqueue_linger_seconds=0.0,  # tests post one callback at a time; tests/test_relay.py covers the linger
        _env_file=None,
    )
    values.update(overrides)
    return Settings(**values)
