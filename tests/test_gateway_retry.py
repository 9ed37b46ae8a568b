"""Retries: rate-limit bursts and transient errors are retried with backoff; permanent errors are not."""
from __future__ import annotations

import random

import pytest

from app.wecom.errors import InvalidExternalUser, InvalidUser, NotFriend, RateLimited, Transient
from app.wecom.retry import Retrier, RetryPolicy
from tests.gateway_helpers import prospect

FOLLOW = "externalcontact/get_follow_user_list"


def test_rate_limit_burst_backs_off_then_succeeds(sb, make_gateway):
    pauses: list[float] = []
    gateway = make_gateway(sleep=pauses.append)
    sb.state.access.inject_fault(FOLLOW, errcode=45009, times=3)
    assert gateway.directory.follow_users() == list(sb.state.config.staff)
    assert [c["errcode"] for c in sb.state.core.calls if c["path"] == FOLLOW] == [45009, 45009, 45009, 0]
    assert len(pauses) == 3
    assert pauses[0] < pauses[2]


@pytest.mark.parametrize("fault", [dict(errcode=-1), dict(http_status=503), dict(errcode=45033)],
                         ids=["errcode-1", "http503", "45033"])
def test_transient_read_failures_are_retried(sb, gw, fault):
    sb.state.access.inject_fault(FOLLOW, times=2, **fault)
    assert gw.directory.follow_users()
    assert sb.state.core.calls_to(FOLLOW) == 3


def test_read_timeout_is_retried(sb, make_gateway):
    gateway = make_gateway(timeout=0.15)
    sb.state.access.inject_fault(FOLLOW, delay=0.4)
    assert gateway.directory.follow_users()
    assert sb.state.core.calls_to(FOLLOW) == 2


def test_retries_stop_after_the_attempt_budget(sb, gw):
    sb.state.access.inject_fault(FOLLOW, errcode=-1, times=50)
    with pytest.raises(Transient) as info:
        gw.directory.follow_users()
    assert info.value.errcode == -1
    assert info.value.endpoint == FOLLOW
    assert sb.state.core.calls_to(FOLLOW) == gw.transport.retrier.policy.attempts


def test_retries_stop_at_the_total_deadline(sb, make_gateway):
    now = [1000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    gateway = make_gateway(sleep=sleep, clock=lambda: now[0],
                           retry=RetryPolicy(attempts=100, base=1.0, max_delay=4.0, deadline=10.0))
    sb.state.access.inject_fault(FOLLOW, errcode=45009, times=100)
    with pytest.raises(RateLimited):
        gateway.directory.follow_users()
    assert now[0] <= 1010.0
    assert 3 <= sb.state.core.calls_to(FOLLOW) < 100


def test_unknown_external_user_is_not_retried(sb, gw):
    with pytest.raises(InvalidExternalUser) as info:
        gw.directory.get_contact("wmNoSuchContact")
    assert (info.value.errcode, info.value.endpoint) == (40096, "externalcontact/get")
    assert sb.state.core.calls_to("externalcontact/get") == 1


def test_no_relation_is_not_retried(sb, gw):
    ext = prospect(sb, "zhangsan")["external_userid"]
    with pytest.raises(NotFriend):
        gw.directory.mark_tag("lisi", ext, add=["etAnything"])
    assert sb.state.core.calls_to("externalcontact/mark_tag") == 1


def test_unknown_staff_is_not_retried(sb, gw):
    with pytest.raises(InvalidUser):
        gw.channels.add_contact_way("spring-fair", ["nobody"])
    assert sb.state.core.calls_to("externalcontact/add_contact_way") == 1


def test_errors_never_carry_the_request_body(sb, gw):
    ext = prospect(sb)["external_userid"]
    sb.state.access.inject_fault("externalcontact/add_msg_template", errcode=40003)
    with pytest.raises(InvalidUser) as info:
        gw.sends.add_msg_template("zhangsan", [ext], "私密内容 secret words")
    assert "secret" not in str(info.value)
    assert "secret" not in repr(info.value.__dict__)


def test_backoff_has_jitter_and_a_ceiling():
    policy = RetryPolicy(base=1.0, factor=2.0, max_delay=5.0)
    rng = random.Random(7)
    waits = [policy.backoff(n, rng) for n in range(6)]
    assert 0.5 <= waits[0] <= 1.0
    assert all(2.5 <= w <= 5.0 for w in waits[3:])
    assert len({round(w, 6) for w in waits[3:]}) == 3


def test_unsafe_call_is_not_repeated_after_an_ambiguous_failure():
    calls = []

    def fn():
        calls.append(1)
        raise Transient(None, "ReadTimeout", "x", ambiguous=True)

    with pytest.raises(Transient):
        Retrier(RetryPolicy(base=0.0), sleep=lambda s: None).run(fn, safe=False)
    assert len(calls) == 1
