"""The review sample: which replayed pairs people review, drawn by the project, never picked by hand.

A second phase on top of the replay sample: among the replayed pairs, a stratified simple random
sample without replacement per (answer kind, day). Each pair gets a permanent random number
``u = hash(seed, request_id)`` in [0, 1); a stratum's n_h pairs with the smallest u are drawn, so
its inclusion probability is exactly n_h / N_h (every n_h-subset of the N_h pairs is equally
likely when the u are uniform and independent). The numbers are per pair, so a pipeline run that
adds days draws the new days' pairs and leaves earlier draws as they were. Open pairs (no
automatic agreement unless a judge is configured) are over-sampled (``open_factor``) and queued
first. Within a stratum the queue follows u, so the pairs reviewed so far are always a simple
random sample of it too (a prefix in u), should reviewers stop before the end.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

UNKNOWN_KIND = "unknown"  # pairs scored before answer kinds (migration 009)
OPEN_KIND = "open"

SAMPLE_SCHEMA = {
    "day": pl.Date, "request_id": pl.String, "kind": pl.String, "stratum": pl.String,
    "stratum_size": pl.Int32, "stratum_sample_size": pl.Int32, "inclusion_prob": pl.Float64,
    "small_side": pl.String, "reviewers_wanted": pl.Int32, "queue_rank": pl.Int32, "seed": pl.Int64,
}


def uniform(seed: int, purpose: str, request_id: str) -> float:
    """A permanent random number in [0, 1) for one pair and one purpose (draw, side, double).

    Example:
        >>> uniform(7, "draw", "req-1") == uniform(7, "draw", "req-1") != uniform(8, "draw", "req-1")
        True
    """
    digest = hashlib.blake2b(f"{seed}\x1f{purpose}\x1f{request_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def stratum_target(kind: str, *, per_day: int, open_factor: int) -> int:
    """Pairs drawn from one (kind, day) stratum at most: open pairs ``open_factor`` times as many."""
    return per_day * (open_factor if kind == OPEN_KIND else 1)


def draw_review_sample(pairs: pl.DataFrame, *, per_day: int, open_factor: int, double_share: float,
                       seed: int) -> pl.DataFrame:
    """The review sample of ``pairs`` (day, request_id, kind; one row per replayed pair), in
    SAMPLE_SCHEMA: each drawn pair with its stratum, N_h, n_h, inclusion probability n_h / N_h,
    the side the small model's answer is shown on, how many reviewers it wants (2 for a share
    ``double_share`` of them, for inter-reviewer agreement) and its place in the queue.

    Example:
        >>> import datetime as dt
        >>> pairs = pl.DataFrame({"day": [dt.date(2026, 11, 1)] * 4, "request_id": ["a", "b", "c", "d"],
        ...                       "kind": ["short", "short", "short", "open"]})
        >>> drawn = draw_review_sample(pairs, per_day=2, open_factor=2, double_share=0.0, seed=1)
        >>> drawn.select("kind", "stratum_size", "inclusion_prob").sort("kind").rows()
        [('open', 1, 1.0), ('short', 3, 0.6666666666666666), ('short', 3, 0.6666666666666666)]
    """
    if pairs.is_empty():
        return pl.DataFrame(schema=SAMPLE_SCHEMA)
    ids = pairs["request_id"].to_list()
    frame = pairs.select("day", "request_id", pl.col("kind").fill_null(UNKNOWN_KIND)).with_columns(
        pl.Series("u", [uniform(seed, "draw", r) for r in ids], dtype=pl.Float64),
        pl.Series("side_u", [uniform(seed, "side", r) for r in ids], dtype=pl.Float64),
        pl.Series("double_u", [uniform(seed, "double", r) for r in ids], dtype=pl.Float64),
    )
    targets = {k: stratum_target(k, per_day=per_day, open_factor=open_factor) for k in frame["kind"].unique()}
    frame = frame.with_columns(
        stratum=pl.concat_str(pl.col("kind"), pl.col("day").cast(pl.String), separator="|"),
        stratum_size=pl.len().over("kind", "day").cast(pl.Int32),
        rank=pl.col("u").rank("ordinal").over("kind", "day"),
        target=pl.col("kind").replace_strict(targets, return_dtype=pl.Int32),
    ).with_columns(stratum_sample_size=pl.min_horizontal("stratum_size", "target").cast(pl.Int32))
    drawn = frame.filter(pl.col("rank") <= pl.col("stratum_sample_size")).with_columns(
        inclusion_prob=pl.col("stratum_sample_size") / pl.col("stratum_size"),
        small_side=pl.when(pl.col("side_u") < 0.5).then(pl.lit("left")).otherwise(pl.lit("right")),
        reviewers_wanted=pl.when(pl.col("double_u") < double_share).then(2).otherwise(1).cast(pl.Int32),
        open_last=(pl.col("kind") != OPEN_KIND),
        seed=pl.lit(seed, dtype=pl.Int64),
    ).sort("open_last", "u")
    return drawn.with_columns(queue_rank=pl.int_range(1, drawn.height + 1, dtype=pl.Int32)).select(
        [pl.col(c).cast(t) for c, t in SAMPLE_SCHEMA.items()])


def horvitz_thompson_mean(values: np.ndarray, inclusion: np.ndarray, population: int) -> float:
    """The Horvitz-Thompson estimate of a population mean from a sample's values and inclusion
    probabilities (what the review sample's probabilities are for).

    Example:
        >>> horvitz_thompson_mean(np.array([1.0, 0.0]), np.array([0.5, 0.5]), 4)
        0.5
    """
    return float(np.sum(np.asarray(values, float) / np.asarray(inclusion, float)) / population)
