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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from scoring.config import PlanBConfig


@dataclass(frozen=True)
class Router:
    name: str
    description: str
    cascade: bool  # runs the small model first, escalates below the threshold
    needs_replay: bool  # scores only requests with a small replay (the sample)
    score: Callable[..., np.ndarray]  # a trained router's returns a RouterRun (its measured cost too)
    needs: tuple[str, ...] = ()  # the frame's columns it reads beyond request_id
    trained: bool = False  # learns from the window's sample: scored for the whole window at once
    every_level: bool = False  # swept at each of its distinct scores too (the oracle: its curve's every corner)


@dataclass(frozen=True)
class RouterRun:
    """One router's scores over a frame, with its own measured cost per request (0 where it is
    negligible: a formula over columns) and, for a trained router, its folds and note."""

    scores: np.ndarray
    seconds_per_request: float = 0.0
    folds: int | None = None  # 0 when nothing could be learned
    note: str | None = None


@dataclass(frozen=True)
class RouterScores:
    """Every router a frame supports, scored; the configured ones it does not, with the reason."""

    runs: dict[str, RouterRun]
    skipped: list[str]

    @property
    def scores(self) -> dict[str, np.ndarray]:
        return {name: run.scores for name, run in self.runs.items()}

    @property
    def seconds(self) -> dict[str, float]:
        return {name: run.seconds_per_request for name, run in self.runs.items()}


def agree_values(frame: pl.DataFrame) -> np.ndarray:
    """The agree label as 1.0 / 0.0, NaN where the pair is unscored (null: open-ended, no judge).

    Example:
        >>> agree_values(pl.DataFrame({"agree": [True, None, False]})).tolist()
        [1.0, nan, 0.0]
    """
    return frame["agree"].cast(pl.Float64).fill_nan(None).to_numpy()


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
    return np.nan_to_num(agree_values(frame), nan=0.0)


def _query_classifier(frame: pl.DataFrame, seed: int, *, embedder, folds: int = 5) -> RouterRun:
    # Cross-fitted on the frame itself (scoring/routing/query_classifier.py): frame = the window's sample.
    from scoring.routing.query_classifier import score_queries

    # Unscored pairs (NaN) are routed but not learnt from.
    return score_queries(frame["query"].to_list(), agree_values(frame), embedder=embedder, folds=folds, seed=seed)


ROUTERS: dict[str, Router] = {
    r.name: r
    for r in (
        Router("small_confidence", "small model's mean token probability (cascade)", True, True, _small_confidence,
               needs=("small_mean_logprob",)),
        Router("query_classifier", "logistic regression on the query's embedding and length, cross-fitted "
               "on the replay sample", False, False, _query_classifier, needs=("query", "agree"), trained=True),
        Router("random", "uniform random score (baseline)", False, False, _random),
        Router("length", "shorter query, higher score", False, False, _length, needs=("query",)),
        Router("oracle", "how much better the large answer is (imported quality), else the agree label "
               "(upper bound, sample only)", False, True, _oracle, needs=("agree",), every_level=True),
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
    return _run(router, frame, seed=seed, embedder=embedder, folds=folds).scores


def _run(router: str, frame: pl.DataFrame, *, seed: int, embedder, folds: int) -> RouterRun:
    if router not in ROUTERS:
        raise ValueError(f"unknown router {router!r}; known: {', '.join(ROUTERS)}")
    if not ROUTERS[router].trained:
        return RouterRun(np.clip(ROUTERS[router].score(frame, seed), 0.0, 1.0))
    if embedder is None:
        raise ValueError(f"router {router!r} needs the sentence embedder (embedder=...)")
    run = ROUTERS[router].score(frame, seed, embedder=embedder, folds=folds)
    return replace(run, scores=np.clip(run.scores, 0.0, 1.0))


def score_routers(frame: pl.DataFrame, cfg: PlanBConfig, *, trained: bool | None = None) -> RouterScores:
    """Every configured router (``cfg.projection.routers``) that ``frame`` has the columns for,
    scored (the registry says what each reads; the embedder is loaded only for a router that
    embeds). ``trained``: only the routers trained on the window's sample (True) or only those
    scored a day at a time (False); None, all.

    Example:
        >>> score_routers(frame, load_config(None), trained=False).scores.keys()  # doctest: +SKIP
        dict_keys(['small_confidence', 'random', 'length', 'oracle'])
    """
    runs, skipped = {}, []
    for name in cfg.projection.routers:
        router = ROUTERS[name]
        if trained is not None and router.trained != trained:
            continue
        missing = [c for c in ("request_id", *router.needs) if c not in frame.columns]
        if missing:
            skipped.append(f"{name} (no {', '.join(missing)} column)")
            continue
        embedder = None
        if router.trained:
            from scoring.agreement.embedding import configured_embedder

            embedder = configured_embedder(cfg.agreement)
        runs[name] = _run(name, frame, seed=cfg.projection.seed, embedder=embedder,
                          folds=cfg.projection.classifier_folds)
    return RouterScores(runs, skipped)
