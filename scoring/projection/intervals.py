"""95% intervals from a weighted sample: the within-day bootstrap and the intervals built on it.
Which method serves which figure was chosen by its coverage (bench/coverage.py, docs/STATISTICS.md).

- ``bootstrap_counts``: how often each sampled request is drawn in each replicate, resampled
  with replacement within its day (the sample is drawn per day).
- ``percentile_interval``: the 2.5th and 97.5th percentiles of the replicates, NaN ignored,
  for every column at once (one sort, no per-column loop); ``rescaled`` widens it by the
  n / (n - 1) that resampling n of n lacks (``bootstrap_variance_scale``). AUC, APGR, CPT.
- ``proportion_interval``: Korn and Graubard's Clopper-Pearson at the effective sample size
  from the bootstrap variance; where every sampled request agrees (or none does), no replicate
  varies and the bound is the binomial's at Kish's effective size, 0.025^(1/n_eff). Shares,
  agreement, unchanged share, quality.
- ``studentized_interval``: bootstrap-t for skewed totals (savings).
- ``MIN_SAMPLE``: below this many sampled requests behind a figure there is no interval at all
  (NULL), rather than a narrow one that the sample cannot support.
"""

from __future__ import annotations

import numpy as np
from scipy import special

LEVEL = 0.95
MIN_SAMPLE = 30  # the default of projection.min_sample_for_interval
# Draws held at once by bootstrap_counts (8 bytes each, twice: the draws and their counts).
_DRAW_CELLS = 8_000_000


def bootstrap_counts(groups: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """How often each request is drawn in each replicate (n x replicates), resampled with
    replacement within its group.

    The counts are stored in the narrowest unsigned integer type that holds them (uint8 unless
    some request is drawn over 255 times in one replicate): 1 byte a cell where int64 took 8,
    so 1M requests x 1,000 replicates take 1 GB. Each group is drawn in blocks of replicates,
    one after the other from the same generator, which gives exactly the draws of one call
    (the generator's stream does not depend on how it is split), so the counts do not depend
    on the block size.

    Example:
        >>> bootstrap_counts(np.array([0, 0, 1]), 4, 0).sum(axis=0).tolist()
        [3, 3, 3, 3]
    """
    rng = np.random.default_rng(seed)
    groups = np.asarray(groups)
    counts = np.zeros((len(groups), replicates), dtype=np.uint8)
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        size = len(members)
        block = max(1, min(replicates, _DRAW_CELLS // max(size, 1)))
        for start in range(0, replicates, block):
            width = min(block, replicates - start)
            draws = rng.integers(0, size, size=(width, size))
            # Counted per group (a small bincount each), in (replicate, member) cells.
            cells = draws + (np.arange(width) * size)[:, None]
            drawn = np.bincount(cells.ravel(), minlength=width * size).reshape(width, size).T
            if drawn.max(initial=0) > np.iinfo(counts.dtype).max:
                counts = counts.astype(np.min_scalar_type(size))
            counts[members, start:start + width] = drawn
    return counts


def _positions(size: np.ndarray | int, level: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    # numpy's "linear" method: position (size - 1) x q, between the values below and above it.
    last = np.maximum(np.asarray(size) - 1, 0)
    tail = (1.0 - level) / 2.0
    out = []
    for q in (tail, 1.0 - tail):
        position = last * q
        below = np.floor(position).astype(int)
        out.append((below, np.minimum(below + 1, last), position - below))
    return out


def percentile_interval(replicates: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile bounds along the last axis (the replicates), ignoring NaN
    (all-NaN rows give NaN).

    The same values as ``np.nanpercentile(..., method="linear")``. Rows without NaN take a
    partial sort (``np.partition``, linear time) at the four order statistics needed; rows with
    NaN (agreement where a replicate routes nothing small) a full sort.

    Example:
        >>> lo, hi = percentile_interval(np.array([[1.0, 2.0, 3.0, np.nan], [4.0, 1.0, 3.0, 2.0]]), level=0.5)
        >>> lo.tolist(), hi.tolist()
        ([1.5, 1.75], [2.5, 3.25])
    """
    values = np.asarray(replicates, dtype=float)
    lo, hi = np.full(values.shape[:-1], np.nan), np.full(values.shape[:-1], np.nan)
    has_nan = np.isnan(values).any(axis=-1)
    if (~has_nan).any():
        full = values[~has_nan]
        bounds = _positions(full.shape[-1], level)
        kth = sorted({int(k) for below, above, _ in bounds for k in (below, above)})
        part = np.partition(full, kth, axis=-1)
        for target, (below, above, frac) in zip((lo, hi), bounds):
            target[~has_nan] = part[..., below] + (part[..., above] - part[..., below]) * frac
    if has_nan.any():
        rows = np.sort(values[has_nan], axis=-1)  # NaN sorts last
        valid = np.sum(~np.isnan(rows), axis=-1)
        for target, (below, above, frac) in zip((lo, hi), _positions(valid, level)):
            low = np.take_along_axis(rows, below[..., None], axis=-1)[..., 0]
            high = np.take_along_axis(rows, above[..., None], axis=-1)[..., 0]
            target[has_nan] = np.where(valid > 0, low + (high - low) * frac, np.nan)
    return lo, hi


def kish_effective_n(weight_sum: np.ndarray, weight_square_sum: np.ndarray) -> np.ndarray:
    """Kish's effective sample size (sum w)^2 / sum w^2: equal weights give the count.

    Example:
        >>> float(kish_effective_n(np.array(30.0), np.array(90.0)))
        10.0
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(weight_square_sum > 0, weight_sum**2 / weight_square_sum, 0.0)


def bootstrap_variance_scale(group_sizes: np.ndarray) -> float:
    """What the within-group bootstrap's variance is to be multiplied by: resampling n of n
    gives (n - 1) / n of a total's variance, so sum n / sum (n - 1) over the groups of two or
    more (groups of one do not vary). 12 a day: 12 / 11.

    Example:
        >>> bootstrap_variance_scale(np.array([12, 12, 1]))
        1.0909090909090908
    """
    sizes = np.asarray(group_sizes, dtype=float)
    sizes = sizes[sizes >= 2]
    return float(sizes.sum() / (sizes - 1).sum()) if len(sizes) else 1.0


def rescaled(point: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds moved away from the point by sqrt(scale) (``bootstrap_variance_scale``).

    Example:
        >>> rescaled(np.array([1.0]), np.array([0.0]), np.array([3.0]), 4.0)
        (array([-1.]), array([5.]))
    """
    factor = np.sqrt(scale)
    return point - factor * (point - lo), point + factor * (hi - point)


def proportion_interval(point: np.ndarray, replicates: np.ndarray, count: np.ndarray, n_eff: np.ndarray, *,
                        variance_scale: float = 1.0, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Korn and Graubard's (1998) interval for a weighted proportion: Clopper-Pearson at the
    effective sample size n* = p (1 - p) / v, v the (rescaled) bootstrap variance of p, capped
    at ``count`` (the sampled requests behind p); where p is 0 or 1 (no replicate varies), n* is
    Kish's ``n_eff``; where p is between and no replicate varies, the interval is p. Unlike
    the percentile bootstrap it neither collapses to a point when no sampled request disagrees
    nor undercovers with a handful that do.

    Example:
        >>> lo, hi = proportion_interval(np.array([1.0]), np.ones((1, 50)), np.array([80]), np.array([80.0]))
        >>> round(float(lo[0]), 4), float(hi[0])  # 0.025^(1/80)
        (0.9549, 1.0)
    """
    p = np.asarray(point, dtype=float)
    v = _replicate_variance(np.asarray(replicates, dtype=float)) * variance_scale
    with np.errstate(invalid="ignore", divide="ignore"):
        inner = (p > 0) & (p < 1) & (v > 0)
        n_star = np.minimum(np.where(inner, p * (1 - p) / np.where(v > 0, v, 1.0), n_eff), count)
        n_star = np.where(np.isnan(p) | ~(n_star > 0), np.nan, n_star)
        x = p * n_star
        tail = (1.0 - level) / 2.0
        lo = np.where(x > 0, special.betaincinv(np.maximum(x, 1e-12), n_star - x + 1, tail), 0.0)
        hi = np.where(x < n_star, special.betaincinv(x + 1, np.maximum(n_star - x, 1e-12), 1.0 - tail), 1.0)
    # Strictly between 0 and 1 and still no replicate varies (a router scoring every request the
    # same: AUC 0.5 in every resample; a day of one request): the figure is what it is.
    fixed = (p > 0) & (p < 1) & (v == 0)
    lo, hi = np.where(fixed, p, lo), np.where(fixed, p, hi)
    return np.where(np.isnan(n_star), np.nan, lo), np.where(np.isnan(n_star), np.nan, hi)


def _replicate_variance(replicates: np.ndarray) -> np.ndarray:
    # Rows without NaN (most) in one pass; NaN (agreement where a replicate routes nothing
    # small) ignored in the others; 0 where fewer than two replicates are finite.
    has_nan = np.isnan(replicates).any(axis=-1)
    v = np.zeros(replicates.shape[:-1])
    if replicates.shape[-1] >= 2 and (~has_nan).any():
        v[~has_nan] = replicates[~has_nan].var(axis=-1, ddof=1)
    if has_nan.any():
        rows = replicates[has_nan]
        valid = (~np.isnan(rows)).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(rows, axis=-1) / valid
            squares = np.nansum((rows - mean[:, None]) ** 2, axis=-1)
            v[has_nan] = np.where(valid >= 2, squares / (valid - 1), 0.0)
    return v


def studentized_interval(totals: np.ndarray, squares: np.ndarray, draws: np.ndarray,
                         level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap-t interval of a total T = sum_i z_i, by row (column 0 the sample, 1.. the
    replicates): each column's standard error from its own draws, SE^2 = n / (n - 1) x
    (sum z^2 - T^2 / n), n the requests drawn (``draws``, 1 x columns); the percentiles of
    t* = (T* - T) / SE* replace the normal's. Savings are skewed (a few long answers carry
    much of them): a sample without those is low and also has a small SE, which t* sees and
    the percentile interval does not (it missed on one side). A row whose SE is 0 is its point;
    the interval always holds the point.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> z = rng.lognormal(0, 1, 40)
        >>> counts = rng.multinomial(40, np.full(40, 1 / 40), size=999).T
        >>> totals = np.concatenate([[z.sum()], z @ counts])[None, :]
        >>> squares = np.concatenate([[(z**2).sum()], z**2 @ counts])[None, :]
        >>> lo, hi = studentized_interval(totals, squares, np.full((1, 1000), 40.0))
        >>> bool(lo[0] < z.sum() < hi[0]), bool(hi[0] - z.sum() > z.sum() - lo[0])  # longer on the skewed side
        (True, True)
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = draws / (draws - 1) * (squares - totals**2 / draws)
        se = np.sqrt(np.where(draws > 1, np.maximum(variance, 0.0), np.nan))
        t = np.where(se[:, 1:] > 0, (totals[:, 1:] - totals[:, :1]) / se[:, 1:], np.nan)
    t_lo, t_hi = percentile_interval(t, level)
    point, se0 = totals[:, 0], se[:, 0]
    lo = np.where(se0 > 0, point - t_hi * se0, point)
    hi = np.where(se0 > 0, point - t_lo * se0, point)
    # With a handful of requests every replicate's t* can fall on one side of 0 (a percentile at
    # 0 up to rounding): the interval still holds its own estimate.
    return np.minimum(lo, point), np.maximum(hi, point)
