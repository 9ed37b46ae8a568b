"""Build the text a scrape returns: this process's or every process's counters, plus the scrape-time state."""
from __future__ import annotations

import os
from typing import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The directory every process writes its counters to, when multi-process mode is on."""
    return os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower()) or None


class _Forward(Collector):
    """Expose another registry's metrics (the process-wide default one) inside a scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator:
        """Yield the other registry's metric families."""
        yield from self.registry.collect()


def scrape_registry(*extra: Collector) -> CollectorRegistry:
    """A registry over the counters (summed over PROMETHEUS_MULTIPROC_DIR when set) and `extra` collectors."""
    registry = CollectorRegistry(auto_describe=False)
    folder = multiprocess_dir()
    if folder:
        MultiProcessCollector(registry, path=folder)
    else:
        registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of the registry."""
    return generate_latest(registry)
