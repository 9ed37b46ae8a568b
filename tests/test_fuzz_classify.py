"""Fuzzing `scrm classify`: any unicode text classifies without error, and the CLI answers every non-blank input
line with exactly one JSON line: a decision with the documented keys, or a per-line error naming the line."""
from __future__ import annotations

import json

from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from app.cli.root import main
from bots.intents import Decision, classify, load_intents
from tests.fuzzing import FUZZ

MODEL = load_intents()
INTENTS = {intent.key for intent in MODEL.intents} | {"other"}
DECISION_KEYS = {"text", "hot", "intent", "score", "reasons"}
WORDS = ("价格", "多少钱", "報價", "试用", "不需要", "别再发了", "怎么收费？",
         "price", "trial", "demo", "不", "?", "？")

texts = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(WORDS + ("，", " ", "\n")), max_size=12).map("".join),
                  st.text(alphabet=st.characters(codec="utf-8"), max_size=50).map(lambda t: t + "多少钱"))
json_values = st.recursive((st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                            | st.text(max_size=20)),
                           lambda inner: (st.lists(inner, max_size=3)
                                          | st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                           max_leaves=8)
input_lines = st.one_of(
    texts.flatmap(lambda t: st.sampled_from((True, False))
                  .map(lambda ascii_: ("valid", t, json.dumps({"text": t}, ensure_ascii=ascii_).encode()))),
    json_values.map(lambda v: ("other", None, json.dumps(v).encode())),
    st.binary(max_size=80).map(lambda b: ("other", None, b.replace(b"\n", b" "))),
    st.sampled_from((b'{"text": "\\ud800"}', b"[" * 5000, b'{"text": 1}', b"\xef\xbb\xbf{\"text\": \"x\"}",
                     b"   ", b""))
    .map(lambda b: ("other", None, b)),
)


def check_decision(decision: Decision) -> None:
    assert isinstance(decision.hot, bool)
    assert decision.intent in INTENTS
    assert 0.0 <= decision.score <= 1.0
    assert decision.reasons
    assert all(isinstance(reason, str) and reason for reason in decision.reasons)
    assert not decision.hot or decision.score >= MODEL.hot_threshold


@FUZZ
@given(text=texts)
@example(text="不不不不不价格" * 50)
@example(text="\u0000\u202e\ufeff价格？")
def test_classify_never_raises_and_explains_itself(text):
    check_decision(classify(text, MODEL))


@FUZZ
@given(lines=st.lists(input_lines, max_size=15))
@example(lines=[("other", None, b'{"text": "\\ud800"}'), ("other", None, b"[" * 5000),
                ("valid", "价格", json.dumps({"text": "价格"}).encode())])
def test_classify_cli_answers_every_line_once(lines):
    stdin = b"\n".join(raw for _, _, raw in lines) + b"\n"
    result = CliRunner().invoke(main, ["classify"], input=stdin)
    assert result.exit_code == 0, result.output
    out = result.stdout_bytes.decode("utf-8").split("\n")
    assert out[-1] == ""
    answered = [(number, kind, text) for number, (kind, text, raw) in enumerate(lines, start=1) if raw.strip()]
    assert len(out) - 1 == len(answered)
    for line, (number, kind, text) in zip(out, answered, strict=False):
        record = json.loads(line)
        if "error" in record:
            assert kind != "valid"
            assert record["line"] == number
            assert set(record) == {"error", "line"}
            assert isinstance(record["error"], str)
            assert record["error"]
            continue
        assert set(record) == DECISION_KEYS
        if kind == "valid":
            assert record["text"] == text
        check_decision(Decision(record["hot"], record["intent"], record["score"], tuple(record["reasons"])))
