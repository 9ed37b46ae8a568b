"""Welcome messages: single-use codes, a 20-second window, and self-checking repeats."""
from __future__ import annotations

import time

import pytest

from app.wecom.errors import Transient, WelcomeCodeExpired, WelcomeCodeUsed
from tests.gateway_helpers import prospect

PATH = "externalcontact/send_welcome_msg"


def test_welcome_is_sent_once(sb, gw):
    added = prospect(sb)
    sent = gw.sends.send_welcome_msg(added["welcome_code"], "欢迎！", deadline=time.time() + 20)
    assert not sent.on_earlier_attempt
    assert [m["text"] for m in sb.state.contacts.welcome_messages_for(added["external_userid"])] == ["欢迎！"]


def test_welcome_code_used_twice(sb, gw):
    added = prospect(sb)
    gw.sends.send_welcome_msg(added["welcome_code"], "欢迎！")
    with pytest.raises(WelcomeCodeUsed) as info:
        gw.sends.send_welcome_msg(added["welcome_code"], "欢迎！")
    assert info.value.errcode == 41051
    assert info.value.endpoint == PATH
    assert sb.state.core.calls_to(PATH) == 2
    assert len(sb.state.contacts.welcome_messages_for(added["external_userid"])) == 1


def test_welcome_code_past_its_window_is_not_retried(sb, gw):
    added = prospect(sb)
    sb.state.clock.advance(21)
    with pytest.raises(WelcomeCodeExpired):
        gw.sends.send_welcome_msg(added["welcome_code"], "欢迎！")
    assert sb.state.core.calls_to(PATH) == 1


def test_past_deadline_makes_no_call(sb, gw):
    added = prospect(sb)
    with pytest.raises(WelcomeCodeExpired):
        gw.sends.send_welcome_msg(added["welcome_code"], "欢迎！", deadline=time.time() - 1)
    assert sb.state.core.calls_to(PATH) == 0


@pytest.mark.parametrize("fault", [dict(errcode=-1), dict(http_status=502)], ids=["errcode-1", "http502"])
def test_ambiguous_attempt_that_took_effect_is_recognised(sb, gw, fault):
    added = prospect(sb)
    sb.state.access.inject_fault(PATH, after_effect=True, **fault)
    sent = gw.sends.send_welcome_msg(added["welcome_code"], "欢迎！", deadline=time.time() + 20)
    assert sent.on_earlier_attempt
    assert sb.state.core.calls_to(PATH) == 2
    assert len(sb.state.contacts.welcome_messages_for(added["external_userid"])) == 1


def test_ambiguous_timeout_that_took_effect_is_recognised(sb, make_gateway):
    gateway = make_gateway(timeout=0.15)
    added = prospect(sb)
    sb.state.access.inject_fault(PATH, delay=0.4, after_effect=True)
    sent = gateway.sends.send_welcome_msg(added["welcome_code"], "欢迎！", deadline=time.time() + 20)
    assert sent.on_earlier_attempt
    assert len(sb.state.contacts.welcome_messages_for(added["external_userid"])) == 1


def test_ambiguous_attempt_without_effect_is_repeated(sb, gw):
    added = prospect(sb)
    sb.state.access.inject_fault(PATH, errcode=-1)
    sent = gw.sends.send_welcome_msg(added["welcome_code"], "欢迎！", deadline=time.time() + 20)
    assert not sent.on_earlier_attempt
    assert len(sb.state.contacts.welcome_messages_for(added["external_userid"])) == 1


def test_code_used_by_another_app_after_a_definite_rejection(sb, gw):
    added = prospect(sb)
    sb.state.access.inject_fault(PATH, errcode=45009)
    sb.state.contacts.send_welcome({"welcome_code": added["welcome_code"], "text": {"content": "other app"}})
    with pytest.raises(WelcomeCodeUsed):
        gw.sends.send_welcome_msg(added["welcome_code"], "欢迎！", deadline=time.time() + 20)


def test_no_attempt_after_the_deadline(sb, make_gateway):
    gateway = make_gateway()
    added = prospect(sb)
    sb.state.access.inject_fault(PATH, errcode=-1, times=50)
    started: list[float] = []
    attempt = gateway.transport.call

    def timed(method, path, **kwargs):
        """The transport's call, noting when each attempt starts (the server's stamp adds the transit time)."""
        started.append(time.time())
        return attempt(method, path, **kwargs)

    gateway.transport.call = timed  # type: ignore[method-assign]
    deadline = time.time() + 0.05
    with pytest.raises(Transient):
        gateway.sends.send_welcome_msg(added["welcome_code"], "欢迎！", deadline=deadline)
    assert started
    assert max(started) < deadline
    assert len([c for c in sb.state.core.calls if c["path"] == PATH]) == len(started)
    assert sb.state.contacts.welcome_messages_for(added["external_userid"]) == []
