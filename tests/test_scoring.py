"""Lead scoring is pure: decay by half-life, reasons by contribution, thresholds by segment, status only upward."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bots.scoring import ScoreEvent, classify_lead, decayed, score, thresholds
from content.journey import load_journey

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def ev(kind: str, days_ago: float, weight: float, label: str | None = None) -> ScoreEvent:
    """A score event `days_ago` days before NOW."""
    return ScoreEvent(kind, NOW - timedelta(days=days_ago), weight, {"label": label} if label else {})


@pytest.mark.parametrize(("weight", "age", "half_life", "expected"), [
    (40, 0, 14, 40), (40, 14, 14, 20), (40, 28, 14, 10), (40, 7, 14, 28.284), (3, 14, 7, 0.75),
    (15, -1, 14, 15), (0, 3, 14, 0),
])
def test_decay_table(weight, age, half_life, expected):
    assert decayed(weight, age, half_life) == pytest.approx(expected, abs=1e-3)


def test_decay_needs_a_positive_half_life():
    with pytest.raises(ValueError, match="half_life_days must be positive"):
        decayed(10, 1, 0)


@pytest.mark.parametrize(("events", "value", "reasons"), [
    ([], 0, ()),
    ([ev("intent_pricing", 0, 40, "询价")], 40, ("询价 +40",)),
    ([ev("intent_pricing", 14, 40, "询价"), ev("link_open_quote", 0, 15, "查看报价单")], 35,
     ("询价 +20", "查看报价单 +15")),
    ([ev("reply", 0, 5, "回复消息"), ev("reply", 0, 5, "回复消息"), ev("moment_like", 0, 2, "朋友圈点赞")], 12,
     ("回复消息 +10", "朋友圈点赞 +2")),
    ([ev("stage", 70, 10, "处于「选择产品」阶段"), ev("channel", 70, 5, "来自渠道 x")], 15,
     ("处于「选择产品」阶段 +10", "来自渠道 x +5")),
    ([ev("reply", 0, 5)], 5, ("reply +5",)),
])
def test_score_table(events, value, reasons):
    result = score(events, NOW, 14)
    assert result.value == pytest.approx(value, abs=0.01)
    assert result.reasons == reasons


def test_reasons_are_capped_and_ordered_by_points():
    events = [ev(f"k{n}", 0, n + 1, f"事件{n}") for n in range(8)]
    result = score(events, NOW, 14)
    assert result.reasons == ("事件7 +8", "事件6 +7", "事件5 +6", "事件4 +5", "事件3 +4")
    assert result.value == 36


def test_tiny_leftovers_give_no_reason():
    result = score([ev("reply", 200, 5, "回复消息")], NOW, 14)
    assert result.reasons == ()
    assert 0 <= result.value < 0.01


@pytest.mark.parametrize(("employees", "expected"), [(None, (40, 80)), (0, (40, 80)), (499, (40, 80)), (500, (30, 60)),
                                                 (10_000, (30, 60))])
def test_thresholds_by_segment(employees, expected):
    assert thresholds(load_journey(), employees) == expected


@pytest.mark.parametrize(("value", "current", "expected"), [
    (0, "new", None), (39.9, "new", None), (40, "new", "mql"), (79, "new", "mql"), (80, "new", "sql"),
    (100, "mql", "sql"), (50, "mql", None), (10, "mql", None), (10, "sql", None), (100, "sql", None),
    (100, "customer", None), (100, "lost", None), (0, "customer", None), (100, "unknown", None),
])
def test_classify_lead_table(value, current, expected):
    assert classify_lead(value, (40, 80), current) == expected


events_strategy = st.lists(st.builds(
    ScoreEvent,
    kind=st.sampled_from(["reply", "link_open", "intent_pricing", "channel", "stage"]),
    at=st.integers(min_value=-60 * 86400, max_value=0).map(lambda s: NOW + timedelta(seconds=s)),
    weight=st.floats(min_value=-50, max_value=100, allow_nan=False),
    detail=st.just({}),
), max_size=12)


@given(events_strategy, st.floats(min_value=0, max_value=90), st.floats(min_value=0.5, max_value=60))
def test_decay_is_monotone_and_score_never_negative(events, later_days, half_life):
    now_score = score(events, NOW, half_life).value
    later = score(events, NOW + timedelta(days=later_days), half_life).value
    assert now_score >= 0
    assert later >= 0
    if all(e.weight >= 0 for e in events):
        assert later <= now_score + 1e-6


@given(st.floats(min_value=0, max_value=500, allow_nan=False),
       st.sampled_from(["new", "mql", "sql", "customer", "lost"]))
def test_classify_never_lowers(value, current):
    ladder = ["new", "mql", "sql"]
    target = classify_lead(value, (40, 80), current)
    if target is not None:
        assert current in ladder
        assert ladder.index(target) > ladder.index(current)
