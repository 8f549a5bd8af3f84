"""What reviewers' verdicts mean for the estimate: each verdict mapped through the side the small
model's answer was shown on to a preference (small, large, same or none), one label per pair, and
the agreement of two reviewers of the same pair (Cohen's kappa with its 95% interval).

The label of a pair (``review_parity``): 1.0 when the small answer is at least as good (small
better or about the same), 0.0 when the large one is better, null when nobody could judge. Each
reviewer's latest verdict counts (a reviewer may change their mind); when two or more reviewed a
pair, the label is the first reviewer's, first by the time of their first verdict on it, among
those whose latest verdict judges (a "can't judge" passes the pair to the next reviewer).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from scoring.validation.kappa import kappa_ci

# The verdicts are warehouse.reviews.VERDICTS (the store refuses any other).
PARITY = {"small": 1.0, "same": 1.0, "large": 0.0}
MIN_PAIRS_FOR_INTERVAL = 30  # as projection.min_sample_for_interval's default


def preference(verdict: str, small_side: str | None) -> str | None:
    """Which answer the verdict prefers: small, large, same, or None (can't judge).

    Example:
        >>> preference("left_better", "right"), preference("right_better", "right"), preference("same", None)
        ('large', 'small', 'same')
    """
    if verdict in ("small_better", "large_better"):
        return verdict.removesuffix("_better")
    if verdict == "same":
        return "same"
    if verdict == "cant_judge":
        return None
    if small_side not in ("left", "right"):
        raise ValueError(f"verdict {verdict!r} needs small_side left or right, got {small_side!r}")
    left = "small" if small_side == "left" else "large"
    right = "large" if left == "small" else "small"
    return left if verdict == "left_better" else right


def with_parity(verdicts: pl.DataFrame) -> pl.DataFrame:
    """``verdicts`` (request_id, reviewer, verdict, small_side, reviewed_at, ...) with ``preferred``
    and ``parity`` columns."""
    preferred = [preference(v, s) for v, s in zip(verdicts["verdict"], verdicts["small_side"], strict=True)]
    return verdicts.with_columns(
        pl.Series("preferred", preferred, dtype=pl.String),
        pl.Series("parity", [PARITY.get(p) for p in preferred], dtype=pl.Float64))


def latest_per_reviewer(verdicts: pl.DataFrame) -> pl.DataFrame:
    """One row per (request_id, reviewer): the reviewer's latest verdict, with ``first_at``, the
    time of their first verdict on the pair (the reviewers' order)."""
    ordered = with_parity(verdicts).sort("request_id", "reviewer", "reviewed_at")
    return ordered.group_by("request_id", "reviewer", maintain_order=True).agg(
        pl.all().last(), pl.col("reviewed_at").first().alias("first_at"))


def pair_labels(verdicts: pl.DataFrame) -> pl.DataFrame:
    """One row per reviewed pair: request_id, review_parity (the rule in the module's docstring),
    reviewers (how many reviewed it) and labelled_by (whose verdict is the label)."""
    latest = latest_per_reviewer(verdicts).sort("request_id", "first_at", "reviewer")
    judged = latest.filter(pl.col("parity").is_not_null())
    first = judged.group_by("request_id", maintain_order=True).agg(
        pl.col("parity").first().alias("review_parity"), pl.col("reviewer").first().alias("labelled_by"))
    counts = latest.group_by("request_id").agg(pl.len().cast(pl.Int32).alias("reviewers"))
    return counts.join(first, on="request_id", how="left").select(
        "request_id", "review_parity", "reviewers", "labelled_by").sort("request_id")


def reviewer_agreement(verdicts: pl.DataFrame, *, seed: int = 0) -> dict:
    """Cohen's kappa of the first two reviewers' labels (small at least as good, or not) over the
    pairs both judged, with a 95% bootstrap interval over pairs (``scoring.validation.kappa``);
    no interval on fewer than MIN_PAIRS_FOR_INTERVAL pairs. Also the share of those pairs on
    which the two gave the same preference (small / same / large)."""
    latest = latest_per_reviewer(verdicts).filter(pl.col("parity").is_not_null()).sort(
        "request_id", "first_at", "reviewer")
    two = latest.group_by("request_id", maintain_order=True).agg(
        pl.col("parity").head(2), pl.col("preferred").head(2)).filter(pl.col("parity").list.len() == 2)
    n = two.height
    result = {"pairs": n, "kappa": None, "kappa_lo": None, "kappa_hi": None, "same_preference": None, "note": None}
    if n == 0:
        result["note"] = "no pair judged by two reviewers yet"
        return result
    first = np.array([p[0] for p in two["parity"]], bool)
    second = np.array([p[1] for p in two["parity"]], bool)
    kappa, lo, hi = kappa_ci(first, second, seed=seed)
    result["same_preference"] = float(np.mean([p[0] == p[1] for p in two["preferred"]]))
    result["kappa"] = None if np.isnan(kappa) else kappa
    if n < MIN_PAIRS_FOR_INTERVAL:
        result["note"] = f"{n} pairs judged by two reviewers < {MIN_PAIRS_FOR_INTERVAL}: no interval"
    elif np.isnan(lo):
        result["note"] = "kappa undefined: the reviewers used one label only"
    else:
        result["kappa_lo"], result["kappa_hi"] = lo, hi
    return result
