"""Create calls are never repeated after an ambiguous failure without checking whether they took effect."""
from __future__ import annotations

import pytest

from app.wecom.errors import OutcomeUnknown, Transient
from app.wecom.retry import RetryPolicy
from tests.gateway_helpers import prospect

TEXT = "春季新品上线，回复 1 了解详情"
# (fault kwargs, gateway timeout): a -1 reply, an HTTP 502, and a reply slower than the client's timeout.
FAULTS = {
    "errcode-1": (dict(errcode=-1), 2.0),
    "http502": (dict(http_status=502), 2.0),
    "timeout": (dict(delay=0.4), 0.15),
}
SLOW_SETTLE = RetryPolicy(attempts=4, base=0.01, max_delay=0.05, deadline=10.0, settle=0.5)


def _fault_ids():
    return [pytest.param(kind, after, id=f"{kind}-{'after' if after else 'before'}-effect")
            for kind in FAULTS for after in (True, False)]


@pytest.mark.parametrize(("kind", "after_effect"), _fault_ids())
def test_mass_send_task_exists_once_after_an_ambiguous_failure(sb, make_gateway, kind, after_effect):
    contact = prospect(sb)["external_userid"]
    fault, timeout = FAULTS[kind]
    gateway = make_gateway(timeout=timeout, retry=SLOW_SETTLE)
    sb.state.access.inject_fault("externalcontact/add_msg_template", after_effect=after_effect, **fault)
    created = gateway.sends.add_msg_template("zhangsan", [contact], TEXT)
    tasks = sb.state.campaigns.mass_tasks_for("zhangsan")
    assert [t["msgid"] for t in tasks] == [created.msgid]
    assert created.adopted == (after_effect or kind == "timeout")
    assert sb.state.core.calls_to("externalcontact/add_msg_template") == (1 if created.adopted else 2)
    assert sb.state.core.calls_to("externalcontact/get_groupmsg_list_v2") >= 1


@pytest.mark.parametrize(("kind", "after_effect"), _fault_ids())
def test_moment_task_exists_once_after_an_ambiguous_failure(sb, make_gateway, kind, after_effect):
    fault, timeout = FAULTS[kind]
    gateway = make_gateway(timeout=timeout, retry=SLOW_SETTLE)
    sb.state.access.inject_fault("externalcontact/add_moment_task", after_effect=after_effect, **fault)
    created = gateway.moments.add_moment_task(TEXT, sender_userids=["zhangsan", "lisi"])
    jobs = list(sb.state.moments.moment_tasks.values())
    assert len(jobs) == 1
    assert created.jobid == jobs[0].jobid or created.moment_id == jobs[0].moment_id
    assert created.adopted == (after_effect or kind == "timeout")
    assert sb.state.core.calls_to("externalcontact/add_moment_task") == (1 if created.adopted else 2)


def test_definite_rate_limit_is_retried_without_a_lookup(sb, gw):
    contact = prospect(sb)["external_userid"]
    sb.state.access.inject_fault("externalcontact/add_msg_template", errcode=45009, times=2)
    created = gw.sends.add_msg_template("zhangsan", [contact], TEXT)
    assert [t["msgid"] for t in sb.state.campaigns.mass_tasks_for("zhangsan")] == [created.msgid]
    assert sb.state.core.calls_to("externalcontact/add_msg_template") == 3
    assert sb.state.core.calls_to("externalcontact/get_groupmsg_list_v2") == 0


def test_same_text_for_another_sender_is_not_adopted(sb, gw):
    mine, theirs = prospect(sb, "zhangsan")["external_userid"], prospect(sb, "lisi")["external_userid"]
    other = gw.sends.add_msg_template("lisi", [theirs], TEXT)
    sb.state.access.inject_fault("externalcontact/add_msg_template", errcode=-1)
    created = gw.sends.add_msg_template("zhangsan", [mine], TEXT)
    assert created.msgid != other.msgid
    assert not created.adopted
    assert [t["msgid"] for t in sb.state.campaigns.mass_tasks_for("zhangsan")] == [created.msgid]


def test_failed_lookup_means_outcome_unknown_and_no_repeat(sb, gw):
    contact = prospect(sb)["external_userid"]
    sb.state.access.inject_fault("externalcontact/add_msg_template", errcode=-1, after_effect=True)
    sb.state.access.inject_fault("externalcontact/get_groupmsg_list_v2", http_status=503, times=20)
    with pytest.raises(OutcomeUnknown) as info:
        gw.sends.add_msg_template("zhangsan", [contact], TEXT)
    assert sb.state.core.calls_to("externalcontact/add_msg_template") == 1
    assert len(sb.state.campaigns.mass_tasks_for("zhangsan")) == 1
    sb.state.access.clear_faults()
    found = gw.sends.find_msg_template("zhangsan", TEXT, info.value.since)
    assert found == sb.state.campaigns.mass_tasks_for("zhangsan")[0]["msgid"]


def test_persistent_ambiguous_failures_end_as_outcome_unknown(sb, gw):
    sb.state.access.inject_fault("externalcontact/add_moment_task", errcode=-1, times=20)
    with pytest.raises(OutcomeUnknown):
        gw.moments.add_moment_task(TEXT, sender_userids=["zhangsan"])
    assert sb.state.core.calls_to("externalcontact/add_moment_task") == gw.transport.retrier.policy.attempts
    assert sb.state.moments.moment_tasks == {}


def test_ambiguous_failure_of_an_unsafe_write_is_not_repeated(sb, gw):
    sb.state.access.inject_fault("externalcontact/add_contact_way", http_status=502, after_effect=True)
    with pytest.raises(Transient):
        gw.channels.add_contact_way("spring-fair", ["zhangsan"])
    assert sb.state.core.calls_to("externalcontact/add_contact_way") == 1
    assert len(sb.state.contacts.contact_ways) == 1


def test_ambiguous_then_rate_limited_to_the_end_is_outcome_unknown(sb, gw):
    contact = prospect(sb)["external_userid"]
    sb.state.access.inject_fault("externalcontact/add_msg_template", errcode=-1)
    sb.state.access.inject_fault("externalcontact/add_msg_template", errcode=45009, times=20)
    with pytest.raises(OutcomeUnknown) as info:
        gw.sends.add_msg_template("zhangsan", [contact], TEXT)
    assert info.value.since > 0
    assert sb.state.campaigns.mass_tasks_for("zhangsan") == []
