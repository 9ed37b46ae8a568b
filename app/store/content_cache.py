"""The one content cache: journey, channels, intents, scoring and staff, loaded once per process and reloaded when a
file changes; and the parsed calendars of stored content versions."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable

from bots.intents import DEFAULT_INTENTS, IntentModel, load_intents
from content.calendar import Calendar
from content.channels import DEFAULT_CHANNELS, ChannelBook, load_channels
from content.journey import DEFAULT_JOURNEY, Journey, load_journey
from content.scoring import DEFAULT_SCORING, ScoringConfig, load_scoring
from content.staff import DEFAULT_STAFF, StaffBook, load_staff

VERSIONS_KEPT = 16  # content versions whose parsed calendars stay cached


class ContentStore:
    """Cached, validated content files; a file edited on disk is reloaded on next use."""

    def __init__(self, journey_path: str | Path | None = None, channels_path: str | Path | None = None,
                 intents_path: str | Path | None = None, *, scoring_path: str | Path | None = None,
                 staff_path: str | Path | None = None) -> None:
        self.journey_path = Path(journey_path or DEFAULT_JOURNEY)
        self.channels_path = Path(channels_path or DEFAULT_CHANNELS)
        self.intents_path = Path(intents_path or DEFAULT_INTENTS)
        self.scoring_path = Path(scoring_path or DEFAULT_SCORING)
        self.staff_path = Path(staff_path or DEFAULT_STAFF)
        self._cache: dict[str, tuple[dict[Path, int | None], Any]] = {}
        self._calendars: dict[Hashable, Calendar] = {}
        self._lock = threading.RLock()

    @property
    def journey(self) -> Journey:
        """The journey: stages, lead statuses, rules, segments."""
        return self._load("journey", lambda _: [self.journey_path], lambda: load_journey(self.journey_path))

    @property
    def intents(self) -> IntentModel:
        """The intent rules (keywords, negations, thresholds) from content/intents.yaml, and the fallback model
        learnt from the example files it names (an edited example file refits it)."""
        path = self.intents_path
        return self._load("intents", lambda model: [path, *(model.example_files if model else ())],
                          lambda: load_intents(path, journey_intents=self.journey.intents))

    @property
    def scoring(self) -> ScoringConfig:
        """Lead-score points, decay and thresholds, validated against the journey."""
        return self._load("scoring", lambda _: [self.scoring_path, self.journey_path],
                          lambda: load_scoring(self.scoring_path, self.journey))

    @property
    def staff(self) -> StaffBook:
        """Teams and managers: who sees whose contacts in the console."""
        return self._load("staff", lambda _: [self.staff_path], lambda: load_staff(self.staff_path))

    def channels(self) -> ChannelBook:
        """The channel book, validated against the journey's stages."""
        stages = {stage.key for stage in self.journey.stages}
        return self._load("channels", lambda _: [self.channels_path], lambda: load_channels(self.channels_path, stages))

    def version_calendar(self, key: Hashable, build: Callable[[], Calendar]) -> Calendar:
        """The calendar of a stored content version, built once per process (`key` names the version's content;
        the newest VERSIONS_KEPT are kept)."""
        with self._lock:
            if key not in self._calendars:
                self._calendars[key] = build()
                for stale in list(self._calendars)[:-VERSIONS_KEPT]:
                    del self._calendars[stale]
            return self._calendars[key]

    def _load(self, name: str, paths: Callable[[Any], Iterable[Path]], loader: Callable[[], Any]) -> Any:
        """Return the cached value while the files it was read from (`paths` of the value) keep their modification
        times; otherwise load it again. Times are taken before loading, so an edit made meanwhile is seen next time
        (for a file the value names first, such as a newly listed example file, just after)."""
        with self._lock:
            cached = self._cache.get(name)
            before = {path: _mtime(path) for path in paths(cached[1] if cached else None)}
            if cached and cached[0] == before:
                return cached[1]
            value = loader()
            self._cache[name] = ({path: before[path] if path in before else _mtime(path) for path in paths(value)},
                                 value)
            return value


def _mtime(path: Path) -> int | None:
    """Return a file's modification time, or None when it cannot be read (the loader then reports why)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
