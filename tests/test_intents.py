"""Table tests for the intent classifier: each intent, negation, settled and muted buying words, small talk,
opt-outs, English, traditional and full-width text."""
from __future__ import annotations

import pytest

from bots.intents import IntentModel, classify, load_intents, normalise
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
    ("請問你們的軟體支援私有化部署嗎", "evaluation", "私有化部署"),
    ("ＤＥＭＯ可以约吗", "demo", "demo"),
    ("报价收到了，能再便宜点吗", "pricing", "便宜"),
    ("demo看完了，下一步怎么采购", "purchase", "采购"),
    ("OK 就选你们了，怎么签", "purchase", "就选你们"),
    ("你们跟尘锋比有什么优势", "evaluation", "有什么优势"),
    ("我们是做保险的，能用吗", "evaluation", "能用"),
    ("收到了你们的资料我们想试用一下", "trial", "试用"),
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
    ("报价收到了谢谢", "acknowledgement"),
    ("好的，收到报价", "acknowledgement"),
    ("谢谢你的报价", "acknowledgement"),
    ("价格太贵了不考虑了", "other"),
    ("合同的事先放一放，今年不做了", "other"),
    ("not looking to buy right now", "other"),
    ("别给我打电话", "opt_out"),
    ("你们那边实习生一个月多少钱", "job_seeker"),
    ("我们是服务器提供商，给您报个价？", "vendor"),
    ("发票开了吗，财务在催", "support"),
    ("你们发的价格策略那篇文章很有意思", "content_engagement"),
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
    assert decision.reasons
    assert 0.0 <= decision.score <= 1.0


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


def test_traditional_taiwan_and_full_width_text_is_folded(model: IntentModel) -> None:
    assert normalise("請問軟體支援私有化嗎？", model.table) == "请问软件支持私有化吗?"
    assert normalise("ＰＲＩＣＥ 帳號", model.table) == "price 账号"
    assert classify("价格\x00多少钱？\ud800", model).hot is True


def test_settled_buying_word_is_explained(model: IntentModel) -> None:
    decision = classify("合同收到了", model)
    assert (decision.hot, decision.intent) == (False, "acknowledgement"), decision
    assert any("purchase keyword '合同' already settled" in r for r in decision.reasons), decision.reasons


def test_sender_reading_mutes_buying_words(model: IntentModel) -> None:
    decision = classify("你们那边实习生一个月多少钱", model)
    assert (decision.hot, decision.intent) == (False, "job_seeker"), decision
    assert any(r.startswith("pricing muted by the job_seeker reading") for r in decision.reasons), decision.reasons


def test_prospect_describing_their_business_is_no_vendor(model: IntentModel) -> None:
    decision = classify("我们是做教育的，想了解下价格", model)
    assert (decision.hot, decision.intent) == (True, "pricing"), decision


def test_small_talk_yields_to_a_hot_question(model: IntentModel) -> None:
    decision = classify("好的，那合同你们先拟一版发过来", model)
    assert (decision.hot, decision.intent) == (True, "purchase"), decision
    assert classify("好的，谢谢", model).intent == "acknowledgement"


def test_message_no_rule_names_is_decided_by_the_labelled_examples(model: IntentModel) -> None:
    decision = classify("你们软件一套下来要多少银子", model)
    assert (decision.hot, decision.intent) == (True, "pricing"), decision
    assert decision.reasons[0] == "no intent keyword matched"
    assert "labelled examples make it a pricing question" in decision.reasons[-1]
    assert "telling" in decision.reasons[-1]
    assert "telling: '要多', '多少'" in decision.reasons[-1], decision.reasons
    chat = classify("还没想好", model)
    assert (chat.hot, chat.intent, chat.score) == (False, "other", 0.0), chat
    assert "below" in chat.reasons[-1]
