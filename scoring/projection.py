"""Routing projection: for every threshold, what the whole logged population would cost and
how many answers would change, with 95% bootstrap intervals.

Each sampled request i stands for ``weight_i`` logged requests of its stratum, so a population
total is ``sum_i weight_i x_i`` (Horvitz-Thompson). At threshold t, with R_i = score_i >= t:

- device-seconds(t) = sum_i w_i (R_i c_small_i + (1 - R_i) c_large_i) for a router that
  chooses up front, and sum_i w_i (c_small_i + (1 - R_i) c_large_i) for a cascade, which runs the
  small model on everything and escalates the rest;
- savings(t) = device-seconds(always large) - device-seconds(t);
- agreement among requests routed small = sum w R agree / sum w R;
- unchanged share = sum w (R agree + (1 - R)) / sum w (answers routed large do not change).

Intervals: percentile bootstrap, resampling requests with replacement within each day (the
sample is drawn per day), every statistic of every threshold from the same replicates. All
thresholds are done at once as matrix products, so the cost is (replicates x requests) x
thresholds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

HOURS = 3600.0


@dataclass(frozen=True)
class Pricing:
    dollars_per_hour: float
    utilisation: float  # paid hours = useful hours / utilisation


def bootstrap_counts(groups: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """How often each request is drawn in each replicate (replicates x n), resampled within
    its group.

    Example:
        >>> bootstrap_counts(np.array([0, 0, 1]), 4, 0).sum(axis=1).tolist()
        [3.0, 3.0, 3.0, 3.0]
    """
    rng = np.random.default_rng(seed)
    n = len(groups)
    counts = np.zeros(replicates * n)
    offsets = (np.arange(replicates) * n)[:, None]
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        draws = members[rng.integers(0, len(members), size=(replicates, len(members)))]
        counts += np.bincount((offsets + draws).ravel(), minlength=replicates * n)
    return counts.reshape(replicates, n)


def _interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # A threshold that routes nothing small has no agreement in any replicate: NaN, not a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(values, [2.5, 97.5], axis=0)
    return lo, hi


def project_router(
    sample: pl.DataFrame,
    scores: np.ndarray,
    *,
    thresholds: np.ndarray,
    cascade: bool,
    days: int,
    pricing: Pricing,
    replicates: int,
    seed: int,
) -> pl.DataFrame:
    """The projection table of one router.

    ``sample`` holds one row per sampled request: day, weight, agree (bool), small_seconds,
    large_seconds (device-seconds from the cost model); ``scores`` are the router's scores.

    Example:
        >>> s = pl.DataFrame({"day": [1, 1, 2, 2], "weight": [10.0] * 4, "agree": [True, False, True, True],
        ...                   "small_seconds": [1.0] * 4, "large_seconds": [4.0] * 4})
        >>> t = project_router(s, np.array([0.9, 0.2, 0.6, 0.1]), thresholds=np.array([0.5]),
        ...                    cascade=False, days=2, pricing=Pricing(3.6, 1.0), replicates=200, seed=0)
        >>> t["share_small"][0], t["gpu_hours_saved_per_day"][0]
        (0.5, 0.00833...)
    """
    w = sample["weight"].to_numpy().astype(float)
    agree = sample["agree"].cast(pl.Float64).to_numpy()
    c_small = sample["small_seconds"].to_numpy().astype(float)
    c_large = sample["large_seconds"].to_numpy().astype(float)
    routed = (scores[:, None] >= thresholds[None, :]).astype(float)  # n x T

    # Per-request contributions, one column per threshold; totals are weighted sums of these.
    small_paid = np.ones_like(routed) if cascade else routed
    seconds = small_paid * c_small[:, None] + (1.0 - routed) * c_large[:, None]
    parts = {
        "routed": routed,
        "routed_agree": routed * agree[:, None],
        "seconds": seconds,
        "large": np.repeat(c_large[:, None], len(thresholds), axis=1),
    }
    point = {k: w @ v for k, v in parts.items()}
    total_w = w.sum()
    counts = bootstrap_counts(sample["day"].to_numpy(), replicates, seed)
    boot = {k: (counts * w) @ v for k, v in parts.items()}
    boot_w = (counts * w).sum(axis=1, keepdims=True)

    def statistics(p: dict, weight_total) -> dict[str, np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return {
                "share_small": p["routed"] / weight_total,
                "agreement_small": np.where(p["routed"] > 0, p["routed_agree"] / p["routed"], np.nan),
                "unchanged": (p["routed_agree"] + weight_total - p["routed"]) / weight_total,
                "saved_hours": (p["large"] - p["seconds"]) / HOURS / days,
            }

    est, reps = statistics(point, total_w), statistics(boot, boot_w)
    intervals = {k: _interval(v) for k, v in reps.items()}
    dollars = pricing.dollars_per_hour / pricing.utilisation
    saved_lo, saved_hi = intervals["saved_hours"]
    agree_lo, agree_hi = intervals["agreement_small"]
    return pl.DataFrame(
        {
            "threshold": thresholds,
            "n_sample": np.full(len(thresholds), len(w), dtype=np.int32),
            "requests_per_day": np.full(len(thresholds), total_w / days),
            "share_small": est["share_small"],
            "share_small_lo": intervals["share_small"][0],
            "share_small_hi": intervals["share_small"][1],
            "agreement_small": est["agreement_small"],
            "agreement_small_lo": np.where(np.isnan(est["agreement_small"]), np.nan, agree_lo),
            "agreement_small_hi": np.where(np.isnan(est["agreement_small"]), np.nan, agree_hi),
            "unchanged_share": est["unchanged"],
            "unchanged_lo": intervals["unchanged"][0],
            "unchanged_hi": intervals["unchanged"][1],
            "gpu_hours_per_day": point["seconds"] / HOURS / days,
            "gpu_hours_always_large_per_day": point["large"] / HOURS / days,
            "gpu_hours_saved_per_day": est["saved_hours"],
            "gpu_hours_saved_lo": saved_lo,
            "gpu_hours_saved_hi": saved_hi,
            "dollars_saved_per_day": est["saved_hours"] * dollars,
            "dollars_saved_per_day_lo": saved_lo * dollars,
            "dollars_saved_per_day_hi": saved_hi * dollars,
            "dollars_saved_per_year": est["saved_hours"] * dollars * 365,
            "dollars_saved_per_year_lo": saved_lo * dollars * 365,
            "dollars_saved_per_year_hi": saved_hi * dollars * 365,
        },
        nan_to_null=True,
    )
