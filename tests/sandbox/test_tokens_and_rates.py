"""Access tokens, API frequency limits, app-message and robot limits, over real HTTP."""
from __future__ import annotations

import requests

from tests.sandbox.conftest import CORP_ID, Api


def test_gettoken_rejects_bad_corpid_and_secret(sandbox):
    url = sandbox.api_base + "gettoken"
    assert requests.get(url, params={"corpid": "wrong",
                                     "corpsecret": "sandbox-contact-secret"}).json()["errcode"] == 40013
    assert requests.get(url, params={"corpid": CORP_ID, "corpsecret": "nope"}).json()["errcode"] == 40001
    ok = requests.get(url, params={"corpid": CORP_ID, "corpsecret": "sandbox-app-secret"}).json()
    assert ok["errcode"] == 0
    assert ok["expires_in"] == 7200
    assert ok["access_token"]


def test_missing_invalid_and_expired_tokens(sandbox, api):
    url = sandbox.api_base + "externalcontact/get_follow_user_list"
    assert requests.get(url).json()["errcode"] == 41001
    assert requests.get(url, params={"access_token": "forged"}).json()["errcode"] == 40014
    assert api.get("externalcontact/get_follow_user_list")["follow_user"] == ["zhangsan", "lisi", "wangwu"]
    sandbox.state.clock.advance(7199)
    assert api.get("externalcontact/get_follow_user_list")["errcode"] == 0
    sandbox.state.clock.advance(2)
    assert api.get("externalcontact/get_follow_user_list")["errcode"] == 42001
    api.fetch_token()
    assert api.get("externalcontact/get_follow_user_list")["errcode"] == 0


def test_tokens_can_be_revoked_early(sandbox, api):
    api.fetch_token()
    sandbox.state.access.expire_tokens()
    assert api.get("externalcontact/get_follow_user_list")["errcode"] == 42001


def test_api_frequency_limit_per_endpoint(start_sandbox):
    sandbox = start_sandbox(api_per_minute=5)
    api = Api(sandbox)
    api.fetch_token()
    codes = [api.get("externalcontact/get_follow_user_list")["errcode"] for _ in range(6)]
    assert codes == [0, 0, 0, 0, 0, 45009]
    assert api.get("externalcontact/list", userid="zhangsan")["errcode"] == 0
    assert sandbox.state.core.violations == {"api_rate": 1}
    sandbox.state.clock.advance(61)
    assert api.get("externalcontact/get_follow_user_list")["errcode"] == 0
    assert sandbox.state.core.calls_to("externalcontact/get_follow_user_list") == 7


def test_robot_rate_limit_answers_45009(sandbox):
    url = sandbox.api_base + "webhook/send"
    body = {"msgtype": "text", "text": {"content": "热线索：王先生询价"}}
    codes = [requests.post(url, params={"key": "sandbox-robot-key"}, json=body).json()["errcode"] for _ in range(21)]
    assert codes == [0] * 20 + [45009]
    assert len(sandbox.state.messaging.robot_messages("sandbox-robot-key")) == 20
    assert sandbox.state.core.violations == {"robot_rate": 1}
    assert requests.post(url, params={"key": "unknown"}, json=body).json()["errcode"] == 93000
    sandbox.state.clock.advance(60)
    assert requests.post(url, params={"key": "sandbox-robot-key"}, json=body).json()["errcode"] == 0


def test_app_messages_over_member_limits_are_dropped_silently(sandbox, api):
    body = {"touser": "lisi|ghost", "msgtype": "text", "agentid": 1000002, "text": {"content": "新线索"}}
    answers = [api.post("message/send", body) for _ in range(31)]
    assert all(a["errcode"] == 0 and a["invaliduser"] == "ghost" for a in answers)
    assert len(sandbox.state.messaging.app_messages_for("lisi")) == 30
    assert sandbox.state.core.violations == {"app_msg_rate": 1}
    for _ in range(33):
        sandbox.state.clock.advance(61)
        for _ in range(30):
            api.post("message/send", body)
    assert len(sandbox.state.messaging.app_messages_for("lisi")) == 1000


def test_app_message_validation(sandbox, api):
    base = {"touser": "lisi", "agentid": 1000002}
    assert api.post("message/send", {**base, "msgtype": "voice", "voice": {}})["errcode"] == 40008
    assert api.post("message/send", {**base, "agentid": 1, "msgtype": "text",
                                      "text": {"content": "x"}})["errcode"] == 40056
    assert api.post("message/send", {**base, "touser": "ghost", "msgtype": "text",
                                      "text": {"content": "x"}})["errcode"] == 81013
    card = {"title": "热线索", "description": "王先生询价", "url": "https://example.com"}
    assert api.post("message/send", {**base, "msgtype": "textcard", "textcard": card})["errcode"] == 0


def test_get_on_a_post_only_endpoint_and_unknown_paths(sandbox, api):
    assert api.get("externalcontact/add_msg_template")["errcode"] == 43002
    resp = requests.get(sandbox.api_base + "externalcontact/unknown_thing")
    assert resp.status_code == 404
    assert resp.json()["errcode"] == 48001
