"""The scoring file loads, and every mistake in it is reported with its line."""
from __future__ import annotations

from pathlib import Path

import pytest

from content.errors import ContentError
from content.journey import load_journey
from content.scoring import DEFAULT_SCORING, EVENT_KINDS, load_scoring

EVENTS = "".join(f"  {kind}: {{points: 5, label: 事件}}\n" for kind in EVENT_KINDS)


def write(tmp_path: Path, text: str) -> Path:
    """Write a scoring file and return its path."""
    path = tmp_path / "scoring.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    """Load a broken file and return its problems as `row field: message` strings."""
    with pytest.raises(ContentError) as err:
        load_scoring(write(tmp_path, text), load_journey())
    return [f"{p.row} {p.field}: {p.message}" for p in err.value.problems]


def test_default_file_loads_with_the_documented_weights():
    config = load_scoring(DEFAULT_SCORING, load_journey())
    assert config.weight("intent_pricing").points == 40
    assert config.weight("intent_purchase").points == 50
    assert config.weight("link_open_quote").label == "查看报价单"
    assert [config.link_kind(f"https://example.com{p}") for p in ("/cases/hr-saas", "/pricing", "/quote/123",
                                                                 "/demo/video", "/roi-calculator", "/casestudy")] \
        == ["case_study", "pricing", "quote", "demo", None, None]
    assert config.link_event("pricing") == "link_open_pricing"
    assert config.link_event("case_study") == "link_open"


def test_a_good_small_file(tmp_path):
    config = load_scoring(write(tmp_path, f"events:\n{EVENTS}stage_bonus:\n  onboarding: 3\n"), load_journey())
    assert config.stage_bonus == {"onboarding": 3.0}
    assert config.link_paths == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("events: 3\n", ["1 events: expected `kind: {points: N, label: 文字}` lines"]),
    ("weights: {}\n", ["1 weights: unknown key; expected one of: events, channel_bonus, stage_bonus, link_paths",
                       "1 events: missing"]),
    (f"events:\n{EVENTS}  reply_fast: {{points: 1, label: x}}\n",
     ["14 events.reply_fast: unknown key; did you mean 'reply'?"]),
    (f"events:\n{EVENTS.replace('reply: {points: 5', 'reply: {points: -5')}",
     ["8 events.reply.points: must be at least 0, got -5"]),
    (f"events:\n{EVENTS.replace('reply: {points: 5', 'reply: {points: lots')}",
     ["8 events.reply.points: expected a number, got 'lots'"]),
    (f"events:\n{EVENTS.replace('reply: {points: 5', 'reply: {points: 5000')}",
     ["8 events.reply.points: must be at most 1000, got 5000"]),
    (f"events:\n{EVENTS.replace('  reply: {points: 5, label: 事件}', '  reply: 5')}",
     ["8 events.reply: expected {points: N, label: 文字}, got 5"]),
    (f"events:\n{EVENTS.replace('  moment_like: {points: 5, label: 事件}' + chr(10), '')}",
     ["2 events.moment_like: missing"]),
    (f"events:\n{EVENTS}stage_bonus:\n  deciding: 5\n",
     ["15 stage_bonus.deciding: unknown stage 'deciding'; expected one of: "
      "need_arises, deeper_understanding, product_selection, onboarding, "
      "adoption, stickiness, renewal_expansion"]),
    (f"events:\n{EVENTS}channel_bonus: [a]\n", ["14 channel_bonus: expected `name: points` lines"]),
    (f"events:\n{EVENTS}link_paths:\n  /prices: pricng\n  cases: case_study\n",
     ["15 link_paths./prices: unknown link kind 'pricng'; did you mean 'pricing'?",
      "16 link_paths.cases: a path must start with '/', got 'cases'"]),
])
def test_every_problem_is_located(tmp_path, text, expected):
    assert problems(tmp_path, text) == expected


def test_several_problems_are_reported_together(tmp_path):
    text = f"events:\n{EVENTS.replace('reply: {points: 5', 'reply: {points: -1')}stage_bonus:\n  nowhere: 1\nextra: 1\n"
    found = problems(tmp_path, text)
    assert len(found) == 3
    assert [f.split()[0] for f in found] == ["8", "15", "16"]


def test_yaml_syntax_error_names_the_line(tmp_path):
    assert problems(tmp_path, "events:\n  reply: {points: 5\n")[0].startswith("3 file: YAML syntax")
