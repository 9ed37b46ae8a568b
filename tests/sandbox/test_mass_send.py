"""1:1 mass-send tasks: nothing until confirmed, per-customer caps, results, reminders, cancel."""
from __future__ import annotations

from datetime import datetime

from sandbox.clock import SHANGHAI
from sandbox.rules import cap_limit, cap_period, over_cap


def _start_of_next_day(state) -> None:
    now = state.clock.shanghai()
    nxt = datetime(now.year, now.month, now.day, tzinfo=SHANGHAI).timestamp() + 86400 + 3600
    state.clock.advance_to(nxt)


def _results(api, msgid, userid):
    return {r["external_userid"]: r["status"] for r in api.post(
        "externalcontact/get_groupmsg_send_result", {"msgid": msgid, "userid": userid})["send_list"]}


def test_task_does_nothing_until_confirmed(sandbox, api):
    state = sandbox.state
    a = state.contacts.add_prospect("zhangsan")["external_userid"]
    b = state.contacts.add_prospect("zhangsan")["external_userid"]
    stranger = state.contacts.add_prospect("lisi")["external_userid"]
    created = api.post("externalcontact/add_msg_template", {
        "chat_type": "single", "sender": "zhangsan", "external_userid": [a, b, stranger],
        "text": {"content": "三月直播回放已上线"}})
    assert created["errcode"] == 0
    assert created["fail_list"] == [stranger]
    msgid = created["msgid"]
    assert _results(api, msgid, "zhangsan") == {a: 0, b: 0}
    assert api.post("externalcontact/get_groupmsg_task", {"msgid": msgid})["task_list"] == [
        {"userid": "zhangsan", "status": 0, "send_time": 0}]
    assert [t["msgid"] for t in state.campaigns.mass_tasks_for("zhangsan")] == [msgid]

    state.contacts.delete_follow(b, "zhangsan")
    outcome = state.campaigns.confirm_mass_task(msgid, "zhangsan")
    assert (outcome["sent"], outcome["not_friend"]) == (1, 1)
    assert _results(api, msgid, "zhangsan") == {a: 1, b: 2}
    assert api.post("externalcontact/get_groupmsg_task", {"msgid": msgid})["task_list"][0]["status"] == 2
    assert state.core.calls_to("externalcontact/add_msg_template") == 1


def test_per_day_cap_gives_status_3_and_counts_a_violation(sandbox, api):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    body = {"sender": "zhangsan", "external_userid": [ext], "text": {"content": "第一条"}}
    first = api.post("externalcontact/add_msg_template", body)["msgid"]
    second = api.post("externalcontact/add_msg_template", body)["msgid"]
    state.campaigns.confirm_mass_task(first, "zhangsan")
    state.campaigns.confirm_mass_task(second, "zhangsan")
    assert _results(api, second, "zhangsan") == {ext: 3}
    assert state.core.violations == {"mass_send_cap": 1}
    _start_of_next_day(state)
    api.fetch_token()
    third = api.post("externalcontact/add_msg_template", body)["msgid"]
    state.campaigns.confirm_mass_task(third, "zhangsan")
    assert _results(api, third, "zhangsan") == {ext: 1}


def test_per_week_cap_allows_seven(start_sandbox):
    sandbox = start_sandbox(mass_send_cap="per_week")
    state = sandbox.state
    monday = datetime.fromisocalendar(state.clock.shanghai().isocalendar()[0] + 1, 1, 1)
    state.clock.advance_to(monday.replace(hour=9, tzinfo=SHANGHAI).timestamp())
    ext = state.contacts.add_prospect("lisi")["external_userid"]
    statuses = []
    for _ in range(8):
        msgid = state.campaigns.add_msg_template({"sender": "lisi", "external_userid": [ext],
                                        "text": {"content": "周报"}})["msgid"]
        state.campaigns.confirm_mass_task(msgid, "lisi")
        statuses.append(state.campaigns.mass_tasks[msgid].recipients[("lisi", ext)]["status"])
        state.clock.advance(3600)
    assert statuses == [1] * 7 + [3]


def test_without_sender_the_last_chatting_staff_executes(sandbox, api):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    state.contacts.add_prospect("lisi", external_userid=ext)
    state.contacts.record_message(ext, "zhangsan", "你好")
    created = api.post("externalcontact/add_msg_template", {"external_userid": [ext], "text": {"content": "hi"}})
    assert api.post("externalcontact/get_groupmsg_task",
                    {"msgid": created["msgid"]})["task_list"][0]["userid"] == "zhangsan"


def test_list_v2_finds_a_task_after_an_ambiguous_failure(sandbox, api):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    t0 = int(state.clock.now())
    msgid = api.post("externalcontact/add_msg_template", {"sender": "zhangsan", "external_userid": [ext],
                                                           "text": {"content": "找得到我"}})["msgid"]
    found = api.post("externalcontact/get_groupmsg_list_v2", {"chat_type": "single", "start_time": t0 - 5,
                                                              "end_time": t0 + 5, "creator": "zhangsan"})
    assert [(m["msgid"], m["text"]["content"]) for m in found["group_msg_list"]] == [(msgid, "找得到我")]
    too_long = {"start_time": t0 - 40 * 86400, "end_time": t0}
    assert api.post("externalcontact/get_groupmsg_list_v2", too_long)["errcode"] == 40058


def test_remind_at_most_three_times_a_day(sandbox, api):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    msgid = api.post("externalcontact/add_msg_template", {"sender": "zhangsan", "external_userid": [ext],
                                                           "text": {"content": "x"}})["msgid"]
    codes = [api.post("externalcontact/remind_groupmsg_send", {"msgid": msgid})["errcode"] for _ in range(4)]
    assert codes == [0, 0, 0, 45009]
    assert state.core.violations == {"remind_limit": 1}
    state.clock.advance(86401)
    api.fetch_token()
    assert api.post("externalcontact/remind_groupmsg_send", {"msgid": msgid})["errcode"] == 0
    assert api.post("externalcontact/remind_groupmsg_send", {"msgid": "nope"})["errcode"] == 41047


def test_cancel_stops_unconfirmed_senders(sandbox, api):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    msgid = api.post("externalcontact/add_msg_template", {"sender": "zhangsan", "external_userid": [ext],
                                                           "text": {"content": "x"}})["msgid"]
    assert api.post("externalcontact/cancel_groupmsg_send", {"msgid": msgid})["errcode"] == 0
    assert state.campaigns.confirm_mass_task(msgid, "zhangsan")["confirmed"] is False
    assert _results(api, msgid, "zhangsan") == {ext: 0}


def test_validation_of_mass_tasks(sandbox, api):
    ext = sandbox.state.contacts.add_prospect("zhangsan")["external_userid"]
    base = {"sender": "zhangsan", "external_userid": [ext]}
    assert api.post("externalcontact/add_msg_template", {**base, "text": {"content": "长" * 1400}})["errcode"] == 45002
    ten = [{"msgtype": "link", "link": {"title": "t", "url": "https://example.com"}}] * 10
    assert api.post("externalcontact/add_msg_template", {**base, "attachments": ten})["errcode"] == 41064
    assert api.post("externalcontact/add_msg_template", {"sender": "lisi", "external_userid": [ext],
                                                         "text": {"content": "x"}})["errcode"] == 41048
    assert api.post("externalcontact/add_msg_template", {**base, "external_userid": ["w"] * 10001,
                                                         "text": {"content": "x"}})["errcode"] == 40058


def test_simulated_staff_auto_confirm_after_a_delay(start_sandbox):
    sandbox = start_sandbox(auto_confirm_rate=1.0, auto_confirm_delay=600)
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    msgid = state.campaigns.add_msg_template(
        {"sender": "zhangsan", "external_userid": [ext], "text": {"content": "x"}})["msgid"]
    assert state.campaigns.mass_tasks[msgid].senders["zhangsan"]["status"] == 0
    state.advance(601)
    assert state.campaigns.mass_tasks[msgid].recipients[("zhangsan", ext)]["status"] == 1


def test_cap_periods_follow_the_shanghai_calendar():
    feb = datetime(2026, 2, 10, 12, tzinfo=SHANGHAI).timestamp()
    assert cap_limit("per_month", feb) == 28
    assert cap_limit("per_week", feb) == 7
    assert cap_limit("per_day", feb) == 1
    late = datetime(2026, 2, 10, 23, 30, tzinfo=SHANGHAI).timestamp()
    next_morning = datetime(2026, 2, 11, 0, 30, tzinfo=SHANGHAI).timestamp()
    assert cap_period("per_day", late) != cap_period("per_day", next_morning)
    assert over_cap("per_day", [late], late + 60)
    assert not over_cap("per_day", [late], next_morning)
    assert not over_cap("per_month", [feb] * 27, feb)
    assert over_cap("per_month", [feb] * 28, feb)
