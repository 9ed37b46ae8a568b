"""Reading /metrics in tests: one sample's value by name and labels."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample in a Prometheus text exposition as (name, labels, value)."""
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when there is none)."""
    return sum(v for n, got, v in samples(text) if n == name and all(got.get(k) == w for k, w in labels.items()))


def scrape(client, **headers: str) -> str:
    """GET /metrics through a Flask test client and return its text (asserting a 200)."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)
