"""The query-only classifier router: from the query alone (its sentence embedding and length),
the probability that the small model's answer is good enough, learned on the replay sample.

Features: the query's all-MiniLM-L6-v2 embedding (384 numbers, ``scoring.agreement.embedding``), log(1 +
words) and log(1 + characters). Model: scikit-learn's ``LogisticRegression`` after a
``StandardScaler``. Cross-fitting: the sample is cut into K stratified folds and each fold is
scored by a model trained on the other K - 1, so no request is scored by a model that saw its
label (K = ``projection.classifier_folds``, lowered to the smaller class's count when it has
fewer members). With fewer than two requests in either class nothing can be learned: every
request gets the same score (the sample's share of the label) and a note says so.

Its own cost per request is measured: the seconds to embed the sample's queries and run the
model on them, divided by their number (on the embedder's device).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scoring.agreement.embedding import embed_texts
from scoring.routing.routers import RouterRun


def query_features(queries: Sequence[str], *, embedder) -> np.ndarray:
    """Embedding, log(1 + words) and log(1 + characters) of each query (n x 386 for MiniLM).

    Example:
        >>> query_features(["who wrote hamlet"], embedder=model).shape  # doctest: +SKIP
        (1, 386)
    """
    queries = [q or "" for q in queries]
    lengths = np.array([[len(q.split()), len(q)] for q in queries], dtype=float).reshape(-1, 2)
    return np.hstack([embed_texts(queries, embedder=embedder).astype(np.float64), np.log1p(lengths)])


def _model():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def cross_fitted_scores(features: np.ndarray, labels: np.ndarray, *, folds: int, seed: int) -> tuple[np.ndarray, int]:
    """Out-of-fold probabilities of the label, and the number of folds used (0: too few of a
    class to learn anything; every request then scores the share of the label).

    Example:
        >>> x = np.arange(20, dtype=float)[:, None]
        >>> scores, k = cross_fitted_scores(x, x[:, 0] >= 10, folds=5, seed=0)
        >>> k, bool(scores[19] > 0.5 > scores[0])
        (5, True)
    """
    labels = np.asarray(labels, dtype=bool)
    smaller = int(min(labels.sum(), (~labels).sum()))
    k = min(folds, smaller)
    if k < 2:
        return np.full(len(labels), labels.mean() if len(labels) else 0.0), 0
    scores = np.empty(len(labels))
    for train, test in StratifiedKFold(k, shuffle=True, random_state=seed).split(features, labels):
        scores[test] = _model().fit(features[train], labels[train]).predict_proba(features[test])[:, 1]
    return scores, k


def score_queries(queries: Sequence[str], labels: np.ndarray, *, embedder, folds: int, seed: int) -> RouterRun:
    """Scores of every sampled query, with the measured cost of scoring one. ``labels`` may hold
    NaN for unscored pairs (open-ended, no judge): those requests are still routed, so they get a
    score from the model fitted on every labelled request (they never were in its training), and
    the labelled ones are cross-fitted among themselves.

    Example:
        >>> score_queries(["a", "b"], np.array([1.0, np.nan]), embedder=model, folds=5, seed=0)  # doctest: +SKIP
    """
    start = time.perf_counter()
    features = query_features(queries, embedder=embedder)
    embedded = time.perf_counter() - start
    values = np.asarray(labels, dtype=float)
    labelled = ~np.isnan(values)
    known = values[labelled] > 0.5
    scores = np.empty(len(values))
    scores[labelled], used = cross_fitted_scores(features[labelled], known, folds=folds, seed=seed)
    predicted = 0.0
    if used:  # serving runs the model once per query after the embedding; fitting is offline
        model = _model().fit(features[labelled], known)
        start = time.perf_counter()
        all_scores = model.predict_proba(features)[:, 1]
        predicted = time.perf_counter() - start
        scores[~labelled] = all_scores[~labelled]
    else:
        scores[~labelled] = known.mean() if known.size else 0.0
    note = None if used else (f"{int(np.sum(known))} of {int(labelled.sum())} labelled sampled requests have the "
                              "label: too few of one kind to learn, every request scores the same")
    per_request = (embedded + predicted) / max(len(values), 1)
    # seconds: embedding + prediction, per query
    return RouterRun(np.clip(scores, 0.0, 1.0), per_request, used, note)
