"""Score the intent classifier on each labelled set and time it against a plain substring scan.

For each set (by default the set the rules were first tuned on, the fresh set written without looking at the rules
and the later rounds of unseen messages; each new set's first score estimated how the classifier does on messages
it has never seen, before the rules learnt from it) prints precision, recall and F1 on `hot`,
intent accuracy and the hot/not-hot confusion; then the throughput of `classify` and of a baseline that only
checks whether any keyword occurs in the message, over all sets together.

Usage: python bench/intents.py [--labelled PATH ...] [--rounds 20]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bots.intents import IntentModel, classify, load_intents, normalise  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "content" / "intent_examples"
LABELLED = (EXAMPLES / "intents_labelled.jsonl", EXAMPLES / "intents_fresh.jsonl", EXAMPLES / "intents_more.jsonl")


def read_labelled(path: Path) -> list[dict]:
    """Read the labelled JSON lines."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def quality(rows: list[dict], model: IntentModel) -> dict[str, float]:
    """Return confusion counts, precision, recall, F1 on `hot` and intent accuracy."""
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    right = 0
    for row in rows:
        decision = classify(row["text"], model)
        key = ("t" if decision.hot == row["hot"] else "f") + ("p" if decision.hot else "n")
        counts[key] += 1
        right += decision.intent == row["intent"]
    precision = counts["tp"] / max(1, counts["tp"] + counts["fp"])
    recall = counts["tp"] / max(1, counts["tp"] + counts["fn"])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {**counts, "precision": precision, "recall": recall, "f1": f1, "accuracy": right / max(1, len(rows))}


def throughput(texts: list[str], work, rounds: int) -> float:
    """Return messages per second for `work` over `texts`, repeated `rounds` times."""
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            work(text)
    return len(texts) * rounds / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelled", type=Path, nargs="+", default=list(LABELLED),
                        help="JSON lines files of {text, hot, intent}, each scored on its own")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    model = load_intents()
    texts = []
    for path in args.labelled:
        rows = read_labelled(path)
        texts += [row["text"] for row in rows]
        q = quality(rows, model)
        hot = sum(row["hot"] for row in rows)
        print(f"{path.name}: {len(rows)} labelled messages ({hot} hot, {hot / max(1, len(rows)):.0%})")
        print(f"  hot precision {q['precision']:.3f}  recall {q['recall']:.3f}  F1 {q['f1']:.3f}")
        print(f"  intent accuracy {q['accuracy']:.3f}")
        print("  confusion         predicted hot  predicted not")
        print(f"    labelled hot    {q['tp']:>13}  {q['fn']:>13}")
        print(f"    labelled not    {q['fp']:>13}  {q['tn']:>13}")
    keywords = [word for intent in model.intents for word in intent.words]

    def baseline(text: str) -> bool:
        folded = normalise(text, model.table)
        return any(word in folded for word in keywords)

    ours = throughput(texts, lambda text: classify(text, model), args.rounds)
    plain = throughput(texts, baseline, args.rounds)
    print(f"throughput over all {len(texts)} messages, {args.rounds} rounds")
    print(f"classify:        {ours:>10,.0f} messages/s")
    print(f"substring scan:  {plain:>10,.0f} messages/s over the same {len(keywords)} keywords")
    print(f"ratio classify/substring: {ours / plain:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
