"""Naive Bayes over labelled messages, asked only when no intent rule matched: pure code on scikit-learn.

Features are the characters and words of the normalised text and each adjacent pair of them, so "怎么收钱"
shares "怎么", "收" and "钱" with the labelled pricing questions even though no rule names it. A Bernoulli naive
Bayes decides hot or not; a multinomial one, fitted on the hot examples, picks the buying intent (it measured
better at that than a Bernoulli one on held-out folds). scikit-learn is imported on first fit, so processes that
only import the bots do not pay for it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import BernoulliNB, MultinomialNB

SMOOTHING = 0.5
_TOKENS = re.compile(r"[a-z]+|[\u3400-\u9fff]")


@dataclass(frozen=True)
class Example:
    """One labelled message, already normalised."""

    text: str
    hot: bool
    intent: str


@dataclass(frozen=True)
class Fallback:
    """The fitted models, and per known feature its weight of evidence for hot when present."""

    min_probability: float
    vectorizer: CountVectorizer
    hot: BernoulliNB
    intent: MultinomialNB
    evidence: np.ndarray
    names: np.ndarray
    examples: int


def features(norm: str) -> set[str]:
    """Return the characters, words and adjacent pairs of a normalised message."""
    tokens = _TOKENS.findall(norm)
    return set(tokens) | {f"{a} {b}" if a.isascii() and b.isascii() else a + b for a, b in pairwise(tokens)}


def learn(examples: Iterable[Example], min_probability: float) -> Fallback:
    """Fit the fallback on labelled examples; needs hot and not-hot ones (the loader checks)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import BernoulliNB, MultinomialNB

    examples = list(examples)
    vectorizer = CountVectorizer(analyzer=features, binary=True)
    matrix = vectorizer.fit_transform([example.text for example in examples])
    hot = np.array([example.hot for example in examples])
    is_hot = BernoulliNB(alpha=SMOOTHING, binarize=None).fit(matrix, hot)
    intent = MultinomialNB(alpha=SMOOTHING).fit(matrix[hot], [e.intent for e in examples if e.hot])
    present = is_hot.feature_log_prob_
    shift = present - np.log1p(-np.exp(present))
    evidence = shift[list(is_hot.classes_).index(True)] - shift[list(is_hot.classes_).index(False)]
    return Fallback(min_probability, vectorizer, is_hot, intent, evidence, vectorizer.get_feature_names_out(),
                    len(examples))


def judge(fallback: Fallback, norm: str) -> tuple[float, str, list[str]]:
    """Return (probability the message is hot, likeliest buying intent, the features that argue most for hot)."""
    row = fallback.vectorizer.transform([norm])
    probability = float(fallback.hot.predict_proba(row)[0, list(fallback.hot.classes_).index(True)])
    if probability < fallback.min_probability:
        return probability, "other", []
    intent = str(fallback.intent.predict(row)[0])
    known = sorted(((fallback.evidence[column], fallback.names[column]) for column in row.indices), reverse=True)
    return probability, intent, [str(name) for weight, name in known[:3] if weight > 0]
