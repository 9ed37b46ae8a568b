"""The classifier meets its precision and recall targets on `hot` over the labelled messages."""
from __future__ import annotations

import json
from pathlib import Path

from bots.intents import classify, load_intents

LABELLED = Path(__file__).parent / "fixtures" / "intents_labelled.jsonl"
INTENTS = {"pricing", "demo", "trial", "purchase", "evaluation", "contact", "greeting", "acknowledgement",
           "content_engagement", "support", "job_seeker", "vendor", "spam", "opt_out", "other"}
BUYING = {"pricing", "demo", "trial", "purchase", "evaluation", "contact"}


def rows() -> list[dict]:
    """Read the labelled set."""
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_labelled_set_is_well_formed() -> None:
    data = rows()
    assert len(data) >= 400
    assert len({row["text"] for row in data}) == len(data)
    for row in data:
        assert set(row) == {"text", "hot", "intent"} and row["intent"] in INTENTS, row
        assert row["hot"] == (row["intent"] in BUYING), row
    share = sum(row["hot"] for row in data) / len(data)
    assert 0.35 <= share <= 0.5


def test_precision_and_recall_on_hot() -> None:
    model = load_intents()
    tp = fp = fn = 0
    misses = []
    for row in rows():
        hot = classify(row["text"], model).hot
        tp += hot and row["hot"]
        fp += hot and not row["hot"]
        fn += row["hot"] and not hot
        if hot != row["hot"]:
            misses.append(row["text"])
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.90, (precision, misses)
    assert recall >= 0.85, (recall, misses)
