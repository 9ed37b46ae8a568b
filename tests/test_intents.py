"""Table tests for the intent classifier: each intent, negation, opt-outs, English and traditional text."""
from __future__ import annotations

import pytest

from bots.intents import IntentModel, classify, load_intents
from content.journey import load_journey


@pytest.fixture(scope="module")
def model() -> IntentModel:
    """The shipped intents file."""
    return load_intents()


HOT = [
    ("你们这个系统怎么收费？", "pricing", "怎么收费"),
    ("一个账号多少钱", "pricing", "多少钱"),
    ("续费价格能优惠吗", "pricing", "续费"),
    ("能给我们演示一下吗", "demo", "演示"),
    ("可以试用吗", "trial", "试用"),
    ("能开个账号先试试吗", "trial", "开个账号"),
    ("我们准备下单了", "purchase", "下单"),
    ("合同模板发我一下", "purchase", "合同"),
    ("我们这边要走招标流程", "purchase", "招标"),
    ("支持私有化部署吗", "evaluation", "私有化部署"),
    ("能和我们的CRM对接吗", "evaluation", "对接"),
    ("有没有同行业的案例", "evaluation", "案例"),
    ("约个时间电话沟通一下", "contact", "约个时间"),
    ("你们销售的联系方式给我一个", "contact", "联系方式"),
    ("How much does it cost?", "pricing", "how much"),
    ("Can we schedule a demo?", "demo", "demo"),
    ("Is there a free trial?", "trial", "free trial"),
    ("please send the contract", "purchase", "contract"),
    ("價格多少？", "pricing", "价格"),
    ("可以報個價嗎", "pricing", "报"),
    ("可以試用嗎", "trial", "试用"),
    ("能給我們演示一下嗎", "demo", "演示"),
    ("合約可以寄過來嗎", "purchase", "合约"),
    ("想購買你們的系統", "purchase", "购买"),
    ("不需要演示，直接报价吧", "pricing", "报价"),
    ("要不要先开个试用账号给我", "trial", "试用"),
]

COLD = [
    ("不用发报价了，我们不买", "other"),
    ("暂时不考虑", "other"),
    ("已经买了别家的了", "other"),
    ("价格就不用发了，我们今年没预算", None),
    ("别再发了", "opt_out"),
    ("不需要，请不要打扰", "opt_out"),
    ("退订", "opt_out"),
    ("unsubscribe", "opt_out"),
    ("stop messaging me", "opt_out"),
    ("別再發了", "opt_out"),
    ("别再发报价了", "opt_out"),
    ("你好", "greeting"),
    ("在吗", "greeting"),
    ("好的👍", "acknowledgement"),
    ("收到，谢谢", "acknowledgement"),
    ("文章不错，学习了", "content_engagement"),
    ("登录不了怎么办", "support"),
    ("怎么导出客户列表", "support"),
    ("你们公司招人吗", "job_seeker"),
    ("简历发哪个邮箱", "job_seeker"),
    ("我们是做SEO的，贵司有需要吗", "vendor"),
    ("想跟贵司谈谈合作推广", "vendor"),
    ("兼职刷单，日赚300", "spam"),
    ("加群领红包", "spam"),
    ("今天下雨了", "other"),
    ("", "other"),
]


@pytest.mark.parametrize(("text", "intent", "word"), HOT)
def test_buying_messages_are_hot_and_explained(model: IntentModel, text: str, intent: str, word: str) -> None:
    decision = classify(text, model)
    assert (decision.hot, decision.intent) == (True, intent), decision
    assert 0.0 < decision.score <= 1.0
    assert any(word in reason and intent in reason for reason in decision.reasons), decision.reasons


@pytest.mark.parametrize(("text", "intent"), COLD)
def test_other_messages_are_not_hot(model: IntentModel, text: str, intent: str | None) -> None:
    decision = classify(text, model)
    assert decision.hot is False, decision
    if intent is not None:
        assert decision.intent == intent, decision
    assert decision.reasons and 0.0 <= decision.score <= 1.0


def test_negation_is_explained(model: IntentModel) -> None:
    reasons = classify("不用发报价了，我们不买", model).reasons
    assert any("negated by '不用'" in r and "报价" in r for r in reasons), reasons
    assert any("declined by" in r for r in reasons), reasons


def test_question_cue_raises_confidence(model: IntentModel) -> None:
    plain, asked = classify("价格", model), classify("价格？", model)
    assert asked.score > plain.score
    assert "question mark raises confidence" in asked.reasons


def test_weak_hint_needs_a_question(model: IntentModel) -> None:
    assert classify("看了你们的案例", model).hot is False
    assert classify("你们有案例吗", model).hot is True


def test_opt_out_is_never_hot_even_with_buying_words(model: IntentModel) -> None:
    for text in ("别再发报价了", "不要再发价格了，真的不需要", "退订，不要再推试用了"):
        decision = classify(text, model)
        assert (decision.hot, decision.intent) == (False, "opt_out"), decision


def test_matched_word_is_named_in_reasons(model: IntentModel) -> None:
    decision = classify("这个多少钱", model)
    assert "matched pricing keyword '多少钱'" in decision.reasons


def test_buying_intents_are_the_journey_intents(model: IntentModel) -> None:
    buying = {intent.key for intent in model.intents if intent.buying}
    assert buying == set(load_journey().intents)
