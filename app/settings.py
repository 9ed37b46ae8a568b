"""One place for configuration: environment variables and `.env`, with embedded defaults."""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SANDBOX_CORP_ID = "ww5andb0x0000001"
SANDBOX_TOKEN = "sandboxtoken"
SANDBOX_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SANDBOX_SECRET = "sandbox-contact-secret"
PROCESS_SECRET_KEY = secrets.token_hex(32)  # signs console sessions when SECRET_KEY is unset: stable per process only


class Settings(BaseSettings):
    """Runtime settings; every field has a default that runs the demo on one machine."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default_factory=lambda: f"sqlite:///{Path('var/scrm.db').absolute()}")
    redis_url: str | None = None
    wecom_corp_id: str = SANDBOX_CORP_ID
    wecom_token: str = Field(default=SANDBOX_TOKEN, repr=False)
    wecom_aes_key: str = Field(default=SANDBOX_AES_KEY, repr=False)
    wecom_secret: str = Field(default=SANDBOX_SECRET, repr=False)
    wecom_agent_id: int = 1000002
    wecom_api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    wecom_timeout: float = 5.0
    scrm_admin_token: str | None = Field(default=None, repr=False)
    callback_max_bytes: int = 1024 * 1024
    request_max_bytes: int = 1024 * 1024
    upload_max_bytes: int = 16 * 1024 * 1024
    trusted_proxies: int = 0
    job_retry_intervals: tuple[int, ...] = (5, 30, 120, 600)
    inbox_stale_after: int = 300
    worker_durable_commits: bool = False
    enqueue_linger_seconds: float = 0.25
    timezone: str = "Asia/Shanghai"
    journey_path: str | None = None
    channels_path: str | None = None
    welcome_window: timedelta = timedelta(seconds=20)
    details_fresh_for: timedelta = timedelta(hours=1)
    action_stale_after: int = 120
    log_level: str = "INFO"
    scheduler_leader_ttl: int = 30
    sweep_interval_seconds: int = 30
    nightly_at: str = "02:30"
    nurture_interval_minutes: int = 10
    private_per_day: int = 1
    moments_per_day: int = 3
    mass_send_cap: str = "per_day"
    moments_visible_per_day: int = 3
    moments_per_staff_per_day: int = 3
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    public_base_url: str = "http://127.0.0.1:8000"
    link_rate_limit: str = "60/minute"
    oauth_authorize_url: str | None = None
    sales_robot_key: str | None = Field(default="sandbox-robot-key", repr=False)
    alert_cooldown_minutes: int = 120
    lead_ack_minutes: int = 30
    remind_after_minutes: int = 120
    remind_every_minutes: int = 180
    remind_max_per_day: int = 2
    escalate_after_minutes: int = 360
    archive_private_keys: str | None = Field(default=None, repr=False)
    archive_sdk_path: str | None = None
    archive_secret: str = Field(default="sandbox-archive-secret", repr=False)
    archive_source: str = "sandbox"
    archive_proxy: str = ""
    archive_proxy_password: str = Field(default="", repr=False)
    readyz_timeout: float = 2.0
    metrics_token: str | None = Field(default=None, repr=False)
    scrm_secret_keys: str | None = Field(default=None, repr=False)
    secret_key: str = Field(default=PROCESS_SECRET_KEY, repr=False)
    session_minutes: int = 480
    staff_path: str | None = None
    wecom_login_redirect: str | None = None

    @property
    def uses_sqlite(self) -> bool:
        """Tell whether the database is the embedded SQLite default (or any SQLite file)."""
        return self.database_url.startswith("sqlite")
