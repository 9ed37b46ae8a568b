"""The YAML scenario driver: validation with clear errors, deterministic plays on the sandbox clock."""
from __future__ import annotations

import threading

import pytest

from sandbox.scenario import (
    DEFAULT_SCENARIO,
    ScenarioError,
    build_actions,
    load_scenario,
    parse_scenario,
    run_scenario,
)

SMALL = {"name": "t", "seed": 3, "days": 2,
         "channels": [{"state": "webinar", "staff": ["zhangsan", "lisi"], "prospects_per_day": 5}],
         "behaviour": {"reply": 1.0, "ask_price": 0.5, "leave": 0.2},
         "messages": {"reply": ["你好"], "ask_price": ["多少钱？"]}}


def test_default_scenario_loads_and_expands():
    scenario = load_scenario(DEFAULT_SCENARIO)
    actions = build_actions(scenario, ("zhangsan", "lisi", "wangwu"))
    assert scenario.days == 7
    assert len(scenario.channels) == 3
    assert sum(a.kind == "add" for a in actions) == 7 * (4 + 3 + 2)
    assert actions == sorted(actions)
    assert actions == build_actions(scenario)


@pytest.mark.parametrize(("patch", "where"), [
    ({"channels": []}, "channels"),
    ({"channels": [{"state": "x" * 31, "staff": "lisi", "prospects_per_day": 1}]}, "channels[0].state"),
    ({"channels": [{"state": "a", "staff": [], "prospects_per_day": 1}]}, "channels[0].staff"),
    ({"channels": [{"state": "a", "staff": "lisi", "prospects_per_day": -1}]}, "channels[0].prospects_per_day"),
    ({"behaviour": {"reply": 1.5}}, "behaviour.reply"),
    ({"behaviour": {"ask_price": 0.5}, "messages": {}}, "messages.ask_price"),
    ({"days": 0}, "days"),
    ({"surprise": 1}, "unknown keys"),
])
def test_invalid_scenarios_name_the_field(patch, where):
    with pytest.raises(ScenarioError, match=where.replace("[", r"\[").replace("]", r"\]")):
        parse_scenario({**SMALL, **patch})


def test_unknown_staff_is_rejected(sandbox):
    bad = {**SMALL, "channels": [{"state": "a", "staff": "ghost", "prospects_per_day": 1}]}
    with pytest.raises(ScenarioError, match="ghost"):
        run_scenario(sandbox.state, bad)


def test_run_plays_days_on_the_clock_without_sleeping(sandbox, api):
    state = sandbox.state
    start = state.clock.now()
    done = run_scenario(state, SMALL)
    assert done["add"] == 10
    assert done["message"] >= 10
    assert state.clock.now() - start > 86400
    assert len(state.contacts.contacts) == 10
    assert len(state.core.callbacks_sent) == 10 + done.get("leave", 0)
    prices = [m for m in state.contacts.chat_messages if m["text"]["content"] == "多少钱？"]
    assert prices
    assert all(m["from"].startswith("wmSC") for m in prices)
    api.fetch_token()
    listed = api.post("externalcontact/batch/get_by_user", {"userid_list": ["zhangsan", "lisi"], "limit": 100})
    assert {r["follow_info"]["state"] for r in listed["external_contact_list"]} == {"webinar"}
    assert len(listed["external_contact_list"]) == 10 - done.get("leave", 0)


def test_paced_run_can_be_stopped(sandbox):
    stop = threading.Event()
    stop.set()
    assert run_scenario(sandbox.state, SMALL, speed=1.0, stop=stop) == {}
