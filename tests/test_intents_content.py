"""A malformed intents.yaml is refused with every problem named by line and field."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.store.content_cache import ContentStore
from bots.intents import DEFAULT_INTENTS, classify, load_intents
from content.errors import ContentError

JOURNEY_INTENTS = ("pricing", "demo", "trial", "purchase", "evaluation", "contact")


def write(tmp_path: Path, text: str) -> Path:
    """Write an intents file and return its path."""
    path = tmp_path / "intents.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[tuple[int | None, str, str]]:
    """Load the file expecting failure; return (line, field, message) of each problem."""
    with pytest.raises(ContentError) as caught:
        load_intents(path, JOURNEY_INTENTS)
    return [(p.row, p.field, p.message) for p in caught.value.problems]


def shipped_with(old: str, new: str) -> str:
    """Return the shipped file with one piece of text replaced."""
    text = DEFAULT_INTENTS.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    """Return the 1-based line of the first occurrence of `needle`."""
    return text[: text.index(needle)].count("\n") + 1


def test_shipped_file_loads() -> None:
    assert load_intents(DEFAULT_INTENTS, JOURNEY_INTENTS).intents


def test_bad_threshold_and_weight_are_named_with_lines(tmp_path: Path) -> None:
    text = shipped_with("hot_threshold: 0.5", "hot_threshold: 2").replace("- weight: 0.9", "- weight: many", 1)
    found = problems(write(tmp_path, text))
    assert (line_of(text, "hot_threshold: 2"), "hot_threshold", "must be at most 1, got 2") in found
    weight_line = line_of(text, "weight: many")
    assert any(row == weight_line and field == "intents.pricing.rules[1].weight" for row, field, _ in found), found


def test_bad_regular_expression_names_its_line(tmp_path: Path) -> None:
    text = shipped_with("patterns: ['吧$'", "patterns: ['(吧'")
    found = problems(write(tmp_path, text))
    assert any(row == line_of(text, "'(吧'") and field == "question_cues.patterns" and "regular expression" in msg
               for row, field, msg in found), found


def test_unknown_buying_intent_and_missing_journey_intent(tmp_path: Path) -> None:
    text = shipped_with("  pricing:\n    buying: true", "  prices:\n    buying: true")
    found = problems(write(tmp_path, text))
    fields = {field for _, field, _ in found}
    assert {"intents.prices", "intents.pricing"} <= fields, found
    assert any(row == line_of(text, "  prices:") + 1 and field == "intents.prices" for row, field, _ in found)


def test_unknown_key_bad_pair_and_empty_words(tmp_path: Path) -> None:
    text = shipped_with("negation_window: 10", "negation_windw: 10").replace("[帳账,", "[帳,", 1)
    text = text.replace("words: [加群,", "words: []\n        old: [加群,", 1)
    found = problems(write(tmp_path, text))
    fields = {field for _, field, _ in found}
    assert {"negation_windw", "negation_window", "traditional", "intents.spam.rules[1].words",
            "intents.spam.rules[1].old"} <= fields, found
    assert any(row == line_of(text, "negation_windw") and "did you mean 'negation_window'" in msg
               for row, _, msg in found), found
    assert all(row is not None for row, _, _ in found), found


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "hot_threshold: 0.5\nintents: [unclosed\n"))
    assert found[0][0] is not None
    assert found[0][1] == "file"


def test_buying_intent_cannot_carry_non_buying_flags(tmp_path: Path) -> None:
    text = shipped_with("  pricing:\n    buying: true", "  pricing:\n    buying: true\n    small_talk: true")
    text = text.replace("  demo:\n    buying: true", "  demo:\n    buying: true\n    mutes_buying: yes", 1)
    found = problems(write(tmp_path, text))
    assert (line_of(text, "small_talk: true"), "intents.pricing.small_talk",
            "only a non-buying intent can set this") in found
    assert any(field == "intents.demo.mutes_buying" for _, field, _ in found), found


SHIPPED_EXAMPLES = ("examples: [intent_examples/intents_labelled.jsonl, intent_examples/intents_fresh.jsonl,\n"
                    "    intent_examples/intents_more.jsonl]")


def test_fallback_examples_are_checked(tmp_path: Path) -> None:
    (tmp_path / "good.jsonl").write_text('{"text": "多少钱", "hot": true, "intent": "pricing"}\n'
                                         '{"text": "好的", "hot": false, "intent": "acknowledgement"}\n', "utf-8")
    (tmp_path / "bad.jsonl").write_text('{"text": "多少钱", "hot": true, "intent": "pricing"}\n{"text": 1}\n',
                                        "utf-8")
    good = shipped_with(SHIPPED_EXAMPLES, "examples: [good.jsonl]")
    model = load_intents(write(tmp_path, good), JOURNEY_INTENTS)
    assert model.fallback is not None
    assert model.fallback.examples == 2
    text = good.replace("examples: [good.jsonl]", "examples: [good.jsonl, bad.jsonl, missing.jsonl]")
    text = text.replace("min_probability: 0.5", "min_probability: 0.2")
    found = problems(write(tmp_path, text))
    examples_line, least_line = line_of(text, "examples: [good"), line_of(text, "min_probability: 0.2")
    assert any(row == examples_line and field == "fallback.examples[2]" and "bad.jsonl line 2" in msg
               for row, field, msg in found), found
    assert any(row == examples_line and field == "fallback.examples[3]" and "cannot read" in msg
               for row, field, msg in found), found
    assert any(row == least_line and field == "fallback.min_probability" and "hot_threshold" in msg
               for row, field, msg in found), found


def test_examples_without_a_word_are_refused(tmp_path: Path) -> None:
    (tmp_path / "digits.jsonl").write_text('{"text": "123", "hot": true, "intent": "pricing"}\n'
                                           '{"text": "456!", "hot": false, "intent": "other"}\n', "utf-8")
    text = shipped_with(SHIPPED_EXAMPLES, "examples: [digits.jsonl]")
    assert (line_of(text, "examples: [digits"), "fallback.examples",
            "no example has a word or Chinese character") in problems(write(tmp_path, text))


def test_content_store_refits_the_fallback_when_an_example_file_changes(tmp_path: Path) -> None:
    examples = tmp_path / "good.jsonl"
    examples.write_text('{"text": "银子几何", "hot": true, "intent": "pricing"}\n'
                        '{"text": "好的", "hot": false, "intent": "acknowledgement"}\n', "utf-8")
    store = ContentStore(intents_path=write(tmp_path, shipped_with(SHIPPED_EXAMPLES, "examples: [good.jsonl]")))
    first = store.intents
    assert first.fallback is not None
    assert first.fallback.examples == 2
    assert store.intents is first
    with examples.open("a", encoding="utf-8") as out:
        out.write('{"text": "银子不够花", "hot": false, "intent": "other"}\n')
    os.utime(examples, ns=(examples.stat().st_atime_ns, examples.stat().st_mtime_ns + 1_000_000_000))
    again = store.intents
    assert again is not first
    assert again.fallback is not None
    assert again.fallback.examples == 3
    assert store.intents is again
    decision = classify("银子几何", again)
    assert decision.intent == "pricing", decision
    assert "the 3 labelled examples" in decision.reasons[-1], decision
