"""The query-only classifier router: from the query alone (its sentence embedding and length),
the probability that the small answer is good enough, learned on the replay sample.

Features: the query's static embedding distilled from the configured sentence embedder
(all-MiniLM-L6-v2 by default: 384 numbers, ``scoring.agreement.embedding.StaticEmbedder``), log(1 +
words) and log(1 + characters). Static, because MiniLM itself embeds ~50 short queries a CPU-second
here: a million imported requests took hours and their embeddings 3 GB (issue 27); the static
embedding takes seconds, and its AUC and APGR are within 0.01 of MiniLM's (docs/PERFORMANCE.md).
Model: scikit-learn's ``LogisticRegression`` after a ``StandardScaler``.

Cross-fitting: the labelled requests it learns from (all of them, or a random TRAIN_LIMIT when
there are more) are cut into K stratified folds and each fold is scored by a model trained on
the other K - 1, so no request is scored by a model that saw its label (K =
``projection.classifier_folds``, lowered to the smaller class's count when it has fewer
members). Every other request (unlabelled, or beyond the limit) is scored by the model fitted on
all the requests learnt from, which never saw it, in batches of STREAM_BATCH: features are held
for the requests learnt from and one batch, never for all. With fewer than two requests in either
class nothing can be learned: every request gets the same score (the share of the label among
those learnt from) and a note says so.

Its own cost per request is measured: the seconds to embed every query and run the serving model
on it, divided by their number (on the embedder's device); computing a word piece's vector the first
time it is seen builds the static model (like fitting, offline) and is not counted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scoring.agreement.embedding import static_embedder
from scoring.routing.routers import RouterRun

# Labelled requests learnt from at most: the cross-fitting's time and memory grow with it, the AUC
# hardly beyond it (docs/PERFORMANCE.md, "Import": 20k, 100k and 300k of a 1M-row import).
TRAIN_LIMIT = 100_000
STREAM_BATCH = 50_000  # requests embedded and scored at once beyond those learnt from


def query_features(queries: Sequence[str], *, embedder) -> np.ndarray:
    """Static embedding (``embedder``: the sentence-transformer it is distilled from), log(1 +
    words) and log(1 + characters) of each query (n x 386 for MiniLM).

    Example:
        >>> query_features(["who wrote hamlet"], embedder=model).shape  # doctest: +SKIP
        (1, 386)
    """
    queries = [q or "" for q in queries]
    lengths = np.array([[len(q.split()), len(q)] for q in queries], dtype=float).reshape(-1, 2)
    return np.hstack([static_embedder(embedder).embed(queries).astype(np.float64), np.log1p(lengths)])


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


def _timed_features(queries: Sequence[str], rows: np.ndarray, *, embedder) -> tuple[np.ndarray, float]:
    # The features of queries[rows] and the seconds serving them would take: a word piece's first
    # vector is part of the model (distilled once), not of a query's cost.
    static = static_embedder(embedder)
    distilled, start = static.distilling_s, time.perf_counter()
    features = query_features([queries[i] for i in rows], embedder=embedder)
    return features, time.perf_counter() - start - (static.distilling_s - distilled)


def training_rows(labelled: np.ndarray, *, limit: int, seed: int) -> np.ndarray:
    """Indices of the labelled requests learnt from: all, or a random ``limit`` of them (sorted).

    Example:
        >>> training_rows(np.array([True, False, True]), limit=5, seed=0).tolist()
        [0, 2]
        >>> len(training_rows(np.ones(10, dtype=bool), limit=4, seed=0))
        4
    """
    rows = np.flatnonzero(labelled)
    if len(rows) <= limit:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, limit, replace=False))


def score_queries(queries: Sequence[str], labels: np.ndarray, *, embedder, folds: int, seed: int,
                  limit: int = TRAIN_LIMIT) -> RouterRun:
    """Scores of every query, with the measured cost of scoring one. ``labels`` may hold NaN for
    unscored pairs (open-ended, no judge): those requests are still routed. The labelled requests
    learnt from (``training_rows``) are cross-fitted among themselves; every other request is
    scored, a batch at a time, by the model fitted on all of them (it never was in their training).

    Example:
        >>> score_queries(["a", "b"], np.array([1.0, np.nan]), embedder=model, folds=5, seed=0)  # doctest: +SKIP
    """
    values = np.asarray(labels, dtype=float)
    learnt = training_rows(~np.isnan(values), limit=limit, seed=seed)
    features, seconds = _timed_features(queries, learnt, embedder=embedder)
    known = values[learnt] > 0.5
    scores = np.empty(len(values))
    scores[learnt], used = cross_fitted_scores(features, known, folds=folds, seed=seed)
    others = np.setdiff1d(np.arange(len(values)), learnt, assume_unique=True)
    if used:  # serving embeds each query and runs the model once on it; fitting is offline
        model = _model().fit(features, known)
        start = time.perf_counter()
        model.predict_proba(features)  # timed only: these requests keep their out-of-fold scores
        seconds += time.perf_counter() - start
        del features
        for begin in range(0, len(others), STREAM_BATCH):
            rows = others[begin: begin + STREAM_BATCH]
            batch, embedded = _timed_features(queries, rows, embedder=embedder)
            start = time.perf_counter()
            scores[rows] = model.predict_proba(batch)[:, 1]
            seconds += embedded + time.perf_counter() - start
        per_request = seconds / max(len(values), 1)
    else:
        scores[others] = known.mean() if known.size else 0.0
        per_request = seconds / max(len(learnt), 1)
    note = None
    if not used:
        note = (f"{int(np.sum(known))} of {len(learnt)} labelled requests learnt from have the label: too few of "
                "one kind to learn, every request scores the same")
    elif len(learnt) < int(np.sum(~np.isnan(values))):
        note = (f"learnt from a random {len(learnt):,} of the {int(np.sum(~np.isnan(values))):,} labelled requests "
                "(cross-fitted among themselves); the others scored by the model of all of them")
    # seconds: embedding + prediction, per query
    return RouterRun(np.clip(scores, 0.0, 1.0), per_request, used, note)
