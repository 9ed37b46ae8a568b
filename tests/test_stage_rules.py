"""Stage rules: every default rule fires where it should, and nowhere else."""
from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from app.store.book import SessionBook
from app.store.models import Base, Contact
from app.store.models.base import as_utc
from bots.journey import apply_signals, snapshot
from bots.stage_rules import ContactSnapshot, Signal, Transition, evaluate
from content.journey import Journey, load_journey

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
JOURNEY = load_journey()
SERIAL = itertools.count()

INLINE = """\
tag_group: 旅程
stages:
  - {key: first, name: 第一}
  - {key: second, name: 第二}
  - {key: third, name: 第三}
initial_stage: first
lead_statuses: {new: 新, mql: 市场, sql: 销售, customer: 客户, lost: 流失}
link_kinds: {case_study: 案例, pricing: 价格}
intents: {pricing: 价格, demo: 演示}
rules:
%s
segments:
  - {key: all, min_employees: 0, mql: 40, sql: 80}
default_segment: all
score_half_life_days: 14
"""


def inline(tmp_path: Path, rules: str) -> Journey:
    """Load a three-stage journey with the given rules block."""
    path = tmp_path / "journey.yaml"
    path.write_text(INLINE % rules, encoding="utf-8")
    return load_journey(path)


def contact(stage: str, lead_status: str = "new", idle_days: float | None = 1) -> ContactSnapshot:
    """A contact last active `idle_days` before NOW."""
    last = None if idle_days is None else NOW - timedelta(days=idle_days)
    return ContactSnapshot(stage, lead_status, last, last)


@pytest.fixture(scope="module")
def engine() -> Engine:
    """An in-memory SQLite database holding the contact tables."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    return engine


@pytest.fixture
def book(engine):
    """A contact book over a session that is rolled back after the test."""
    with Session(engine) as session:
        yield SessionBook(session)
        session.rollback()


def store(book: SessionBook, state: ContactSnapshot) -> Contact:
    """Store a contact in the given state (a new external userid each time)."""
    contact = Contact(external_userid=f"wm{next(SERIAL)}", stage=state.stage, lead_status=state.lead_status,
                      score=0.0, last_activity_at=state.last_activity_at, stage_entered_at=state.stage_entered_at,
                      created_at=NOW)
    book.session.add(contact)
    book.flush()
    return contact


def sig(kind: str, link_kind: str | None = None, intent: str | None = None, hours_ago: float = 1) -> Signal:
    """A signal `hours_ago` before NOW."""
    return Signal(kind, NOW - timedelta(hours=hours_ago), link_kind, intent, source=f"event:{kind}")


FIRES = [
    ("need_arises", "new", sig("replied"), "replied_to_nurture", "deeper_understanding", None,
     "回复了培育消息，进入深入认知阶段"),
    ("need_arises", "mql", sig("link_clicked", "case_study"), "read_proof_content", "deeper_understanding", None,
     "查看了客户案例，进入深入认知阶段"),
    ("need_arises", "new", sig("link_clicked", "whitepaper"), "read_proof_content", "deeper_understanding", None,
     "查看了白皮书，进入深入认知阶段"),
    ("need_arises", "new", sig("link_clicked", "webinar"), "read_proof_content", "deeper_understanding", None,
     "查看了直播回放，进入深入认知阶段"),
    ("deeper_understanding", "mql", sig("intent", intent="pricing"), "asked_buying_question", "product_selection",
     "sql", "咨询了价格，进入选择产品阶段，转为销售认可线索"),
    ("need_arises", "new", sig("intent", intent="demo"), "asked_buying_question", "product_selection", "sql",
     "咨询了产品演示，进入选择产品阶段，转为销售认可线索"),
    ("deeper_understanding", "new", sig("intent", intent="trial"), "asked_buying_question", "product_selection",
     "sql", "咨询了试用，进入选择产品阶段，转为销售认可线索"),
    ("product_selection", "mql", sig("intent", intent="evaluation"), "asked_buying_question", None, "sql",
     "咨询了选型评估，进入选择产品阶段，转为销售认可线索"),
    ("deeper_understanding", "mql", sig("intent", intent="contact"), "asked_for_sales", "product_selection", "sql",
     "表达了联系销售意向，进入选择产品阶段，转交销售跟进"),
    ("product_selection", "new", sig("intent", intent="purchase"), "asked_for_sales", None, "sql",
     "表达了购买意向，进入选择产品阶段，转交销售跟进"),
    ("deeper_understanding", "mql", sig("link_clicked", "quote"), "viewed_pricing", "product_selection", None,
     "查看了报价单，进入选择产品阶段"),
    ("need_arises", "new", sig("link_clicked", "pricing"), "viewed_pricing", "product_selection", None,
     "查看了价格方案，进入选择产品阶段"),
    ("deeper_understanding", "new", sig("link_clicked", "demo"), "viewed_pricing", "product_selection", None,
     "查看了产品演示，进入选择产品阶段"),
    ("product_selection", "sql", sig("signed"), "signed_contract", "onboarding", "customer",
     "销售登记已签约，进入上线使用阶段"),
    ("deeper_understanding", "lost", sig("signed"), "signed_contract", "onboarding", "customer",
     "销售登记已签约，进入上线使用阶段"),
    ("need_arises", "new", sig("signed"), "signed_contract", "onboarding", "customer",
     "销售登记已签约，进入上线使用阶段"),
    ("adoption", "customer", sig("signed"), "signed_renewal", "renewal_expansion", None,
     "销售登记续约或增购，进入续约增购阶段"),
    ("stickiness", "customer", sig("signed"), "signed_renewal", "renewal_expansion", None,
     "销售登记续约或增购，进入续约增购阶段"),
]


@pytest.mark.parametrize(("stage", "status", "signal", "rule_id", "stage_to", "status_to", "reason"), FIRES)
def test_default_rule_fires(stage: str, status: str, signal: Signal, rule_id: str, stage_to: str | None,
                            status_to: str | None, reason: str) -> None:
    move = evaluate(contact(stage, status), [signal], JOURNEY, NOW)
    assert move == Transition(
        stage_from=stage if stage_to else None, stage_to=stage_to,
        lead_status_from=status if status_to else None, lead_status_to=status_to,
        rule_id=rule_id, reason=reason, signal=signal, at=signal.at,
    )


def test_every_default_rule_has_a_firing_case() -> None:
    covered = {case[3] for case in FIRES} | {"went_quiet"}
    assert covered == {rule.id for rule in JOURNEY.rules}


@pytest.mark.parametrize(("stage", "idle_days"), [("deeper_understanding", 30), ("product_selection", 30),
                                                  ("deeper_understanding", 45)])
def test_went_quiet_fires_at_the_threshold(stage: str, idle_days: int) -> None:
    move = evaluate(contact(stage, "mql", idle_days=idle_days), [], JOURNEY, NOW)
    assert move == Transition(stage, "need_arises", None, None, "went_quiet",
                              f"已 {idle_days} 天没有互动，退回需求萌生阶段继续培育", None, NOW)


def test_idle_time_falls_back_to_stage_entry() -> None:
    entered = NOW - timedelta(days=30)
    move = evaluate(ContactSnapshot("product_selection", "sql", None, entered), [], JOURNEY, NOW)
    assert move is not None
    assert move.rule_id == "went_quiet"


NEVER = [
    ("deeper_understanding", "new", [sig("replied")], "reply past need_arises"),
    ("product_selection", "mql", [sig("link_clicked", "pricing")], "pricing click past its from-stages"),
    ("need_arises", "new", [sig("link_clicked", "blog")], "unknown link kind"),
    ("need_arises", "new", [sig("link_clicked")], "click without a link kind"),
    ("need_arises", "new", [sig("intent", intent="greeting")], "intent not in any rule"),
    ("need_arises", "new", [sig("intent")], "intent without a name"),
    ("need_arises", "new", [sig("manual")], "manual is not a rule"),
    ("need_arises", "new", [sig("inactive")], "inactive is computed, never signalled"),
    ("need_arises", "lost", [sig("replied"), sig("intent", intent="pricing")], "lost contacts ignore nurture"),
    ("onboarding", "customer", [sig("intent", intent="purchase")], "customers ignore nurture"),
    ("onboarding", "customer", [sig("signed")], "no rule signs during onboarding"),
    ("renewal_expansion", "customer", [sig("signed")], "signed_renewal never moves backwards"),
    ("product_selection", "sql", [sig("intent", intent="pricing")], "same stage, same lead status"),
    ("adoption", "new", [sig("link_clicked", "case_study")], "later stages ignore nurture rules"),
]


@pytest.mark.parametrize(("stage", "status", "signals", "why"), NEVER, ids=[case[3] for case in NEVER])
def test_default_rule_does_not_fire(stage: str, status: str, signals: list[Signal], why: str) -> None:
    assert evaluate(contact(stage, status), signals, JOURNEY, NOW) is None


@pytest.mark.parametrize(("stage", "status", "idle_days"), [
    ("deeper_understanding", "mql", 29), ("deeper_understanding", "mql", 30 - 1 / 24 / 60),
    ("need_arises", "new", 400), ("onboarding", "customer", 400), ("product_selection", "lost", 400),
    ("deeper_understanding", "new", None),
])
def test_went_quiet_does_not_fire(stage: str, status: str, idle_days: float | None) -> None:
    assert evaluate(contact(stage, status, idle_days=idle_days), [], JOURNEY, NOW) is None


def test_a_recent_unmatched_signal_counts_as_activity() -> None:
    quiet = contact("deeper_understanding", "mql", idle_days=40)
    assert evaluate(quiet, [sig("replied", hours_ago=2)], JOURNEY, NOW) is None


def test_earliest_matching_signal_wins() -> None:
    late, early = sig("intent", intent="pricing", hours_ago=1), sig("replied", hours_ago=5)
    move = evaluate(contact("need_arises"), [late, early], JOURNEY, NOW)
    assert (move.rule_id, move.signal) == ("replied_to_nurture", early)


def test_unmatched_early_signal_lets_a_later_one_fire() -> None:
    signals = [sig("link_clicked", "blog", hours_ago=5), sig("link_clicked", "quote", hours_ago=1)]
    move = evaluate(contact("deeper_understanding"), signals, JOURNEY, NOW)
    assert (move.rule_id, move.signal) == ("viewed_pricing", signals[1])


def test_first_rule_in_file_order_wins(tmp_path: Path) -> None:
    journey = inline(tmp_path, """\
  - {id: near, on: replied, from: [first], to: second, reason: 近}
  - {id: far, on: replied, from: [first], to: third, reason: 远}""")
    assert evaluate(contact("first"), [sig("replied")], journey, NOW).rule_id == "near"


def test_a_no_op_rule_gives_way_to_the_next(tmp_path: Path) -> None:
    journey = inline(tmp_path, """\
  - {id: stay, on: replied, from: "*", to: second, reason: 留}
  - {id: onward, on: replied, from: [second], to: third, reason: 进}""")
    assert evaluate(contact("second"), [sig("replied")], journey, NOW).rule_id == "onward"


def test_star_rule_never_moves_backwards_without_the_flag(tmp_path: Path) -> None:
    journey = inline(tmp_path, '  - {id: back, on: replied, from: "*", to: second, reason: 回}')
    assert evaluate(contact("third"), [sig("replied")], journey, NOW) is None
    assert evaluate(contact("first"), [sig("replied")], journey, NOW).stage_to == "second"


def test_backward_flag_allows_moving_back(tmp_path: Path) -> None:
    journey = inline(tmp_path, '  - {id: back, on: replied, from: "*", to: first, backward: true, reason: 回}')
    move = evaluate(contact("third"), [sig("replied")], journey, NOW)
    assert (move.stage_from, move.stage_to) == ("third", "first")


def test_lead_status_is_never_lowered_without_the_flag(tmp_path: Path) -> None:
    journey = inline(tmp_path, "  - {id: warm, on: replied, from: [first], to: second, lead_status: mql, reason: 暖}")
    move = evaluate(contact("first", "sql"), [sig("replied")], journey, NOW)
    assert (move.stage_to, move.lead_status_from, move.lead_status_to) == ("second", None, None)


def test_customers_stay_customers(tmp_path: Path) -> None:
    journey = inline(tmp_path, "  - {id: again, on: signed, from: [first], to: second, lead_status: sql, reason: 签}")
    move = evaluate(contact("first", "customer"), [sig("signed")], journey, NOW)
    assert (move.stage_to, move.lead_status_to) == ("second", None)


def test_reason_without_a_link_kind_still_names_the_trigger(tmp_path: Path) -> None:
    journey = inline(tmp_path,
                     "  - {id: any, on: link_clicked, from: [first], to: second, reason: '点击了{link_kind}'}")
    assert evaluate(contact("first"), [sig("link_clicked")], journey, NOW).reason == "点击了链接"
    assert evaluate(contact("first"), [sig("link_clicked", "blog")], journey, NOW).reason == "点击了blog"


def test_a_signal_moves_the_stored_contact_and_records_when(book) -> None:
    before = contact("need_arises", idle_days=3)
    signal = sig("intent", intent="pricing", hours_ago=2)
    stored = store(book, before)
    changes, _ = apply_signals(book, stored, [signal], JOURNEY, NOW)
    assert snapshot(stored) == ContactSnapshot("product_selection", "sql", before.last_activity_at, signal.at)
    assert [(c.axis, c.to_value, c.rule_id, as_utc(c.created_at)) for c in changes] == [
        ("stage", "product_selection", "asked_buying_question", signal.at),
        ("lead_status", "sql", "asked_buying_question", signal.at)]
    book.change_axis(stored, "lead_status", "mql", "test")
    more, _ = apply_signals(book, stored, [sig("intent", intent="purchase", hours_ago=1)], JOURNEY, NOW)
    assert [(c.axis, c.to_value) for c in more] == [("lead_status", "sql")]
    assert as_utc(stored.stage_entered_at) == signal.at


def test_inactivity_moves_back_once_and_keeps_last_activity(book) -> None:
    before = contact("deeper_understanding", "mql", idle_days=31)
    stored = store(book, before)
    changes, _ = apply_signals(book, stored, [], JOURNEY, NOW)
    assert [(c.to_value, c.rule_id) for c in changes] == [("need_arises", "went_quiet")]
    assert snapshot(stored) == ContactSnapshot("need_arises", "mql", before.last_activity_at, NOW)


def test_signals_walk_the_journey_one_rule_at_a_time(book) -> None:
    stored = store(book, contact("need_arises"))
    signals = [sig("replied", hours_ago=3), sig("intent", intent="demo", hours_ago=2), sig("signed", hours_ago=1)]
    changes, _ = apply_signals(book, stored, signals, JOURNEY, NOW)
    assert list(dict.fromkeys(c.rule_id for c in changes)) == [
        "replied_to_nurture", "asked_buying_question", "signed_contract"]
    assert (stored.stage, stored.lead_status) == ("onboarding", "customer")


STAGES = [stage.key for stage in JOURNEY.stages]
signals_strategy = st.lists(
    st.builds(
        Signal,
        kind=st.sampled_from(["replied", "link_clicked", "intent", "signed", "manual"]),
        at=st.integers(-90 * 24, 0).map(lambda hours: NOW + timedelta(hours=hours)),
        link_kind=st.none() | st.sampled_from([*JOURNEY.link_kinds, "blog"]),
        intent=st.none() | st.sampled_from([*JOURNEY.intents, "greeting"]),
        source=st.sampled_from(["", "event:1", "link:abc"]),
    ),
    max_size=6,
)
contacts_strategy = st.builds(
    ContactSnapshot,
    stage=st.sampled_from(STAGES),
    lead_status=st.sampled_from(list(JOURNEY.lead_statuses)),
    last_activity_at=st.none() | st.integers(0, 200).map(lambda days: NOW - timedelta(days=days)),
    stage_entered_at=st.none() | st.integers(0, 200).map(lambda days: NOW - timedelta(days=days)),
)


@settings(max_examples=300, deadline=None)
@given(contacts_strategy.filter(lambda c: c.stage_entered_at is not None), signals_strategy)
def test_without_backward_rules_stages_never_go_back(engine, start: ContactSnapshot, signals: list[Signal]) -> None:
    forward = dataclasses.replace(JOURNEY, rules=tuple(rule for rule in JOURNEY.rules if not rule.backward))
    with Session(engine) as session:
        book = SessionBook(session)
        changes, _ = apply_signals(book, store(book, start), signals, forward, NOW)
        session.rollback()
    for change in (c for c in changes if c.axis == "stage"):
        assert forward.index(change.to_value) >= forward.index(change.from_value)


@settings(max_examples=300, deadline=None)
@given(contacts_strategy, signals_strategy, st.randoms(use_true_random=False))
def test_evaluate_is_deterministic_and_ignores_input_order(start: ContactSnapshot, signals: list[Signal],
                                                          rng) -> None:
    shuffled = list(signals)
    rng.shuffle(shuffled)
    first = evaluate(start, signals, JOURNEY, NOW)
    assert first == evaluate(start, signals, JOURNEY, NOW) == evaluate(start, shuffled, JOURNEY, NOW)


@settings(max_examples=300, deadline=None)
@given(contacts_strategy, signals_strategy)
def test_lost_and_customers_move_only_when_signed(start: ContactSnapshot, signals: list[Signal]) -> None:
    move = evaluate(start, signals, JOURNEY, NOW)
    if move is None or start.lead_status not in ("lost", "customer"):
        return
    assert move.signal is not None
    assert move.signal.kind == "signed"
    if start.lead_status == "customer":
        assert move.lead_status_to is None
