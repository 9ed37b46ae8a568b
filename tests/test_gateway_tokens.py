"""The access token: fetched through the configured base URL, shared through Redis, refreshed once."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.settings import Settings
from app.wecom.errors import BadCredentials
from app.wecom.gateway import Gateway, build_gateway, gateway_for
from tests.gateway_helpers import CORP_ID


def test_token_comes_from_the_configured_base_url(sb, gw):
    assert gw.follow_users() == list(sb.state.config.staff)
    paths = [c["path"] for c in sb.state.calls]
    assert paths == ["gettoken", "externalcontact/get_follow_user_list"]


def test_two_gateways_share_one_token_through_redis(sb, make_gateway):
    first, second = make_gateway(), make_gateway()
    first.follow_users()
    second.follow_users()
    second.follow_users()
    assert sb.state.calls_to("gettoken") == 1
    assert sb.state.calls_to("externalcontact/get_follow_user_list") == 3


def test_without_redis_each_process_keeps_its_own_token(sb, make_gateway):
    first, second = make_gateway(redis=None), make_gateway(redis=None)
    first.follow_users()
    first.follow_users()
    second.follow_users()
    assert sb.state.calls_to("gettoken") == 2


def test_revoked_token_is_refreshed_once_and_the_call_succeeds(sb, gw):
    gw.follow_users()
    sb.state.expire_tokens()
    assert gw.follow_users()
    assert sb.state.calls_to("gettoken") == 2
    assert [c["errcode"] for c in sb.state.calls if c["path"] != "gettoken"] == [0, 42001, 0]


def test_token_expired_by_the_clock_is_refreshed_once(sb, make_gateway):
    first, second = make_gateway(), make_gateway()
    first.follow_users()
    sb.state.clock.advance(sb.state.config.token_ttl + 1)
    first.follow_users()
    second.follow_users()  # sees the token `first` refreshed: no third fetch
    assert sb.state.calls_to("gettoken") == 2


def test_invalid_token_in_redis_is_replaced(sb, make_gateway, redis):
    first = make_gateway()
    first.follow_users()
    key = f"wecom:{first.client.access_token_key}"
    redis.set(key, redis.get(key).replace(b'"token": "', b'"token": "garbage'))
    make_gateway().follow_users()
    assert sb.state.calls_to("gettoken") == 2
    assert [c["errcode"] for c in sb.state.calls if c["path"] != "gettoken"] == [0, 40014, 0]


def test_a_fresh_token_stays_in_the_process(sb, gw, redis):
    gw.follow_users()
    redis.delete(f"wecom:{gw.client.access_token_key}")
    gw.follow_users()
    assert sb.state.calls_to("gettoken") == 1
    assert [c["errcode"] for c in sb.state.calls if c["path"] != "gettoken"] == [0, 0]


def test_wrong_secret_is_a_permanent_error(sb, redis):
    gateway = Gateway(CORP_ID, "not-the-secret", api_base=sb.api_base, redis=redis)
    with pytest.raises(BadCredentials) as info:
        gateway.follow_users()
    assert info.value.errcode == 40001
    assert info.value.endpoint == "gettoken"
    assert sb.state.calls_to("externalcontact/get_follow_user_list") == 0


def test_from_settings_uses_the_configured_base(sb, redis):
    settings = Settings(wecom_api_base=sb.api_base, _env_file=None)
    gateway = build_gateway(settings, redis)
    assert gateway.follow_users() == list(sb.state.config.staff)
    assert gateway.agent_id == settings.wecom_agent_id
    assert sb.state.calls_to("gettoken") == 1


def test_services_hook_builds_one_gateway(sb, redis):
    services = SimpleNamespace(settings=Settings(wecom_api_base=sb.api_base, _env_file=None), redis=redis, extras={})
    assert gateway_for(services) is gateway_for(services)
    assert gateway_for(services).follow_users()
