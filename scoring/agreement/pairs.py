"""The whole agreement scoring stack for aligned lists of small and large answers, batched:
lexical metrics (each text normalised once), the kind of each pair (``scoring.agreement.kind``),
the embedding cosine of short pairs (each distinct text embedded once, in one batched encode),
the agree label per kind (``scoring.agreement.rule``), and the judge for open pairs, core
pairs without a core, and short pairs in the uncertain band.

The cosine is computed for short pairs only: no label of a long pair uses it, and embedding
long answers was most of the stack's cost. It is None for core and open pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from scoring.agreement.core import ENTITY, answer_numbers, cores_agree, extract_core
from scoring.agreement.embedding import embedding_cosine
from scoring.agreement.final import FINAL_TYPES, final_of, finals_agree
from scoring.agreement.final import decided_by as final_decided_by
from scoring.agreement.kind import CORE, SHORT, pair_core_type, pair_kind
from scoring.agreement.metrics import LEXICAL_METRICS, _content_containment, content_tokens, lexical_metrics, normalize_answer
from scoring.agreement.rule import AgreementRule

METRICS = (*LEXICAL_METRICS, "cosine")
# decided_by: what made a pair's label (besides a metric name of the short rule and "core:<type>").
IDENTICAL, ONE_EMPTY, JUDGE, UNSCORED = "identical", "one_empty", "judge", "unscored"

Judge = Callable[[list[int]], Sequence[float]]  # pair indices -> judge scores in [0, 1]


def answer_lengths(small: Sequence[str | None], large: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(shortest, longest) normalised token count of each pair."""
    counts = {t: len(normalize_answer(t).split()) for t in {*small, *large}}
    a = np.array([counts[t] for t in small], dtype=int)
    b = np.array([counts[t] for t in large], dtype=int)
    return np.minimum(a, b), np.maximum(a, b)


def core_label(question: str | None, small: str, large: str, rule: AgreementRule) -> tuple[bool | None, str]:
    """(agree, decided_by) of one core pair: agreement on the final answer (a number, an option,
    yes / no, an explicit final answer: ``final:<how>``) or the core (a year, an entity:
    ``core:<type>``) both answers state, or (None, "unscored") when either states none that
    can be compared.

    Example:
        >>> rule = AgreementRule(3, "token_f1", 0.5, "content_containment", 0.9)
        >>> core_label("How many apples are left?", "First 8 - 3 = 5. So, 5 apples are left.",
        ...            "We subtract: 8 - 3 = 5. Therefore 5 apples remain.", rule)
        (True, 'final:unit')
    """
    core_type = pair_core_type(question, small, large)
    if core_type in FINAL_TYPES:
        fa, fb = final_of(small, question, core_type), final_of(large, question, core_type)
        if fa is None or fb is None:
            return None, UNSCORED
        return finals_agree(fa, fb, question, tolerance=rule.core_number_tolerance), final_decided_by(fa, fb)
    a, b = extract_core(small, question, core_type), extract_core(large, question, core_type)
    if a is None or b is None:
        return None, UNSCORED
    if a.type == ENTITY and b.type == ENTITY:
        na = answer_numbers(" ".join(a.values), question or "")
        nb = answer_numbers(" ".join(b.values), question or "")
        if na and nb:  # "second place" / "the third position": an entity that is a number
            return set(na) == set(nb), f"core:{ENTITY}"
        ta = content_tokens(" ".join(a.values), question)
        tb = content_tokens(" ".join(b.values), question)
        return _content_containment(ta, tb) >= rule.core_entity_threshold, f"core:{ENTITY}"
    verdict = cores_agree(a, b, tolerance=rule.core_number_tolerance)
    if verdict is None:
        return None, UNSCORED
    return verdict, f"core:{a.type}"


def score_pairs(small: Sequence[str | None], large: Sequence[str | None], *, embedder,
                rule: AgreementRule, questions: Sequence[str | None] | None = None,
                judge: Judge | None = None) -> dict[str, list]:
    """Every metric, the kind of each pair, the agree label (None: unscored) and what decided
    it, per pair.

    ``questions`` (one a pair) decide the kind and the core, and are left out of the content
    tokens of content containment. ``judge``, when given, is called once with the indices of
    the pairs it decides (open pairs, core pairs without a comparable core, short pairs in the
    rule's judge band) and returns one score in [0, 1] each: above 0.5, the small answer is at
    least as good as the large one, and the pair agrees. The ``judge`` column is the score
    where the judge was asked, else None. ``cosine`` is None for core and open pairs.

    Example:
        >>> out = score_pairs(["Paris", ""], ["paris.", "London"], embedder=model, rule=rule)  # doctest: +SKIP
        >>> out["agree"], out["decided_by"], out["kind"]  # doctest: +SKIP
        ([True, False], ['identical', 'one_empty'], ['short', 'short'])
    """
    small = [s or "" for s in small]
    large = [s or "" for s in large]
    if len(small) != len(large):
        raise ValueError(f"{len(small)} small answers but {len(large)} large answers")
    if questions is not None and len(questions) != len(small):
        raise ValueError(f"{len(questions)} questions but {len(small)} answer pairs")
    n = len(small)
    asked = [None] * n if questions is None else list(questions)
    metrics: dict[str, list] = lexical_metrics(small, large, asked)
    shortest, longest = answer_lengths(small, large)
    kinds = [pair_kind(q, a, b, short_kind_tokens=rule.short_kind_tokens, longest_tokens=int(t))
             for q, a, b, t in zip(asked, small, large, longest)]
    short = np.array([k == SHORT for k in kinds], dtype=bool)
    rows = np.flatnonzero(short)
    cosine: list[float | None] = [None] * n
    if rows.size:
        for i, value in zip(rows, embedding_cosine([small[i] for i in rows], [large[i] for i in rows],
                                                   embedder=embedder)):
            cosine[i] = float(value)
    metrics["cosine"] = cosine

    agree: list[bool | None] = [None] * n
    decided_by: list[str] = [UNSCORED] * n
    to_judge: list[int] = []
    if rows.size:
        sub = {name: np.asarray(values, dtype=float)[rows] if name != "cosine"
               else np.array([cosine[i] for i in rows], dtype=float) for name, values in metrics.items()}
        decided = rule.deciding(sub, shortest[rows], longest[rows])
        labels = rule.label(sub, shortest[rows], longest[rows])
        band = rule.uncertain(sub, shortest[rows], longest[rows])
        for k, i in enumerate(rows):
            agree[i] = bool(labels[k])
            decided_by[i] = rule.short_metric if decided["short"][k] else rule.long_metric
            if band[k]:
                to_judge.append(int(i))
    exact = metrics["exact"]
    for i, kind in enumerate(kinds):
        if kind == SHORT:
            pass
        elif exact[i] == 1.0:
            agree[i], decided_by[i] = True, IDENTICAL
        elif kind == CORE and (label := core_label(asked[i], small[i], large[i], rule))[0] is not None:
            agree[i], decided_by[i] = label  # "A" against "(A) bank": a letter normalises to nothing
        elif shortest[i] == 0:
            agree[i], decided_by[i] = False, ONE_EMPTY
        elif kind == CORE:
            to_judge.append(i)
        else:
            to_judge.append(i)
    for i in np.flatnonzero(short):  # the short rule's fixed labels, named as such
        if exact[i] == 1.0:
            decided_by[i] = IDENTICAL
        elif shortest[i] == 0 and longest[i] > 0:
            decided_by[i] = ONE_EMPTY
    final_of.cache_clear()
    judge_score: list[float | None] = [None] * n
    if judge is not None and to_judge:
        to_judge.sort()
        for i, score in zip(to_judge, judge(to_judge), strict=True):
            judge_score[i] = float(score)
            agree[i] = bool(score > 0.5)
            decided_by[i] = JUDGE
    return {**metrics, "kind": kinds, "judge": judge_score, "agree": agree, "decided_by": decided_by}
