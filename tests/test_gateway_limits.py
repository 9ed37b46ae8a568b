"""Client-side limits shared through Redis keep us under WeCom's limits, including the silent ones."""
from __future__ import annotations

import pytest

from app.wecom.errors import RateLimited
from app.wecom.ratelimit import Limiter, RateLimits

FOLLOW = "externalcontact/get_follow_user_list"


def test_limit_is_shared_by_two_gateways_through_redis(sb, make_gateway):
    limits = RateLimits(api_per_minute=5, max_wait=0.0)
    first, second = make_gateway(limits=limits), make_gateway(limits=limits)
    for _ in range(3):
        first.directory.follow_users()
    for _ in range(2):
        second.directory.follow_users()
    with pytest.raises(RateLimited) as info:
        second.directory.follow_users()
    assert info.value.local
    assert 0 < info.value.retry_after <= 60
    assert info.value.endpoint == FOLLOW
    assert sb.state.core.calls_to(FOLLOW) == 5
    assert first.directory.list_corp_tags() == []  # another endpoint has its own allowance


def test_limiter_waits_a_bounded_time_then_refuses(redis):
    pauses: list[float] = []
    limiter = Limiter.create(redis, RateLimits(api_per_minute=1, max_wait=100.0), sleep=pauses.append)
    limiter.api("corp", "externalcontact/get")
    with pytest.raises(RateLimited):
        limiter.api("corp", "externalcontact/get")
    assert len(pauses) == 1
    assert 50 < pauses[0] <= 60


def test_robot_is_held_under_20_a_minute_client_side(sb, gw):
    key = sb.state.config.robot_keys[0]
    for i in range(20):
        gw.alerts.send_robot(key, "text", f"alert {i}")
    for _ in range(5):
        with pytest.raises(RateLimited):
            gw.alerts.send_robot(key, "text", "one too many")
    assert len(sb.state.messaging.robot_messages(key)) == 20
    assert sb.state.core.calls_to("webhook/send") == 20
    assert sb.state.core.violations.get("robot_rate", 0) == 0


def test_app_messages_are_counted_per_member(sb, make_gateway):
    gateway = make_gateway(limits=RateLimits(member_per_minute=3, max_wait=0.0))
    for _ in range(3):
        gateway.alerts.send_app_message("zhangsan", "text", "lead")
    with pytest.raises(RateLimited):
        gateway.alerts.send_app_message(["lisi", "zhangsan"], "text", "lead")
    gateway.alerts.send_app_message("lisi", "text", "lead")
    assert len(sb.state.messaging.app_messages_for("zhangsan")) == 3
    assert len(sb.state.messaging.app_messages_for("lisi")) == 1
    assert sb.state.core.violations.get("app_msg_rate", 0) == 0


def test_sandbox_default_member_limit_is_never_hit(sb, gw):
    for _ in range(35):
        try:
            gw.alerts.send_app_message("wangwu", "text", "ping")
        except RateLimited:
            pass
    assert len(sb.state.messaging.app_messages_for("wangwu")) == 30
    assert sb.state.core.violations == {}
