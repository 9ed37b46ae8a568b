"""Injected faults (including ambiguous after-effect failures) and the /sandbox control API."""
from __future__ import annotations

import pytest
import requests


def _template(ext):
    return {"sender": "zhangsan", "external_userid": [ext], "text": {"content": "三月活动"}}


def test_errcode_and_http_faults_fail_without_effect(sandbox, api):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    api.fetch_token()
    state.access.inject_fault("externalcontact/add_msg_template", errcode=-1)
    assert api.post("externalcontact/add_msg_template", _template(ext))["errcode"] == -1
    state.access.inject_fault("externalcontact/add_msg_template", http_status=502, times=2)
    for _ in range(2):
        resp = requests.post(sandbox.api_base + "externalcontact/add_msg_template",
                             params={"access_token": api.token}, json=_template(ext))
        assert resp.status_code == 502
    assert state.campaigns.mass_tasks == {}
    assert api.post("externalcontact/add_msg_template", _template(ext))["errcode"] == 0
    assert len(state.campaigns.mass_tasks) == 1


def test_after_effect_fault_takes_effect_then_fails(sandbox, api):
    state = sandbox.state
    ext = state.contacts.add_prospect("zhangsan")["external_userid"]
    t0 = int(state.clock.now())
    state.access.inject_fault("externalcontact/add_msg_template", errcode=-1, after_effect=True)
    assert api.post("externalcontact/add_msg_template", _template(ext))["errcode"] == -1
    assert state.core.calls_to("externalcontact/add_msg_template") == 1
    found = api.post("externalcontact/get_groupmsg_list_v2", {"start_time": t0 - 1, "end_time": t0 + 1,
                                                              "creator": "zhangsan"})["group_msg_list"]
    assert len(found) == 1
    assert found[0]["text"]["content"] == "三月活动"


def test_delay_after_effect_is_a_timeout_that_still_created_the_post(sandbox, api):
    state = sandbox.state
    api.fetch_token()
    state.access.inject_fault("externalcontact/add_moment_task", delay=1.0, after_effect=True)
    with pytest.raises(requests.Timeout):
        api.post("externalcontact/add_moment_task", {"text": {"content": "x"}}, timeout=0.3)
    assert len(state.moments.moment_tasks) == 1
    state.access.clear_faults()


def test_control_endpoints_drive_the_corp(start_sandbox):
    sandbox = start_sandbox(api_per_minute=100)
    base = sandbox.url + "/sandbox"
    added = requests.post(base + "/prospects", json={"userid": "zhangsan", "state": "webinar", "name": "李娜"}).json()
    ext = added["external_userid"]
    assert added["welcome_code"]
    assert requests.post(base + "/prospects", json={"userid": "ghost"}).status_code == 400
    assert requests.post(f"{base}/prospects/{ext}/messages", json={"userid": "zhangsan", "text": "多少钱？"}).ok
    state = sandbox.state
    msgid = state.campaigns.add_msg_template(_template(ext))["msgid"]
    assert [t["msgid"] for t in requests.get(base + "/mass_tasks", params={"userid": "zhangsan"}).json()] == [msgid]
    confirmed = requests.post(f"{base}/mass_tasks/{msgid}/confirm", json={"userid": "zhangsan"}).json()
    assert confirmed["sent"] == 1
    jobid = state.moments.add_moment_task({"text": {"content": "x"}})["jobid"]
    assert len(requests.get(base + "/moment_tasks", params={"userid": "lisi"}).json()) == 1
    assert requests.post(f"{base}/moment_tasks/{jobid}/confirm", json={"userid": "lisi"}).json()["published"]

    before = state.clock.now()
    assert requests.post(base + "/clock/advance", json={"seconds": 3600}).json()["now"] >= before + 3600
    assert requests.post(base + "/tokens/expire").json()["expired"] == 0
    assert requests.post(base + "/faults", json={"path": "gettoken", "errcode": -1}).json()["times"] == 1
    assert requests.delete(base + "/faults").json() == {"cleared": True}
    assert requests.post(f"{base}/prospects/{ext}/delete_staff", json={}).json() == {"deleted": ["zhangsan"]}
    assert not state.contacts.is_friend("zhangsan", ext)

    other = state.contacts.add_prospect("lisi")["external_userid"]
    assert requests.post(base + "/staff/lisi/delete_contact", json={"external_userid": other}).ok
    requests.post(sandbox.api_base + "webhook/send", params={"key": "sandbox-robot-key"},
                  json={"msgtype": "markdown", "markdown": {"content": "**热线索**"}})
    assert len(requests.get(base + "/messages/robot/sandbox-robot-key").json()) == 1
    assert requests.get(base + "/messages/app/lisi").json() == []
    summary = requests.get(base + "/state").json()
    assert (summary["contacts"], summary["relations"], summary["chat_messages"]) == (2, 0, 1)
    assert requests.get(base + "/violations").json()["total"] == 0
