"""Classify a prospect's message into a buying intent or a non-buying one: pure code, rules from intents.yaml."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from content.errors import Checker, ContentError, Map, Seq, load_yaml, read_text
from content.journey import load_journey

DEFAULT_INTENTS = Path(__file__).resolve().parent.parent / "content" / "intents.yaml"
TOP_KEYS = ("hot_threshold", "min_score", "decline_score", "question_boost", "negation_window", "traditional",
            "question_cues", "negations", "declines", "intents")
BOUNDARIES = frozenset(",.!?;:~。、；：…\n")
_ASCII_WORD = re.compile(r"[a-z0-9]")
NEVER = r"(?!x)x"


@dataclass(frozen=True)
class Intent:
    """One intent's compiled matchers (a quick probe, then all overlapping matches); group -> (weight, kind)."""

    key: str
    buying: bool
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
    intents: tuple[Intent, ...]


@dataclass(frozen=True)
class Decision:
    """What a message asks for; `hot` means sales should know at once."""

    hot: bool
    intent: str
    score: float
    reasons: tuple[str, ...]


def normalise(text: str, table: dict[int, str]) -> str:
    """Fold width and case, and map traditional characters to simplified ones."""
    return unicodedata.normalize("NFKC", text).lower().translate(table)


def load_intents(path: str | Path = DEFAULT_INTENTS, journey_intents: Iterable[str] | None = None) -> IntentModel:
    """Load and validate an intents file; raise ContentError listing every problem with its line."""
    allowed = list(load_journey().intents if journey_intents is None else journey_intents)
    data = load_yaml(path, read_text(path))
    check = Checker(str(path))
    check.keys(data, "", TOP_KEYS, required=TOP_KEYS)
    fractions = [_fraction(check, data, key) for key in TOP_KEYS[:4]]
    window = check.number(data, "negation_window", "negation_window", minimum=0, integer=True)
    table = _table(check, data)
    questions, negations, declines = (_block(check, data, key, table) for key in TOP_KEYS[6:9])
    intents = _intents(check, data, table, allowed) if "intents" in data else []
    if check.problems:
        raise ContentError(sorted(check.problems, key=lambda p: p.row or 0))
    return IntentModel(*fractions, window, table, questions, negations, declines, tuple(intents))


def _fraction(check: Checker, data: Map, key: str, field: str = "", strict: bool = False) -> float:
    """Return a number between 0 and 1 (above 0 when strict), reporting anything else."""
    value = check.number(data, key, field or key, minimum=0, strict=strict)
    if value is not None and value > 1:
        check.add(data.line_of(key), field or key, f"must be at most 1, got {value}")
    return float(value or 0.0)


def _table(check: Checker, data: Map) -> dict[int, str]:
    """Build the traditional-to-simplified translation from two-character pairs."""
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
    for n, (item, line) in enumerate(zip(value, value.lines), start=1):
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
        check.keys(spec, field, ("buying", "rules"), required=("rules",))
        buying = check.flag(spec, "buying", f"{field}.buying")
        if buying:
            buying_keys.append(key)
            check.member(key, allowed, spec.line_of("buying"), field, "buying intent (see journey.yaml intents)")
        parts, groups, words = [], {}, []
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
        intents.append(Intent(key, buying, probe, matcher, groups, tuple(words)))
    for key in allowed:
        if key not in buying_keys:
            check.add(block.line, f"intents.{key}", "missing; every journey intent needs a `buying: true` block")
    return intents


def _negated(text: str, start: int, spans: list[tuple[int, str]], window: int) -> str | None:
    """Return the negation word governing position `start`, if any."""
    for end, word in spans:
        if end <= start <= end + window and not any(ch in BOUNDARIES for ch in text[end:start]):
            return word
    return None


def _score(intent: Intent, norm: str, spans: list[tuple[int, str]], window: int,
           muted: list[str]) -> tuple[float, list[str]]:
    """Combine an intent's matches into a score; a match inside a stronger one adds nothing."""
    missing, seen, reasons, reach, strength = 1.0, set(), [], -1, 0.0
    for match in intent.matcher.finditer(norm) if intent.probe.search(norm) else ():
        name = match.lastgroup or ""
        word, end, (weight, kind) = match.group(name), match.end(name), intent.groups[name]
        if (end <= reach and weight <= strength) or word in seen:
            continue
        reach, strength = max((reach, strength), (end, weight))
        seen.add(word)
        negation = _negated(norm, match.start(), spans, window) if intent.buying else None
        if negation is not None:
            muted.append(f"{intent.key} {kind} '{word}' negated by '{negation}'")
            continue
        missing *= 1.0 - weight
        reasons.append(f"matched {intent.key} {kind} '{word}'")
    return 1.0 - missing, reasons


def classify(text: str, model: IntentModel) -> Decision:
    """Decide which intent a message shows, how sure that is and whether it is hot."""
    norm = normalise(text, model.table)
    spans = [(m.end(), m.group()) for m in model.negations.finditer(norm) ]
    decline = model.declines.search(norm)
    cue = model.questions.search(norm)
    best: tuple[float, bool, str, list[str]] = (0.0, False, "other", [])
    if decline is not None:
        best = (model.decline_score, False, "other", [f"declined by '{decline.group()}'"])
    muted: list[str] = []
    for intent in model.intents:
        score, reasons = _score(intent, norm, spans, model.negation_window, muted)
        if intent.buying and score > 0 and decline is not None:
            muted.append(f"{intent.key} muted by the decline: {'; '.join(reasons)}")
            continue
        if intent.buying and score > 0 and cue is not None:
            score += model.question_boost * (1.0 - score)
            reasons.append("question mark raises confidence" if cue.group() == "?" else
                           f"question cue '{cue.group()}' raises confidence")
        if score > best[0] or (score == best[0] and score > 0 and best[1] and not intent.buying):
            best = (score, intent.buying, intent.key, reasons)
    score, buying, key, reasons = best
    if score < model.min_score:
        guess = f"best guess {key} scored {score:.2f}, below {model.min_score}"
        key, buying, reasons = "other", False, [guess if score > 0 else "no intent keyword matched"]
    hot = buying and score >= model.hot_threshold
    if buying:
        relation = "at or above" if hot else "below"
        reasons = reasons + [f"score {score:.2f} {relation} hot threshold {model.hot_threshold}"]
    return Decision(hot, key, round(score, 4), tuple(reasons + muted))
