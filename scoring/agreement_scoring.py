"""The whole agreement scoring stack for aligned lists of small and large answers, batched:
lexical metrics (each text normalised once), embedding cosine (each distinct text embedded
once, in one batched encode), the agree label, and the judge for the uncertain band.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from scoring.agreement import LEXICAL_METRICS, lexical_metrics, normalize_answer
from scoring.agreement_rule import AgreementRule
from scoring.embedding import embedding_cosine

METRICS = (*LEXICAL_METRICS, "cosine")
# decided_by: what made a pair's label.
IDENTICAL, ONE_EMPTY, JUDGE = "identical", "one_empty", "judge"

Judge = Callable[[list[int]], Sequence[float]]  # pair indices -> judge scores in [0, 1]


def answer_lengths(small: Sequence[str | None], large: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(shortest, longest) normalised token count of each pair."""
    counts = {t: len(normalize_answer(t).split()) for t in {*small, *large}}
    a = np.array([counts[t] for t in small], dtype=int)
    b = np.array([counts[t] for t in large], dtype=int)
    return np.minimum(a, b), np.maximum(a, b)


def score_pairs(small: Sequence[str | None], large: Sequence[str | None], *, embedder,
                rule: AgreementRule, questions: Sequence[str | None] | None = None,
                judge: Judge | None = None) -> dict[str, list]:
    """Every metric, the agree label and what decided it, per pair.

    ``questions`` (one a pair) are left out of the content tokens of content containment.
    ``judge``, when given and the rule has a judge band, is called once with the indices of
    the uncertain pairs and returns their judge scores; its verdict (score above 0.5) is
    their label. The ``judge`` column is the score where the judge was asked, else None.

    Example:
        >>> out = score_pairs(["Paris", ""], ["paris.", "London"], embedder=model, rule=rule)  # doctest: +SKIP
        >>> out["agree"], out["decided_by"]  # doctest: +SKIP
        ([True, False], ['identical', 'one_empty'])
    """
    small = [s or "" for s in small]
    large = [s or "" for s in large]
    if len(small) != len(large):
        raise ValueError(f"{len(small)} small answers but {len(large)} large answers")
    metrics: dict[str, list] = lexical_metrics(small, large, questions)
    metrics["cosine"] = embedding_cosine(small, large, embedder=embedder).tolist()
    shortest, longest = answer_lengths(small, large)
    decided = rule.deciding(metrics, shortest, longest)
    agree = rule.label(metrics, shortest, longest)
    decided_by = np.where(decided["short"], rule.short_metric, rule.long_metric).astype(object)
    decided_by[decided["one_empty"]] = ONE_EMPTY
    decided_by[decided["identical"]] = IDENTICAL
    judge_score: list[float | None] = [None] * len(small)
    if judge is not None:
        asked = np.flatnonzero(rule.uncertain(metrics, shortest, longest)).tolist()
        if asked:
            for i, score in zip(asked, judge(asked), strict=True):
                judge_score[i] = float(score)
                agree[i] = score > 0.5
                decided_by[i] = JUDGE
    return {**metrics, "judge": judge_score, "agree": [bool(x) for x in agree],
            "decided_by": decided_by.tolist()}
