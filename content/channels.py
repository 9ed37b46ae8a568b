"""Channels (contact ways) from content/channels.yaml: validated, every problem reported at once."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content.errors import ContentError, ContentProblem, SafeLoader, parse_yaml, read_text

DEFAULT_CHANNELS = Path(__file__).with_name("channels.yaml")
STATE_MAX = 30
WELCOME_MAX_BYTES = 4000
ATTACHMENTS_MAX = 9
ATTACHMENT_KINDS = ("link", "image", "miniprogram", "video", "file")
CHANNEL_KEYS = {"state", "name", "staff", "welcome", "attachments", "tags", "stage"}


@dataclass(frozen=True)
class ChannelDef:
    """One channel: its state, welcome message, initial tags and stage."""

    state: str
    name: str
    staff: tuple[str, ...] = ()
    welcome_text: str = ""
    welcome_attachments: list[dict] = field(default_factory=list)
    initial_tags: tuple[str, ...] = ()
    initial_stage: str | None = None


@dataclass(frozen=True)
class ChannelBook:
    """All channels by state, with the default for unknown or empty states."""

    tag_group: str
    channels: dict[str, ChannelDef]
    default: ChannelDef

    def for_state(self, state: str | None) -> ChannelDef:
        """Return the channel for a contact-way state, or the default one."""
        return self.channels.get(state or "", self.default)


def load_channels(path: str | Path = DEFAULT_CHANNELS, stage_keys: set[str] | None = None) -> ChannelBook:
    """Read and validate a channels file; raise ContentError listing every problem."""
    name = str(path)
    raw = parse_yaml(path, read_text(path), SafeLoader)
    problems: list[ContentProblem] = []

    def problem(where: str, message: str) -> None:
        problems.append(ContentProblem(name, None, where, message))

    if not isinstance(raw, dict):
        raise ContentError([ContentProblem(name, None, "file",
                                           "expected a mapping with tag_group, default and channels")])
    tag_group = raw.get("tag_group")
    if not isinstance(tag_group, str) or not 0 < len(tag_group) <= STATE_MAX:
        problem("tag_group", "a tag group name of 1 to 30 characters is required")
        tag_group = ""
    default_item = raw.get("default") or {}
    if not isinstance(default_item, dict):
        problem("default", "expected a mapping")
        default_item = {}
    default = _channel({"state": "", **default_item}, "default", stage_keys, problem, needs_state=False)
    channels: dict[str, ChannelDef] = {}
    items = raw.get("channels") or []
    if not isinstance(items, list):
        problem("channels", "expected a list of channels")
        items = []
    for index, item in enumerate(items):
        where = f"channels[{index}]"
        if not isinstance(item, dict):
            problem(where, "expected a mapping")
            continue
        channel = _channel(item, where, stage_keys, problem, needs_state=True)
        if channel.state in channels:
            problem(f"{where}.state", f"duplicate state {channel.state!r}")
        channels[channel.state] = channel
    if problems:
        raise ContentError(problems)
    return ChannelBook(tag_group=tag_group, channels=channels, default=default)


def _channel(item: dict[str, Any], where: str, stage_keys: set[str] | None, problem, needs_state: bool) -> ChannelDef:
    for key in sorted(set(item) - CHANNEL_KEYS):
        problem(f"{where}.{key}", f"unknown field (expected one of {', '.join(sorted(CHANNEL_KEYS))})")
    state = str(item.get("state") or "")
    if needs_state and not 0 < len(state) <= STATE_MAX:
        problem(f"{where}.state", "a state of 1 to 30 characters is required (WeCom's limit)")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        problem(f"{where}.name", "a name is required")
    welcome = item.get("welcome") or ""
    if len(str(welcome).encode("utf-8")) > WELCOME_MAX_BYTES:
        problem(f"{where}.welcome", f"longer than WeCom's {WELCOME_MAX_BYTES} bytes")
    attachments = item.get("attachments") or []
    if not isinstance(attachments, list):
        problem(f"{where}.attachments", "expected a list of attachments")
        attachments = []
    if len(attachments) > ATTACHMENTS_MAX:
        problem(f"{where}.attachments", f"{len(attachments)} attachments; WeCom allows at most {ATTACHMENTS_MAX}")
    converted = []
    for i, attachment in enumerate(attachments):
        kind = next(iter(attachment), None) if isinstance(attachment, dict) and len(attachment) == 1 else None
        if kind not in ATTACHMENT_KINDS:
            problem(f"{where}.attachments[{i}]", f"expected one of {', '.join(ATTACHMENT_KINDS)}")
            continue
        converted.append({"msgtype": kind, kind: attachment[kind]})
    stage = item.get("stage")
    if stage is not None and not isinstance(stage, str):
        problem(f"{where}.stage", f"expected a stage key, got {stage!r}")
        stage = None
    if stage is not None and stage_keys is not None and stage not in stage_keys:
        problem(f"{where}.stage", f"unknown stage {stage!r} (expected one of {', '.join(sorted(stage_keys))})")
    staff = item.get("staff") or []
    tags = item.get("tags") or []
    return ChannelDef(
        state=state, name=str(name or state), staff=tuple(staff if isinstance(staff, list) else [staff]),
        welcome_text=str(welcome), welcome_attachments=converted,
        initial_tags=tuple(str(t) for t in (tags if isinstance(tags, list) else [tags])), initial_stage=stage,
    )
