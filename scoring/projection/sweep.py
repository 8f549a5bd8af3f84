"""Routing projection of one router on one group of sampled requests: every threshold at once,
point estimates and bootstrap replicates from the same arithmetic.

Each sampled request i stands for ``weight_i`` logged requests, so a population total is
``sum_i w_i x_i`` (Horvitz-Thompson). A request goes small at threshold t when score_i >= t
(R_i = 1). With q_s, q_l the quality of the small and the large answer (agreement: q_s =
agree, q_l = 1; imported scores: as given), and per-request device-seconds / dollars of the
small model, the large model and the router:

- share_small(t) = sum w R / sum w;  agreement_small(t) = sum w S R agree / sum w S R;
- unchanged(t) = 1 - sum w S R (1 - agree) / sum w S;  quality(t) = sum w S (R q_s + (1 - R) q_l) / sum w S;
- cost(t) = sum w (router + [cascade] small + R small [not cascade] + (1 - R) large), for
  seconds and for dollars alike; saved(t) = sum w large - cost(t).

S_i = 1 for a scored request (agree, q_s and q_l all known; an unscored pair has them NULL):
figures of quality rest on the scored requests, shares and costs on all.

Every statistic is a ratio of totals and of sums over the requests routed small, and those are
suffix sums over the requests sorted by score: each request is put in the bin of the thresholds
it clears (``searchsorted``), the bins are summed with one sparse product per replicate set,
and a reverse cumulative sum gives every threshold. The cost is (replicates x requests) +
(replicates x thresholds), not their product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from scoring.projection.intervals import bootstrap_variance_scale, kish_effective_n

HOURS = 3600.0
# Float32 replicate weights made at once by Weights.columns (and the sums over them after it).
REPLICATE_BLOCK_BYTES = 64 * 2**20
# Per-request values summed over the requests routed small ...
ROUTED = ("routed", "scored", "agree", "quality_gain", "seconds_saved", "dollars_saved")
# ... and over every request.
TOTALS = ("requests", "scored", "quality_small", "quality_large", "seconds_fixed", "dollars_fixed",
          "seconds_large", "dollars_large")
REQUIRED = ("weight", "agree", "quality_small", "quality_large", "small_seconds", "large_seconds",
            "router_seconds", "small_dollars", "large_dollars", "router_dollars")


@dataclass(frozen=True)
class Curves:
    """Statistics by threshold (rows) and replicate (columns: 0 the point estimate, 1.. the
    bootstrap replicates); one-row arrays for figures that do not depend on the threshold."""

    share_small: np.ndarray
    agreement_small: np.ndarray
    unchanged: np.ndarray
    quality: np.ndarray
    seconds_saved: np.ndarray  # device-seconds saved over the whole group (not per day)
    dollars_saved: np.ndarray
    seconds_always_large: np.ndarray  # 1 x replicates: the totals without routing
    weak: np.ndarray  # 1 x replicates: quality of always-small
    strong: np.ndarray  # 1 x replicates: quality of always-large
    n_sample: int
    n_routed: np.ndarray  # sampled requests routed small, by threshold
    n_eff_routed: np.ndarray  # Kish effective size of the scored ones among them, by threshold
    n_scored: int = 0  # sampled requests with agreement (and quality) known
    n_routed_scored: np.ndarray | None = None  # of those, routed small, by threshold
    n_eff: float = 0.0  # Kish effective size of the group
    n_eff_scored: float = 0.0  # ... and of its scored requests
    # sum of (w x saving)^2 over the group, like seconds_saved / dollars_saved, and the number of
    # sampled requests drawn (1 x replicates): each replicate's own standard error of the savings
    seconds_squares: np.ndarray | None = None
    dollars_squares: np.ndarray | None = None
    draws: np.ndarray | None = None
    variance_scale: float = 1.0  # n / (n - 1) within a day: what the plain bootstrap's variance lacks
    quality_is_proportion: bool = True  # every scored quality value in [0, 1]
    n_quality_differs: int = 0  # scored requests whose small and large answers differ in quality


def threshold_bins(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """How many of the (sorted) thresholds each score clears: routed small at t_j iff bin > j.

    Example:
        >>> threshold_bins(np.array([0.0, 0.5, 0.9]), np.array([0.0, 0.5, 1.0])).tolist()
        [1, 2, 2]
    """
    return np.searchsorted(thresholds, scores, side="right")


def suffix_sums(weights: np.ndarray, values: np.ndarray, bins: np.ndarray, n_thresholds: int) -> np.ndarray:
    """sum_i values[i, k] weights[i, r] over the requests with bin >= j, for j = 0 (every
    request) to n_thresholds (j > 0: routed small at threshold j - 1): an array of
    (columns of ``values``) x (n_thresholds + 1) x (columns of ``weights``).

    One sparse product: each request's values are placed in its bin, so the cost is
    requests x values x replicates, whatever the number of thresholds.

    Example:
        >>> s = suffix_sums(np.ones((3, 1)), np.ones((3, 1)), np.array([1, 2, 2]), 2)
        >>> s[0, :, 0].tolist()  # three in all, all three clear the first threshold, two the second
        [3.0, 3.0, 2.0]
    """
    return BinnedSums(values, bins, n_thresholds)(weights)


class BinnedSums:
    """``suffix_sums`` of fixed ``values`` and ``bins`` for any weights: each request's values
    are placed in its bin once per dtype and kept (building the sparse matrix costs about a third
    of a product, and ``Weights.columns`` calls this once per block of replicates).

    Example:
        >>> sums = BinnedSums(np.ones((3, 1)), np.array([1, 2, 2]), 2)
        >>> sums(np.ones((3, 1)))[0, :, 0].tolist()
        [3.0, 3.0, 2.0]
    """

    def __init__(self, values: np.ndarray, bins: np.ndarray, n_thresholds: int) -> None:
        self.values, self.bins, self.width = values, bins, n_thresholds + 1
        self.placed: dict = {}

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        n, k = self.values.shape
        placed = self.placed.get(weights.dtype)
        if placed is None:
            rows = (np.arange(k)[None, :] * self.width + self.bins[:, None]).ravel()
            placed = self.placed[weights.dtype] = sparse.csr_matrix(
                (self.values.astype(weights.dtype).ravel(), (rows, np.repeat(np.arange(n), k))),
                shape=(k * self.width, n))
        binned = np.asarray(placed @ weights).reshape(k, self.width, weights.shape[1])
        return np.cumsum(binned[:, ::-1], axis=1)[:, ::-1]


def request_values(sample: pl.DataFrame, *, cascade: bool) -> tuple[np.ndarray, np.ndarray]:
    """The per-request columns of ROUTED and TOTALS (n x 6 and n x 8); quality columns are 0
    on unscored requests (agree, quality_small or quality_large NULL or NaN), whose ``scored`` is 0."""
    col = {c: sample[c].cast(pl.Float64).to_numpy() for c in REQUIRED}
    scored = ~(np.isnan(col["agree"]) | np.isnan(col["quality_small"]) | np.isnan(col["quality_large"]))
    for c in ("agree", "quality_small", "quality_large"):
        col[c] = np.where(scored, col[c], 0.0)
    small_paid = 0.0 if cascade else 1.0  # a cascade pays the small model on every request
    routed = np.column_stack([
        np.ones(sample.height), scored, col["agree"], col["quality_small"] - col["quality_large"],
        col["large_seconds"] - small_paid * col["small_seconds"],
        col["large_dollars"] - small_paid * col["small_dollars"],
    ])
    totals = np.column_stack([
        np.ones(sample.height), scored, col["quality_small"], col["quality_large"],
        -(col["router_seconds"] + (1.0 - small_paid) * col["small_seconds"]),
        -(col["router_dollars"] + (1.0 - small_paid) * col["small_dollars"]),
        col["large_seconds"], col["large_dollars"],
    ])
    return routed, totals


@dataclass(frozen=True)
class Weights:
    """Each sampled request's weight in the point estimate (float64) and in each bootstrap
    replicate (draw count x weight; float32, which halves the memory traffic of the sums and
    moves a 95% bound by far less than its own Monte Carlo error): the same for every router.

    The replicate weights are never held whole: only the draw counts are (1 byte a cell), and
    ``columns`` makes the float32 weights of a block of replicates at a time, so memory grows
    with requests x replicates by 1 byte, not 12 (1M requests x 1,000 replicates: 1 GB).
    Every sum over requests is computed per replicate column, so blocks give the same numbers.
    """

    point: np.ndarray  # n
    counts: np.ndarray  # n x replicates: how often each request is drawn in each

    def __getitem__(self, members) -> Weights:
        return Weights(self.point[members], self.counts[members])

    @property
    def replicates(self) -> np.ndarray:
        """Every replicate's weights at once (n x replicates, float32): for small samples only."""
        return np.multiply(self.counts, self.point[:, None], dtype=np.float32)

    def columns(self, combine) -> np.ndarray:
        """``combine(weights_matrix)`` on the point and on the replicates, as one float64 array
        whose last axis is (point, replicates...); the replicates go through ``combine`` in
        blocks of about REPLICATE_BLOCK_BYTES of weights each."""
        point = combine(self.point[:, None])
        n, total = self.counts.shape
        block = max(1, min(total, REPLICATE_BLOCK_BYTES // (4 * max(n, 1))))
        parts = [point]
        for start in range(0, total, block):
            chunk = np.multiply(self.counts[:, start:start + block], self.point[:, None], dtype=np.float32)
            parts.append(combine(chunk).astype(np.float64))
        return np.concatenate(parts, axis=-1)


def replicate_weights(weight: np.ndarray, counts: np.ndarray) -> Weights:
    """The point and replicate weights of a sample from its bootstrap draw counts (n x B).

    Example:
        >>> replicate_weights(np.array([2.0, 3.0]), np.array([[0, 2], [1, 0]])).replicates.tolist()
        [[0.0, 4.0], [3.0, 0.0]]
    """
    return Weights(np.asarray(weight, dtype=np.float64), np.asarray(counts))


def project_group(sample: pl.DataFrame, scores: np.ndarray, weights: Weights, *,
                  thresholds: np.ndarray, cascade: bool) -> Curves:
    """Every statistic of one router on one group, by threshold, point and replicates.

    ``sample`` has the REQUIRED columns (one row per sampled request of the group),
    ``weights`` its ``replicate_weights``, ``thresholds`` are sorted.

    Example:
        >>> s = pl.DataFrame({"weight": [1.0, 1.0], "agree": [1.0, 0.0], "quality_small": [1.0, 0.0],
        ...     "quality_large": [1.0, 1.0], **{c: [1.0, 1.0] for c in REQUIRED[4:]}})
        >>> w = replicate_weights(np.ones(2), np.ones((2, 2)))
        >>> c = project_group(s, np.array([0.9, 0.1]), w, thresholds=np.array([0.5]), cascade=False)
        >>> c.share_small[:, 0].tolist(), c.agreement_small[:, 0].tolist()
        ([0.5], [1.0])
    """
    w = sample["weight"].cast(pl.Float64).to_numpy()
    routed_values, total_values = request_values(sample, cascade=cascade)
    bins = threshold_bins(scores, thresholds)
    # Savings of request i at t: w_i (b_i + R_i a_i), b its fixed part, a what routing it small
    # saves; its square w^2 b^2 + R w^2 ((a + b)^2 - b^2), summed like the savings themselves
    # (each replicate's own standard error, for the bootstrap-t), in the same pass.
    fixed, saved = total_values[:, 4:6], routed_values[:, 4:6]
    routed_all = np.column_stack([routed_values, w[:, None] * ((fixed + saved) ** 2 - fixed**2)])
    draws = np.where(w > 0, 1.0 / np.where(w > 0, w, 1.0), 0.0)  # weight x 1 / w: counts the draws
    totals_all = np.column_stack([total_values, w[:, None] * fixed**2, draws])
    sums = weights.columns(BinnedSums(routed_all, bins, len(thresholds)))
    totals = weights.columns(lambda m: totals_all.T.astype(m.dtype) @ m)  # TOTALS, squares, draws x replicates
    # The total weight is the suffix sum over every bin, so share_small is exactly 1 where all clear.
    population = sums[0, :1]
    population = np.where(population > 0, population, np.nan)
    s_routed, s_scored, s_agree, s_gain, s_seconds, s_dollars, s_seconds_squares, s_dollars_squares = sums[:, 1:]
    _, scored_total, q_small, q_large, seconds_fixed, dollars_fixed, seconds_large, _ = (
        totals[[k]] for k in range(len(TOTALS)))
    scored_total = np.where(scored_total > 0, scored_total, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        agreement = np.where(s_scored > 0, s_agree / s_scored, np.nan)

    def share(part: np.ndarray) -> np.ndarray:
        # Suffix sums and totals add the same weights in another order: keep shares in [0, 1].
        return np.clip(part, 0.0, 1.0)

    # Sampled requests routed small (all, scored; unweighted) and the sum of w^2 over the scored
    # ones, for Kish's n_eff.
    scored = routed_values[:, 1]
    counted = suffix_sums(np.column_stack([np.ones(len(w)), w]), np.column_stack([np.ones(len(w)), scored, scored * w]),
                          bins, len(thresholds))
    days = sample["day"].cast(pl.String).to_numpy() if "day" in sample.columns else np.zeros(len(w))
    _, day_sizes = np.unique(days, return_counts=True)
    return Curves(
        share_small=share(s_routed / population),
        agreement_small=share(agreement),
        unchanged=share(1.0 - (s_scored - s_agree) / scored_total),
        quality=share((q_large + s_gain) / scored_total),
        seconds_saved=seconds_fixed + s_seconds,
        dollars_saved=dollars_fixed + s_dollars,
        seconds_always_large=seconds_large,
        weak=share(q_small / scored_total),
        strong=share(q_large / scored_total),
        n_sample=len(w),
        n_routed=np.rint(counted[0, 1:, 0]).astype(np.int64),
        n_eff_routed=kish_effective_n(s_scored[:, 0], counted[2, 1:, 1]),
        n_scored=int(scored.sum()),
        n_routed_scored=np.rint(counted[1, 1:, 0]).astype(np.int64),
        n_eff=float(kish_effective_n(w.sum(), (w * w).sum())),
        n_eff_scored=float(kish_effective_n((w * scored).sum(), (w * w * scored).sum())),
        seconds_squares=totals[[len(TOTALS)]] + s_seconds_squares,
        dollars_squares=totals[[len(TOTALS) + 1]] + s_dollars_squares,
        draws=totals[[len(TOTALS) + 2]],
        variance_scale=bootstrap_variance_scale(day_sizes),
        quality_is_proportion=bool(np.all((total_values[:, 2:4] >= 0) & (total_values[:, 2:4] <= 1))),
        n_quality_differs=int(np.sum((scored > 0) & (total_values[:, 2] != total_values[:, 3]))),
    )
