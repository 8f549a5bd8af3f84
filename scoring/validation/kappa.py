"""Cohen's kappa of a binary label against the truth, with a 95% interval from a bootstrap over
requests (pairs of one request, such as an MT-Bench question's two turns, are resampled
together, because they are not independent).
"""

from __future__ import annotations

import numpy as np


def _kappa_from_counts(tp, fp, fn, tn):
    """Kappa of 2x2 counts (arrays broadcast); NaN where it is undefined (one class only)."""
    tp, fp, fn, tn = (np.asarray(x, dtype=float) for x in (tp, fp, fn, tn))
    n = tp + fp + fn + tn
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (tp + tn) / n
        expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        return (observed - expected) / (1.0 - expected)


def cohen_kappa(predicted, truth) -> float:
    """Cohen's kappa of two boolean labels (NaN when chance agreement is 1).

    Example:
        >>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 3)
        0.5
    """
    p, t = np.asarray(predicted, bool), np.asarray(truth, bool)
    return float(_kappa_from_counts((p & t).sum(), (p & ~t).sum(), (~p & t).sum(), (~p & ~t).sum()))


def kappa_ci(predicted, truth, groups=None, *, reps: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """(kappa, 95% low, high): a percentile bootstrap that resamples ``groups`` (requests; each
    pair its own group when None) with replacement. NaN where it is undefined.

    Example:
        >>> k, lo, hi = kappa_ci([1, 1, 0, 0] * 25, [1, 0, 0, 0] * 25)
        >>> round(k, 3), lo < k < hi
        (0.5, True)
    """
    p, t = np.asarray(predicted, bool), np.asarray(truth, bool)
    if p.size == 0:
        return float("nan"), float("nan"), float("nan")
    groups = np.arange(p.size) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    n_groups = int(groups.max()) + 1
    cells = np.zeros((n_groups, 4))
    for k, mask in enumerate((p & t, p & ~t, ~p & t, ~p & ~t)):
        cells[:, k] = np.bincount(groups, weights=mask.astype(float), minlength=n_groups)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=reps)
    boot = weights @ cells
    kappas = _kappa_from_counts(*boot.T)
    kappas = kappas[np.isfinite(kappas)]
    point = cohen_kappa(p, t)
    if kappas.size == 0:
        return point, float("nan"), float("nan")
    low, high = np.percentile(kappas, [2.5, 97.5])
    return point, float(low), float(high)
