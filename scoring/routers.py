"""Routers: each gives a request a score in [0, 1], its belief that the small answer is good
enough. At threshold t a request goes to the small model when score >= t.

Registry entries say whether the router is a cascade (the small model runs on every request,
so its cost is paid everywhere) and whether it can score requests that were not replayed.
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
    score: Callable[[pl.DataFrame, int], np.ndarray]


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
    # Knows the agree label: an upper bound on any router, defined on the sample only.
    return frame["agree"].cast(pl.Float64).fill_null(0.0).to_numpy()


ROUTERS: dict[str, Router] = {
    r.name: r
    for r in (
        Router("small_confidence", "small model's mean token probability (cascade)", True, True, _small_confidence),
        Router("random", "uniform random score (baseline)", False, False, _random),
        Router("length", "shorter query, higher score", False, False, _length),
        Router("oracle", "the agree label itself (upper bound, sample only)", False, True, _oracle),
    )
}


def score_requests(router: str, frame: pl.DataFrame, *, seed: int = 0) -> np.ndarray:
    """Scores in [0, 1] for each row of ``frame``.

    ``frame`` needs request_id and query, plus small_mean_logprob for small_confidence and
    agree for the oracle.

    Example:
        >>> score_requests("length", pl.DataFrame({"request_id": ["a"], "query": ["who wrote hamlet"]}))
        array([0.72727273])
    """
    if router not in ROUTERS:
        raise ValueError(f"unknown router {router!r}; known: {', '.join(ROUTERS)}")
    return np.clip(ROUTERS[router].score(frame, seed), 0.0, 1.0)
