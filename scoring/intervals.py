"""95% intervals from a weighted sample: the within-day bootstrap and its guards.

- ``bootstrap_counts``: how often each sampled request is drawn in each replicate, resampled
  with replacement within its day (the sample is drawn per day).
- ``percentile_interval``: the 2.5th and 97.5th percentiles of the replicates, NaN ignored,
  for every column at once (one sort, no per-column loop).
- ``exact_bound``: when every sampled request routed small agrees (or none does), no
  replicate can show a disagreement, so the bootstrap interval collapses to a point. The
  one-sided bound then comes from the binomial: with n_eff successes out of n_eff the 95%
  (Clopper-Pearson) lower bound is 0.025^(1/n_eff), n_eff being Kish's effective sample size.
- ``MIN_SAMPLE``: below this many sampled requests behind a figure there is no interval at all
  (NULL), rather than a narrow one that the sample cannot support.
"""

from __future__ import annotations

import numpy as np

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


def exact_bound(n_eff: np.ndarray, level: float = LEVEL) -> np.ndarray:
    """Clopper-Pearson bound for a proportion observed at 1 in ``n_eff`` trials: the lower
    bound of p (and 1 minus it is the upper bound of a proportion observed at 0).

    Example:
        >>> round(float(exact_bound(np.array(72.0))), 4)
        0.9501
    """
    with np.errstate(divide="ignore"):
        return np.where(n_eff > 0, ((1.0 - level) / 2.0) ** (1.0 / np.maximum(n_eff, 1e-300)), 0.0)
