"""The journey file loads, and every kind of mistake in it is reported with its place."""
from __future__ import annotations

from pathlib import Path

import pytest

from content.errors import ContentError, ContentProblem
from content.journey import DEFAULT_JOURNEY, Journey, load_journey

SMALL = """\
tag_group: 旅程
stages:
  - key: first
    name: 第一
  - key: second
    name: 第二
  - key: third
    name: 第三
initial_stage: first
lead_statuses: {new: 新, mql: 市场, sql: 销售, customer: 客户, lost: 流失}
link_kinds: {case_study: 案例, pricing: 价格}
intents: {pricing: 价格, demo: 演示}
rules:
  - id: replied
    on: replied
    from: [first]
    to: second
    reason: 回复了消息
  - id: quiet
    on: inactive
    days: 10
    from: [second]
    to: first
    backward: true
    reason: 已 {days} 天没有互动
segments:
  - {key: big, min_employees: 500, mql: 30, sql: 60}
  - {key: small, min_employees: 0, mql: 40, sql: 80}
default_segment: small
score_half_life_days: 14
"""


def write(tmp_path: Path, text: str | bytes, name: str = "journey.yaml") -> Path:
    """Write a journey file and return its path."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """Return the 1-based line holding the nth occurrence of marker (-1: the last)."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    return hits[nth - 1 if nth > 0 else nth]


def problems(path: Path) -> list[ContentProblem]:
    """Load a journey that must fail and return its problems."""
    with pytest.raises(ContentError) as caught:
        load_journey(path)
    return caught.value.problems


def only(path: Path) -> ContentProblem:
    """Load a journey that must fail with exactly one problem and return it."""
    found = problems(path)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_default_file_loads() -> None:
    journey = load_journey()
    assert isinstance(journey, Journey)
    assert journey.tag_group == "客户旅程阶段"
    assert [s.name for s in journey.stages] == [
        "需求萌生", "深入认知", "选择产品", "上线使用", "用户存活", "产生粘性", "续约增购"]
    assert [s.key for s in journey.stages][:3] == ["need_arises", "deeper_understanding", "product_selection"]
    assert journey.initial_stage == "need_arises"
    assert journey.lead_statuses == {"new": "新线索", "mql": "市场认可线索", "sql": "销售认可线索", "customer": "客户",
                                     "lost": "已流失"}
    assert set(journey.intents) == {"pricing", "demo", "trial", "purchase", "evaluation", "contact"}
    assert journey.score_half_life_days == 14
    assert len({rule.id for rule in journey.rules}) == len(journey.rules) >= 8
    assert all(rule.line > 0 for rule in journey.rules)


def test_default_file_is_the_default_path() -> None:
    assert load_journey(DEFAULT_JOURNEY) == load_journey()


def test_helpers_find_stages_and_segments() -> None:
    journey = load_journey()
    assert journey.stage("onboarding").name == "上线使用"
    assert journey.stage("renewal_expansion").name == "续约增购"
    assert journey.index("need_arises") == 0
    assert journey.index("renewal_expansion") == 6
    with pytest.raises(KeyError):
        journey.stage("nope")
    assert journey.segment_for(None).key == "smb"
    assert journey.segment_for(499).key == "smb"
    assert journey.segment_for(500).key == "enterprise"
    enterprise = journey.segment_for(10_000)
    assert (enterprise.mql, enterprise.sql) == (30, 60)


def test_rule_fields_are_parsed(tmp_path: Path) -> None:
    journey = load_journey(write(tmp_path, SMALL))
    replied, quiet = journey.rules
    assert replied.on == "replied", "the YAML 1.1 key `on` must not turn into True"
    assert replied.from_stages == ("first",)
    assert replied.to == "second"
    assert not replied.backward
    assert replied.line == line_of(SMALL, "- id: replied")
    assert (quiet.days, quiet.backward) == (10, True)


def test_star_means_any_stage(tmp_path: Path) -> None:
    text = SMALL.replace("from: [first]", 'from: "*"')
    assert load_journey(write(tmp_path, text)).rules[0].from_stages is None


def test_link_kind_accepts_one_name_or_a_list(tmp_path: Path) -> None:
    rule = ("  - id: click\n    on: link_clicked\n    link_kind: %s\n    from: [first]\n    to: second\n"
            "    reason: 看了{link_kind}\n")
    text = SMALL.replace("segments:", rule % "pricing" + "segments:")
    assert load_journey(write(tmp_path, text)).rules[-1].link_kinds == ("pricing",)
    text = SMALL.replace("segments:", rule % "[pricing, case_study]" + "segments:")
    assert load_journey(write(tmp_path, text)).rules[-1].link_kinds == ("pricing", "case_study")


@pytest.mark.parametrize(
    ("old", "new", "marker", "field", "words"),
    [
        ("    to: second", "    to: secnd", "to: secnd", "rules[1].to", "did you mean 'second'"),
        ("    from: [first]", "    form: [first]", "form:", "rules[1].form", "did you mean 'from'"),
        ("  - key: third", "  - key: second", "key: second", "stages.key", "duplicate 'second'"),
        ("    name: 第三", "    name: 第二", "name: 第二", "stages.name", "duplicate '第二'"),
        ("    days: 10\n", "", "- id: quiet", "rules[2].days", "required"),
        ("    name: 第三", "    name: " + "长" * 31, "长长长", "stages[3].name", "31 characters"),
        ("tag_group: 旅程", "tag_group: " + "组" * 31, "tag_group", "tag_group", "31 characters"),
        ("    on: replied", "    on: clicked", "on: clicked", "rules[1].on", "unknown signal kind"),
        ("    reason: 回复了消息", "    reason: 回复了消息\n    lead_status: hot", "lead_status: hot",
         "rules[1].lead_status", "unknown lead status 'hot'"),
        ("    backward: true\n", "", "    to: first", "rules[2].to", "add `backward: true`"),
        ("    on: replied", "    on: intent\n    intents: [price]", "intents: [price]", "rules[1].intents",
         "did you mean 'pricing'"),
        ("    from: [first]", "    from: [first, fourth]", "fourth", "rules[1].from", "unknown stage 'fourth'"),
        ("initial_stage: first", "initial_stage: zero", "initial_stage", "initial_stage", "unknown stage"),
        ("default_segment: small", "default_segment: medium", "default_segment", "default_segment", "unknown segment"),
        ("mql: 40, sql: 80", "mql: 40, sql: 40", "key: small", "segments[2].sql", "above mql"),
        ("  - id: quiet", "  - id: replied", "id: replied", "rules.id", "duplicate 'replied'"),
        ("    reason: 回复了消息", "    reason: 回复了{intent}", "reason: 回复了{intent}", "rules[1].reason",
         "unknown placeholder {intent}"),
        ("    reason: 已 {days} 天没有互动", "    reason: 很久没有互动", "很久没有互动", "rules[2].reason",
         "must mention {days}"),
        ("    reason: 回复了消息", "    reason: 回复了{消息", "回复了{消息", "rules[1].reason", "bad placeholder"),
        ("    days: 10", "    days: 0", "days: 0", "rules[2].days", "at least 1"),
        ("    days: 10", "    days: ten", "days: ten", "rules[2].days", "whole number"),
        ("    backward: true", "    backward: maybe", "backward: maybe", "rules[2].backward", "true or false"),
        ("    to: second\n", "    to: second\n    days: 3\n", "days: 3", "rules[1].days", "only an `inactive`"),
        ("sql: 销售, ", "", "lead_statuses", "lead_statuses.sql", "required"),
        ("score_half_life_days: 14", "score_half_life_days: 0", "score_half_life", "score_half_life_days", "above 0"),
        ("    to: second\n", "    to: second\n    to: third\n", "to: third", "rules[1].to", "appears twice"),
        ("  - key: first\n    name: 第一\n", "  - first\n", "  - first", "stages[1]", "expected a block"),
        ("rules:\n", "rules: []\nother:\n", "rules: []", "rules", "non-empty list"),
        ("intents: {pricing: 价格, demo: 演示}", "intents: [pricing]", "intents:", "intents", "`key: label`"),
        ("intents: {pricing: 价格,", "intents: {Pricing: 价格,", "intents:", "intents.Pricing", "lowercase"),
    ],
)
def test_each_mistake_names_path_line_and_field(tmp_path: Path, old: str, new: str, marker: str,
                                                field: str, words: str) -> None:
    assert old in SMALL
    text = SMALL.replace(old, new, 1)
    path = write(tmp_path, text)
    found = [p for p in problems(path) if p.field == field]
    assert found, [str(p) for p in problems(path)]
    problem = found[0]
    assert problem.path == str(path)
    assert problem.row == line_of(text, marker, nth=-1)
    assert words in problem.message


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.encode().replace("第三".encode(), "第三".encode("gbk")))
    problem = only(path)
    assert (problem.path, problem.field) == (str(path), "file")
    assert problem.row == line_of(SMALL, "name: 第三")
    assert "UTF-8" in problem.message


def test_bom_is_accepted(tmp_path: Path) -> None:
    assert load_journey(write(tmp_path, b"\xef\xbb\xbf" + SMALL.encode())).tag_group == "旅程"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = SMALL.replace("    to: second", "    to: [second")
    problem = only(write(tmp_path, text))
    assert problem.field == "file"
    assert problem.message.startswith("YAML syntax")
    assert line_of(text, "to: [second") <= problem.row <= line_of(text, "- id: quiet")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert only(write(tmp_path, "- just\n- a list\n")).message == "expected a mapping of settings at the top"
    assert only(write(tmp_path, "")).field == "file"


def test_missing_file_is_a_content_error(tmp_path: Path) -> None:
    problem = only(tmp_path / "absent.yaml")
    assert (problem.row, problem.field) == (None, "file")


def test_several_mistakes_are_all_reported_at_once(tmp_path: Path) -> None:
    text = (SMALL.replace("    to: second", "    to: secnd")
            .replace("    from: [second]", "    form: [second]")
            .replace("  - key: third", "  - key: first")
            .replace("    days: 10\n", "")
            .replace("    name: 第三", "    name: " + "长" * 31))
    path = write(tmp_path, text)
    found = {(p.field, p.row) for p in problems(path)}
    assert ("rules[1].to", line_of(text, "to: secnd")) in found
    assert ("rules[2].form", line_of(text, "form: [second]")) in found
    assert ("stages.key", line_of(text, "key: first", nth=2)) in found
    assert ("rules[2].days", line_of(text, "- id: quiet")) in found
    assert ("stages[3].name", line_of(text, "长长")) in found
    with pytest.raises(ContentError) as caught:
        load_journey(path)
    message = str(caught.value)
    assert f"{path}:{line_of(text, 'to: secnd')}: rules[1].to: unknown stage 'secnd'" in message
    rows = [p.row or 0 for p in caught.value.problems]
    assert rows == sorted(rows)


def test_problem_renders_with_and_without_row() -> None:
    assert str(ContentProblem("a.yaml", 3, "rules[1].to", "bad")) == "a.yaml:3: rules[1].to: bad"
    assert str(ContentProblem("a.csv", None, "file", "bad")) == "a.csv: file: bad"
    assert isinstance(ContentError([]), ValueError)
