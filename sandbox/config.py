"""Settings of the simulated WeCom corp: identities, platform limits and staff behaviour."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

DEFAULT_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CAP_MODES = ("per_day", "per_week", "per_month")


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the sandbox needs to behave like one WeCom corp; all limits are settings."""

    corp_id: str = "ww5andb0x0000001"
    secrets: tuple[str, ...] = ("sandbox-contact-secret", "sandbox-app-secret")
    callback_token: str = "sandboxtoken"
    encoding_aes_key: str = DEFAULT_AES_KEY
    callback_url: str | None = None
    agent_id: int = 1000002
    token_ttl: int = 7200
    mass_send_cap: str = "per_day"
    moments_visible_per_day: int = 3
    moments_per_staff_per_day: int = 3
    moment_job_seconds: float = 0.0
    app_msg_per_member_minute: int = 30
    app_msg_per_member_hour: int = 1000
    robot_per_minute: int = 20
    api_per_minute: int = 10000
    remind_per_day: int = 3
    welcome_code_ttl: float = 20.0
    callback_timeout: float = 5.0
    callback_attempts: int = 3
    callback_workers: int = 4
    callback_queue_max: int = 10000
    auto_confirm_rate: float = 0.0
    auto_confirm_delay: float = 0.0
    staff: tuple[str, ...] = ("zhangsan", "lisi", "wangwu")
    robot_keys: tuple[str, ...] = ("sandbox-robot-key",)
    console_welcome_staff: tuple[str, ...] = ()
    seed: int = 0
    archive_key_versions: tuple[int, ...] = (1, 2)
    archive_secret: str = "sandbox-archive-secret"
    archive_retention_days: float = 5.0
    archive_notify_interval: float = 1.0
    archive_agent_id: int = 2000004
    start_at: float | None = None

    def __post_init__(self) -> None:
        if self.mass_send_cap not in CAP_MODES:
            raise ValueError(f"mass_send_cap must be one of {CAP_MODES}, got {self.mass_send_cap!r}")
        if len(self.encoding_aes_key) != 43:
            raise ValueError("encoding_aes_key must be exactly 43 characters")
        if not 0.0 <= self.auto_confirm_rate <= 1.0:
            raise ValueError("auto_confirm_rate must be between 0 and 1")
        if self.callback_attempts < 1:
            raise ValueError("callback_attempts must be at least 1")
        if not self.archive_key_versions:
            raise ValueError("archive_key_versions needs at least one version")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, prefix: str = "SANDBOX_") -> "SandboxConfig":
        """Build a config from SANDBOX_* environment variables (tuples are comma-separated)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(prefix + f.name.upper())
            if raw is None:
                continue
            default = getattr(cls, f.name, None)
            if isinstance(default, tuple):
                values[f.name] = tuple(x.strip() for x in raw.split(",") if x.strip())
            elif isinstance(default, bool):
                values[f.name] = raw.lower() in ("1", "true", "yes")
            elif isinstance(default, int):
                values[f.name] = int(raw)
            elif isinstance(default, float):
                values[f.name] = float(raw)
            elif f.name == "start_at":
                values[f.name] = float(raw) if raw else None
            else:
                values[f.name] = (raw or None) if f.name == "callback_url" else raw
        return cls(**values)
