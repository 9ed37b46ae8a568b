"""The content the bots read (journey, channels), loaded once per process and reloaded when a file changes."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from content.channels import DEFAULT_CHANNELS, ChannelBook, load_channels
from content.journey import DEFAULT_JOURNEY, Journey, load_journey


class ContentStore:
    """Cached, validated content files; a file edited on disk is reloaded on next use."""

    def __init__(self, journey_path: str | Path | None = None, channels_path: str | Path | None = None) -> None:
        self.journey_path = Path(journey_path or DEFAULT_JOURNEY)
        self.channels_path = Path(channels_path or DEFAULT_CHANNELS)
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.RLock()

    @property
    def journey(self) -> Journey:
        """The journey: stages, lead statuses, rules, segments."""
        return self._load("journey", self.journey_path, lambda: load_journey(self.journey_path))

    @property
    def intents(self):
        """The intent rules (keywords, negations, thresholds) from content/intents.yaml."""
        from bots.intents import DEFAULT_INTENTS, load_intents

        return self._load("intents", Path(DEFAULT_INTENTS),
                          lambda: load_intents(DEFAULT_INTENTS, journey_intents=self.journey.intents))

    def channels(self, _session: Any = None) -> ChannelBook:
        """The channel book, validated against the journey's stages."""
        stages = {stage.key for stage in self.journey.stages}
        return self._load("channels", self.channels_path, lambda: load_channels(self.channels_path, stages))

    def _load(self, name: str, path: Path, loader: Callable[[], Any]) -> Any:
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._cache.get(name)
            if cached and cached[0] == mtime:
                return cached[1]
            value = loader()
            self._cache[name] = (mtime, value)
            return value
