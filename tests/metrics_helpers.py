"""Reading /metrics in tests: one sample's value by name and labels."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample in a Prometheus text exposition as (name, labels, value)."""
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


SUFFIXES = ("", "_total", "_count", "_sum", "_bucket", "_created")


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`.

    0 when the metric is declared but no such series exists yet; a metric the exposition does not declare, or a
    label its series do not carry, fails the test (so a renamed metric or label cannot pass as a zero).
    """
    family = next((f for f in text_string_to_metric_families(text) if name in {f.name + s for s in SUFFIXES}), None)
    assert family is not None, f"/metrics declares no metric {name!r}"
    series = [s for s in family.samples if s.name == name]
    carried = set().union(*(s.labels for s in series))
    assert not series or set(labels) <= carried, f"{name} has no label(s) {sorted(set(labels) - carried)}"
    return sum(s.value for s in series if all(s.labels.get(k) == w for k, w in labels.items()))


def scrape(client, **headers: str) -> str:
    """GET /metrics through a Flask test client and return its text (asserting a 200)."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)
