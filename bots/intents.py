"""Classify a prospect's message into a buying intent or a non-buying one: pure code, rules from intents.yaml."""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import opencc

from bots.intent_fallback import Example, Fallback, features, judge, learn
from content.errors import Checker, ContentError, Map, Seq, load_yaml, read_text
from content.journey import load_journey

DEFAULT_INTENTS = Path(__file__).resolve().parent.parent / "content" / "intents.yaml"
TOP_KEYS = ("hot_threshold", "min_score", "decline_score", "question_boost", "negation_window", "traditional",
            "question_cues", "negations", "declines", "received", "settled", "intents", "fallback")
BOUNDARIES = frozenset(",.!?;:~。、；：…\n")
_BOUNDARY_CLASS = re.escape("".join(sorted(BOUNDARIES)))
_ASCII_WORD = re.compile(r"[a-z0-9]")
_UNCONVERTIBLE = re.compile("[\x00\ud800-\udfff]")
_TO_SIMPLIFIED = opencc.OpenCC("tw2sp")
NEVER = r"(?!x)x"


@dataclass(frozen=True)
class Intent:
    """One intent's compiled matchers (a quick probe, then all overlapping matches); group -> (weight, kind).

    `mutes_buying`: the intent says who is writing (a job seeker, a vendor) or that they want no contact, so when
    it scores at least the hot threshold and no less than the strongest single buying match, no buying intent
    counts. `small_talk` (greetings, thanks): never outranks a buying intent that reaches the hot threshold, so
    "OK，下一步怎么签" is not an acknowledgement."""

    key: str
    buying: bool
    mutes_buying: bool
    small_talk: bool
    probe: re.Pattern[str]
    matcher: re.Pattern[str]
    groups: dict[str, tuple[float, str]]
    words: tuple[str, ...]


@dataclass(frozen=True)
class IntentModel:
    """The validated, precompiled intents file."""

    hot_threshold: float
    min_score: float
    decline_score: float
    question_boost: float
    negation_window: int
    table: dict[int, str]
    questions: re.Pattern[str]
    negations: re.Pattern[str]
    declines: re.Pattern[str]
    received: re.Pattern[str]
    settled: re.Pattern[str]
    intents: tuple[Intent, ...]
    fallback: Fallback | None
    example_files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What a message asks for; `hot` means sales should know at once."""

    hot: bool
    intent: str
    score: float
    reasons: tuple[str, ...]


def normalise(text: str, table: dict[int, str]) -> str:
    """Fold width and case, convert traditional (Taiwan) wording to simplified with OpenCC, then apply `table`."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = _TO_SIMPLIFIED.convert(_UNCONVERTIBLE.sub(" ", text))
    return text.lower().translate(table)


def load_intents(path: str | Path = DEFAULT_INTENTS, journey_intents: Iterable[str] | None = None) -> IntentModel:
    """Load and validate an intents file; raise ContentError listing every problem with its line."""
    allowed = list(load_journey().intents if journey_intents is None else journey_intents)
    data = load_yaml(path, read_text(path))
    check = Checker(str(path))
    check.keys(data, "", TOP_KEYS, required=TOP_KEYS)
    hot_threshold, min_score, decline_score, question_boost = (_fraction(check, data, key) for key in TOP_KEYS[:4])
    window = check.number(data, "negation_window", "negation_window", minimum=0, integer=True)
    table = _table(check, data)
    questions, negations, declines = (_block(check, data, key, table) for key in TOP_KEYS[6:9])
    received = _block(check, data, "received", table)
    received = re.compile(rf"(?:{received.pattern})了?(?:你们|您们|您|你)?的?$")
    settled = _block(check, data, "settled", table)
    settled = re.compile(rf"[^{_BOUNDARY_CLASS}]{{0,{int(window or 0)}}}?(?:{settled.pattern})")
    intents = _intents(check, data, table, allowed) if "intents" in data else []
    fallback, files = _fallback(check, data, Path(path).parent, table, {i.key for i in intents} | {"other"},
                                hot_threshold)
    if check.problems:
        raise ContentError(sorted(check.problems, key=lambda p: p.row or 0))
    return IntentModel(hot_threshold, min_score, decline_score, question_boost, window, table, questions, negations,
                       declines, received, settled, tuple(intents), fallback, files)


def _fallback(check: Checker, data: Map, folder: Path, table: dict[int, str], keys: set[str],
              hot_threshold: float) -> tuple[Fallback | None, tuple[Path, ...]]:
    """Read the labelled examples named under `fallback` and fit the model asked when no rule matches; return it
    and the example files read."""
    block = data.get("fallback")
    if not isinstance(block, Map):
        if "fallback" in data:
            check.add(data.line_of("fallback"), "fallback", "expected `examples:` and `min_probability:`")
        return None, ()
    check.keys(block, "fallback", ("examples", "min_probability"), required=("examples", "min_probability"))
    least = _fraction(check, block, "min_probability", "fallback.min_probability")
    if "min_probability" in block and least < hot_threshold:
        check.add(block.line_of("min_probability"), "fallback.min_probability",
                  f"must be at least hot_threshold ({hot_threshold}), got {least}")
    examples: list[Example] = []
    named = _strings(check, block, "examples", "fallback.examples")
    files = tuple(folder / name for name, _ in named)
    for n, (path, (_, line)) in enumerate(zip(files, named, strict=True), start=1):
        examples += _examples(check, path, line, f"fallback.examples[{n}]", table, keys)
    if "examples" in block and not check.problems and len({example.hot for example in examples}) < 2:
        check.add(block.line_of("examples"), "fallback.examples", "needs both hot and not-hot examples")
    if examples and not check.problems and not any(features(example.text) for example in examples):
        check.add(block.line_of("examples"), "fallback.examples", "no example has a word or Chinese character")
    return (learn(examples, least) if examples and not check.problems else None), files


def _examples(check: Checker, path: Path, line: int, field: str, table: dict[int, str],
              keys: set[str]) -> list[Example]:
    """Read one JSON lines file of {"text", "hot", "intent"} examples, reporting the first bad row."""
    try:
        rows = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, ValueError) as exc:
        check.add(line, field, f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
        return []
    found = []
    for number, raw in enumerate(rows, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            row = None
        if (not isinstance(row, dict) or set(row) != {"text", "hot", "intent"} or not isinstance(row["text"], str)
                or not isinstance(row["hot"], bool) or row["intent"] not in keys):
            check.add(line, field, f"{path.name} line {number}: expected {{\"text\": …, \"hot\": true|false, "
                      f"\"intent\": one of the intents or other}}")
            return []
        found.append(Example(normalise(row["text"], table), row["hot"], row["intent"]))
    return found


def _fraction(check: Checker, data: Map, key: str, field: str = "", strict: bool = False) -> float:
    """Return a number between 0 and 1 (above 0 when strict), reporting anything else."""
    value = check.number(data, key, field or key, minimum=0, strict=strict)
    if value is not None and value > 1:
        check.add(data.line_of(key), field or key, f"must be at most 1, got {value}")
    return float(value or 0.0)


def _table(check: Checker, data: Map) -> dict[int, str]:
    """Build the extra variant-to-standard translation (applied after OpenCC) from two-character pairs."""
    table: dict[int, str] = {}
    for pair, line in _strings(check, data, "traditional", "traditional"):
        if len(pair) != 2 or pair[0] == pair[1]:
            check.add(line, "traditional", f"expected a traditional then a simplified character, got {pair!r}")
        elif ord(pair[0]) in table:
            check.add(line, "traditional", f"'{pair[0]}' is mapped twice")
        else:
            table[ord(pair[0])] = pair[1]
    return table


def _strings(check: Checker, block: Map, key: str, field: str) -> list[tuple[str, int]]:
    """Return the non-empty strings of a list field with their lines, reporting bad entries."""
    value = block.get(key)
    if key in block and (not isinstance(value, Seq) or not value):
        check.add(block.line_of(key), field, "expected a non-empty list")
    if key not in block or not isinstance(value, Seq):
        return []
    found = []
    for n, (item, line) in enumerate(zip(value, value.lines, strict=True), start=1):
        if not isinstance(item, str) or not item.strip():
            check.add(line, f"{field}[{n}]", f"expected text, got {item!r}")
        else:
            found.append((item, line))
    return found


def _alternatives(check: Checker, block: Map, field: str, table: dict[int, str]) -> tuple[list[str], list[str]]:
    """Return (escaped keywords longest first, checked patterns) of a words/patterns block; keep raw words."""
    words = sorted({normalise(w, table) for w, _ in _strings(check, block, "words", f"{field}.words")},
                   key=len, reverse=True)
    patterns = []
    for pattern, line in _strings(check, block, "patterns", f"{field}.patterns"):
        try:
            re.compile(pattern)
        except re.error as exc:
            check.add(line, f"{field}.patterns", f"invalid regular expression {pattern!r}: {exc}")
        else:
            patterns.append(pattern)
    if "words" not in block and "patterns" not in block:
        check.add(block.line, field, "needs `words` or `patterns`")
    return words, patterns


def _escape(word: str) -> str:
    """Escape a keyword; English ones match whole words, checked after the first letter to keep scans fast."""
    head = re.escape(word[0]) + (rf"(?<![a-z0-9]{re.escape(word[0])})" if _ASCII_WORD.match(word[0]) else "")
    return head + re.escape(word[1:]) + (r"(?![a-z0-9])" if _ASCII_WORD.match(word[-1]) else "")


def _block(check: Checker, data: Map, key: str, table: dict[int, str]) -> re.Pattern[str]:
    """Compile a top-level words/patterns block into one matcher."""
    block = data.get(key)
    if not isinstance(block, Map):
        if key in data:
            check.add(data.line_of(key), key, "expected `words:` and/or `patterns:` lists")
        return re.compile(NEVER)
    check.keys(block, key, ("words", "patterns"))
    words, patterns = _alternatives(check, block, key, table)
    parts = [_escape(w) for w in words] + [f"(?:{p})" for p in patterns]
    return re.compile("|".join(parts) or NEVER)


def _intents(check: Checker, data: Map, table: dict[int, str], allowed: list[str]) -> list[Intent]:
    """Validate and compile every intent, checking the buying keys against the journey's intents."""
    block = data.get("intents")
    if not isinstance(block, Map) or not block:
        check.add(data.line_of("intents"), "intents", "expected one block per intent")
        return []
    check.keys(block, "intents", list(block))
    intents, buying_keys = [], []
    for key, spec in block.items():
        field = f"intents.{key}"
        if not isinstance(spec, Map) or not re.fullmatch(r"[a-z][a-z0-9_]*", key) or key == "other":
            check.add(block.line_of(key), field, "expected a key of lowercase ascii letters, digits and _ "
                      "(not 'other') holding `buying:` and `rules:`")
            continue
        check.keys(spec, field, ("buying", "mutes_buying", "small_talk", "rules"), required=("rules",))
        buying = check.flag(spec, "buying", f"{field}.buying")
        mutes = check.flag(spec, "mutes_buying", f"{field}.mutes_buying")
        small_talk = check.flag(spec, "small_talk", f"{field}.small_talk")
        for flag, on in (("mutes_buying", mutes), ("small_talk", small_talk)):
            if buying and on:
                check.add(spec.line_of(flag), f"{field}.{flag}", "only a non-buying intent can set this")
        if buying:
            buying_keys.append(key)
            check.member(key, allowed, spec.line_of("buying"), field, "buying intent (see journey.yaml intents)")
        parts, words = [], []
        groups: dict[str, tuple[float, str]] = {}
        for n, rule in check.items(spec, "rules"):
            where = f"{field}.rules[{n}]"
            check.keys(rule, where, ("weight", "words", "patterns"), required=("weight",))
            weight = _fraction(check, rule, "weight", f"{where}.weight", strict=True)
            rule_words, patterns = _alternatives(check, rule, where, table)
            words.extend(rule_words)
            for kind, items in (("keyword", [_escape(w) for w in rule_words]), ("pattern", patterns)):
                if items:
                    name = f"g{len(groups)}"
                    groups[name] = (weight, kind)
                    parts.append(f"(?P<{name}>{'|'.join(items)})")
        probe, matcher = re.compile("|".join(parts) or NEVER), re.compile(f"(?=(?:{'|'.join(parts) or NEVER}))")
        intents.append(Intent(key, buying, mutes, small_talk, probe, matcher, groups, tuple(words)))
    for key in allowed:
        if key not in buying_keys:
            check.add(block.line, f"intents.{key}", "missing; every journey intent needs a `buying: true` block")
    return intents


def _negated(text: str, start: int, spans: list[tuple[int, int, str]], window: int) -> str | None:
    """Return the negation word governing position `start` (it may end inside the match: "别给|我打电话")."""
    for first, end, word in spans:
        if first < start <= end + window and not any(ch in BOUNDARIES for ch in text[end:start]):
            return word
    return None


def _score(intent: Intent, norm: str, model: IntentModel, spans: list[tuple[int, int, str]],
           muted: list[str]) -> tuple[float, list[str], float]:
    """Combine an intent's matches into (score, reasons, strongest single weight); a match inside a stronger
    one adds nothing.

    A buying match right after a negation ("不用发报价") or a receipt ("收到报价"), or right before a settled-marker
    ("报价收到了"), is muted."""
    missing, seen, reasons, reach, strength, peak = 1.0, set(), [], -1, 0.0, 0.0
    for match in intent.matcher.finditer(norm) if intent.probe.search(norm) else ():
        name = match.lastgroup or ""
        word, end, (weight, kind) = match.group(name), match.end(name), intent.groups[name]
        if (end <= reach and weight <= strength) or word in seen:
            continue
        reach, strength = max((reach, strength), (end, weight))
        seen.add(word)
        if intent.buying:
            negation = _negated(norm, match.start(), spans, model.negation_window)
            if negation is not None:
                muted.append(f"{intent.key} {kind} '{word}' negated by '{negation}'")
                continue
            start = match.start(name)
            settled = model.received.search(norm, max(0, start - 12), start) or model.settled.match(norm, end)
            if settled is not None:
                muted.append(f"{intent.key} {kind} '{word}' already settled: '{settled.group().strip()}'")
                continue
        missing *= 1.0 - weight
        peak = max(peak, weight)
        reasons.append(f"matched {intent.key} {kind} '{word}'")
    return 1.0 - missing, reasons, peak


def classify(text: str, model: IntentModel) -> Decision:
    """Decide which intent a message shows, how sure that is and whether it is hot."""
    norm = normalise(text, model.table)
    spans = [(m.start(), m.end(), m.group()) for m in model.negations.finditer(norm)]
    decline = model.declines.search(norm)
    muted: list[str] = []
    scored = [(intent, *_score(intent, norm, model, spans, muted)) for intent in model.intents]
    final = _weigh(scored, model, norm, decline, muted)
    buying_is_hot = any(intent.buying and score >= model.hot_threshold for score, intent, _ in final)
    best: tuple[float, bool, str, list[str]] = (0.0, False, "other", [])
    if decline is not None:
        best = (model.decline_score, False, "other", [f"declined by '{decline.group()}'"])
    for score, intent, reasons in final:
        if intent.small_talk and buying_is_hot and score > 0:
            muted.append(f"{intent.key} is small talk beside a buying question: {'; '.join(reasons)}")
            continue
        if score > best[0] or (score == best[0] and score > 0 and best[1] and not intent.buying):
            best = (score, intent.buying, intent.key, reasons)
    score, buying, key, reasons = best
    if score < model.min_score:
        guess = f"best guess {key} scored {score:.2f}, below {model.min_score}"
        reasons = [guess if score > 0 else "no intent keyword matched"]
        if model.fallback is not None:
            return _fall_back(model.fallback, norm, reasons + muted)
        key, buying = "other", False
    hot = buying and score >= model.hot_threshold
    if buying:
        relation = "at or above" if hot else "below"
        reasons = reasons + [f"score {score:.2f} {relation} hot threshold {model.hot_threshold}"]
    return Decision(hot, key, round(score, 4), tuple(reasons + muted))


def _weigh(scored: list[tuple[Intent, float, list[str], float]], model: IntentModel, norm: str,
           decline: re.Match[str] | None, muted: list[str]) -> list[tuple[float, Intent, list[str]]]:
    """Mute buying intents under a decline or a `mutes_buying` reading; let a question cue raise the rest."""
    top_buying = max((peak for intent, _, _, peak in scored if intent.buying), default=0.0)
    muter = max(((score, intent.key) for intent, score, _, _ in scored
                 if intent.mutes_buying and score >= model.hot_threshold and score >= top_buying), default=None)
    cause = "the decline" if decline is not None else f"the {muter[1]} reading" if muter is not None else None
    cue = model.questions.search(norm)
    final = []
    for intent, score, reasons, _ in scored:
        if intent.buying and score > 0 and cause is not None:
            muted.append(f"{intent.key} muted by {cause}: {'; '.join(reasons)}")
            continue
        if intent.buying and score > 0 and cue is not None:
            score += model.question_boost * (1.0 - score)
            reasons.append("question mark raises confidence" if cue.group() == "?" else
                           f"question cue '{cue.group()}' raises confidence")
        final.append((score, intent, reasons))
    return final


def _fall_back(fallback: Fallback, norm: str, reasons: list[str]) -> Decision:
    """Let the model learnt from the labelled examples decide a message no rule recognised."""
    probability, intent, telling = judge(fallback, norm)
    hot = probability >= fallback.min_probability
    words = f" (telling: {', '.join(repr(word) for word in telling)})" if telling else ""
    verdict = (f"the {fallback.examples} labelled examples make it a {intent} question with probability "
               f"{probability:.2f}{words}" if hot else
               f"the {fallback.examples} labelled examples make it hot with probability {probability:.2f}, "
               f"below {fallback.min_probability}")
    return Decision(hot, intent if hot else "other", round(probability if hot else 0.0, 4), (*reasons, verdict))
