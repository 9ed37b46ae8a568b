"""The access token: fetched through the configured base URL, shared through Redis, refreshed once."""
from __future__ import annotations

import pytest

from app.settings import Settings
from app.store.db import make_engine, upgrade
from app.wecom.errors import BadCredentials
from app.wecom.gateway import Gateway, build_gateway
from app.wiring import build_services
from tests.gateway_helpers import CORP_ID, SECRET
from tests.settings import make_settings


def test_token_comes_from_the_configured_base_url(sb, gw):
    assert gw.directory.follow_users() == list(sb.state.config.staff)
    paths = [c["path"] for c in sb.state.core.calls]
    assert paths == ["gettoken", "externalcontact/get_follow_user_list"]


def test_two_gateways_share_one_token_through_redis(sb, make_gateway):
    first, second = make_gateway(), make_gateway()
    first.directory.follow_users()
    second.directory.follow_users()
    second.directory.follow_users()
    assert sb.state.core.calls_to("gettoken") == 1
    assert sb.state.core.calls_to("externalcontact/get_follow_user_list") == 3


def test_without_redis_each_process_keeps_its_own_token(sb, make_gateway):
    first, second = make_gateway(redis=None), make_gateway(redis=None)
    first.directory.follow_users()
    first.directory.follow_users()
    second.directory.follow_users()
    assert sb.state.core.calls_to("gettoken") == 2


def test_revoked_token_is_refreshed_once_and_the_call_succeeds(sb, gw):
    gw.directory.follow_users()
    sb.state.access.expire_tokens()
    assert gw.directory.follow_users()
    assert sb.state.core.calls_to("gettoken") == 2
    assert [c["errcode"] for c in sb.state.core.calls if c["path"] != "gettoken"] == [0, 42001, 0]


def test_token_expired_by_the_clock_is_refreshed_once(sb, make_gateway):
    first, second = make_gateway(), make_gateway()
    first.directory.follow_users()
    sb.state.clock.advance(sb.state.config.token_ttl + 1)
    first.directory.follow_users()
    second.directory.follow_users()  # sees the token `first` refreshed: no third fetch
    assert sb.state.core.calls_to("gettoken") == 2


def test_invalid_token_in_redis_is_replaced(sb, make_gateway, redis):
    first = make_gateway()
    first.directory.follow_users()
    key = f"wecom:{first.transport.client.access_token_key}"
    redis.set(key, redis.get(key).replace(b'"token": "', b'"token": "garbage'))
    make_gateway().directory.follow_users()
    assert sb.state.core.calls_to("gettoken") == 2
    assert [c["errcode"] for c in sb.state.core.calls if c["path"] != "gettoken"] == [0, 40014, 0]


def test_a_fresh_token_stays_in_the_process(sb, gw, redis):
    gw.directory.follow_users()
    redis.delete(f"wecom:{gw.transport.client.access_token_key}")
    gw.directory.follow_users()
    assert sb.state.core.calls_to("gettoken") == 1
    assert [c["errcode"] for c in sb.state.core.calls if c["path"] != "gettoken"] == [0, 0]


def test_wrong_secret_is_a_permanent_error(sb, redis):
    gateway = Gateway(CORP_ID, "not-the-secret", api_base=sb.api_base, redis=redis)
    with pytest.raises(BadCredentials) as info:
        gateway.directory.follow_users()
    assert info.value.errcode == 40001
    assert info.value.endpoint == "gettoken"
    assert sb.state.core.calls_to("externalcontact/get_follow_user_list") == 0


def test_from_settings_uses_the_configured_base(sb, redis):
    settings = Settings(wecom_api_base=sb.api_base, _env_file=None)
    gateway = build_gateway(settings, redis)
    assert gateway.directory.follow_users() == list(sb.state.config.staff)
    assert gateway.alerts.agent_id == settings.wecom_agent_id
    assert sb.state.core.calls_to("gettoken") == 1


def test_services_build_one_gateway_and_a_fresh_one_after_fork(sb, redis_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'scrm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    services = build_services(make_settings(url, redis_url, wecom_api_base=sb.api_base, wecom_corp_id=CORP_ID,
                                             wecom_secret=SECRET))
    try:
        first = services.gateway
        assert services.gateway is first
        assert first.directory.follow_users() == list(sb.state.config.staff)
        services.after_fork()
        assert services.gateway is not first
        assert services.gateway.directory.follow_users() == list(sb.state.config.staff)
        assert sb.state.core.calls_to("gettoken") == 1  # the token is shared through Redis, not the object
    finally:
        services.close()
