"""Routers: each gives a request a score in [0, 1], its belief that the small answer is good
enough. At threshold t a request goes to the small model when score >= t.

Registry entries say whether the router is a cascade (the small model runs on every request,
so its cost is paid everywhere), whether it can score requests that were not replayed, and
whether it is trained on the window's sample (query_classifier: cross-fitted, so it is scored
once for the whole window, never a day at a time).

``agree`` in a router's input is the label the classifier learns: the agree label, or for
imported quality scores "the small answer is at least as good as the large one". The oracle knows
more: with ``quality_small`` and ``quality_large`` (imported scores or correctness) it ranks each
request by how much better the large answer is, so sending the requests with the most to gain to
the large model first, it recovers the most quality at every share of calls to the large model:
its APGR bounds every router's, and so does its CPT as RouteLLM interpolates it (its own curve is
straight between its levels). With the agree label alone that ranking is the label itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Router:
    name: str
    description: str
    cascade: bool  # runs the small model first, escalates below the threshold
    needs_replay: bool  # scores only requests with a small replay (the sample)
    score: Callable[..., np.ndarray]
    trained: bool = False  # learns from the window's sample: scored for the whole window at once
    every_level: bool = False  # swept at each of its distinct scores too (the oracle: its curve's every corner)


def _small_confidence(frame: pl.DataFrame, seed: int) -> np.ndarray:
    # Geometric mean of the generated tokens' probabilities: exp(mean log-prob), in (0, 1].
    # A failed replay scores 0, so it always escalates.
    return np.exp(frame["small_mean_logprob"].fill_null(-np.inf).to_numpy())


def _random(frame: pl.DataFrame, seed: int) -> np.ndarray:
    # Uniform and reproducible: a hash of (seed, request id), not a generator's state.
    return np.array(
        [int(hashlib.sha256(f"{seed}:{r}".encode()).hexdigest()[:13], 16) / 16**13
         for r in frame["request_id"]]
    )


def _length(frame: pl.DataFrame, seed: int) -> np.ndarray:
    # Short queries are more often simple look-ups: 1 / (1 + words / 8).
    words = frame["query"].str.count_matches(r"\S+").to_numpy()
    return 1.0 / (1.0 + words / 8.0)


def _oracle(frame: pl.DataFrame, seed: int) -> np.ndarray:
    # Knows the answers' quality: an upper bound on any router, defined on the sample only. Score
    # (1 + quality_small - quality_large) / 2: the more the large answer is better, the lower;
    # an unscored pair (no quality) scores 0, as if the small answer lost all: it goes large first.
    if {"quality_small", "quality_large"} <= set(frame.columns):
        small = frame["quality_small"].cast(pl.Float64).fill_nan(None).to_numpy()
        large = frame["quality_large"].cast(pl.Float64).fill_nan(None).to_numpy()
        return np.nan_to_num((1.0 + small - large) / 2.0, nan=0.0)
    return frame["agree"].cast(pl.Float64).fill_nan(None).fill_null(0.0).to_numpy()


def _query_classifier(frame: pl.DataFrame, seed: int, *, embedder, folds: int = 5) -> np.ndarray:
    # Cross-fitted on the frame itself (scoring/routing/query_classifier.py): frame = the window's sample.
    from scoring.routing.query_classifier import score_queries

    labels = frame["agree"].cast(pl.Float64).fill_nan(None).to_numpy()  # null/NaN: unscored, not learnt from
    return score_queries(frame["query"].to_list(), labels, embedder=embedder, folds=folds, seed=seed).scores


ROUTERS: dict[str, Router] = {
    r.name: r
    for r in (
        Router("small_confidence", "small model's mean token probability (cascade)", True, True, _small_confidence),
        Router("query_classifier", "logistic regression on the query's embedding and length, cross-fitted "
               "on the replay sample", False, False, _query_classifier, trained=True),
        Router("random", "uniform random score (baseline)", False, False, _random),
        Router("length", "shorter query, higher score", False, False, _length),
        Router("oracle", "how much better the large answer is (imported quality), else the agree label "
               "(upper bound, sample only)", False, True, _oracle, every_level=True),
    )
}


def score_requests(router: str, frame: pl.DataFrame, *, seed: int = 0, embedder=None, folds: int = 5) -> np.ndarray:
    """Scores in [0, 1] for each row of ``frame``.

    ``frame`` needs request_id and query, plus small_mean_logprob for small_confidence, agree
    for the query_classifier (which also needs the sentence ``embedder`` and is cross-fitted on
    ``frame`` in ``folds`` folds: pass the whole window's sample), and for the oracle
    quality_small and quality_large (imported quality), else agree.

    Example:
        >>> score_requests("length", pl.DataFrame({"request_id": ["a"], "query": ["who wrote hamlet"]}))
        array([0.72727273])
    """
    if router not in ROUTERS:
        raise ValueError(f"unknown router {router!r}; known: {', '.join(ROUTERS)}")
    if ROUTERS[router].trained:
        if embedder is None:
            raise ValueError(f"router {router!r} needs the sentence embedder (embedder=...)")
        return np.clip(ROUTERS[router].score(frame, seed, embedder=embedder, folds=folds), 0.0, 1.0)
    return np.clip(ROUTERS[router].score(frame, seed), 0.0, 1.0)
