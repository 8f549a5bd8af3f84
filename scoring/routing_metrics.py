"""Router quality summaries over the threshold sweep, as RouteLLM (Ong et al. 2024) defines them,
plus AUC, the Pareto frontier and the recommended threshold.

With c(t) the share of calls that go to the large (strong) model at threshold t (1 - share
routed small, weighted to the population) and quality(t) the quality of the answers served:

- PGR(t) = (quality(t) - quality(always small)) / (quality(always large) - quality(always small));
  undefined (NaN) when the large model is not better than the small one on the sample.
- APGR = the area under PGR against c over [0, 1]: the trapezoid rule over the router's
  operating points (c(t), PGR(t)) with the two ends every router has, always small (0, 0) and
  always large (1, 1), as RouteLLM's evaluate.py integrates ``np.trapz`` over the strong-call
  percentage. A router that scores every request the same has only the two ends: APGR 0.5.
- CPT(x%) = the smallest c(t) among the operating points whose PGR(t) >= x% (always large is
  one, so it is at most 100%). RouteLLM's paper defines it so; its evaluate.py interpolates
  between measured points with ``np.interp``, which presumes quality rising with c, so we take
  the measured points only.

Arrays are thresholds x replicates (column 0 the point estimate); every function works on all
replicates at once.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def performance_gap_recovered(quality: np.ndarray, weak: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """PGR by threshold; NaN where strong <= weak.

    Example:
        >>> performance_gap_recovered(np.array([[0.75], [1.0]]), np.array([[0.5]]), np.array([[1.0]])).tolist()
        [[0.5], [1.0]]
    """
    gap = strong - weak
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap > 1e-12, (quality - weak) / gap, np.nan)


def _with_ends(share_small: np.ndarray, pgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Thresholds ascend, so the strong-call share c = 1 - share_small ascends down each column.
    ends = np.zeros((1, share_small.shape[1]))
    calls = np.vstack([ends, 1.0 - share_small, ends + 1.0])
    gained = np.vstack([ends, pgr, ends + 1.0])
    return calls, gained


def apgr(share_small: np.ndarray, pgr: np.ndarray) -> np.ndarray:
    """Area under PGR against the strong-call share, both ends included; NaN where PGR is.

    Example:
        >>> apgr(np.array([[1.0], [0.5], [0.0]]), np.array([[0.0], [0.8], [1.0]])).tolist()  # (0,0) (0.5,0.8) (1,1)
        [0.65]
    """
    calls, gained = _with_ends(share_small, pgr)
    area = np.trapezoid(gained, calls, axis=0)
    return np.where(np.isnan(pgr).any(axis=0), np.nan, area)


def call_performance_threshold(share_small: np.ndarray, pgr: np.ndarray, target: float) -> np.ndarray:
    """CPT(target): the smallest strong-call share reaching PGR >= target; NaN where PGR is.

    Example:
        >>> call_performance_threshold(np.array([[1.0], [0.5], [0.0]]), np.array([[0.0], [0.8], [1.0]]), 0.5).tolist()
        [0.5]
    """
    calls, gained = _with_ends(share_small, pgr)
    reached = np.where(gained >= target - 1e-12, calls, np.inf)
    return np.where(np.isnan(pgr).any(axis=0), np.nan, reached.min(axis=0))


def weighted_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """P(score of a positive > score of a negative) + P(tie) / 2, requests weighted, for each
    column of ``weights`` (n x replicates); NaN where a column has no positive or no negative.

    Example:
        >>> weighted_auc(np.array([0.9, 0.1, 0.5]), np.array([True, False, False]), np.ones((3, 1))).tolist()
        [1.0]
    """
    _, level = np.unique(scores, return_inverse=True)
    n, levels = len(scores), level.max(initial=-1) + 1
    positive = np.asarray(labels, dtype=bool)
    # One sparse product: positives' weights by score level in rows 0..levels-1, negatives' below.
    placed = sparse.csr_matrix((np.ones(n, dtype=weights.dtype), (level + levels * ~positive, np.arange(n))),
                               shape=(2 * levels, n))
    summed = np.asarray(placed @ weights)
    pos, neg = summed[:levels], summed[levels:]
    pairs = pos.sum(axis=0, dtype=np.float64) * neg.sum(axis=0, dtype=np.float64)
    pairs_tied = np.einsum("lr,lr->r", pos, neg, dtype=np.float64)
    np.cumsum(neg, axis=0, out=neg)  # in place: negatives at or below each level
    wins = np.einsum("lr,lr->r", pos, neg, dtype=np.float64) - 0.5 * pairs_tied  # ties count half
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, wins / pairs, np.nan)


def pareto_front(savings: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """True for thresholds no other threshold beats on both savings and quality (at least as
    good on both and better on one).

    Example:
        >>> pareto_front(np.array([1.0, 2.0, 2.0]), np.array([0.9, 0.8, 0.7])).tolist()
        [True, True, False]
    """
    s, q = savings[None, :], quality[None, :]
    no_worse = (s >= savings[:, None]) & (q >= quality[:, None])
    better = (s > savings[:, None]) | (q > quality[:, None])
    return ~(no_worse & better).any(axis=1)


def recommend(savings: np.ndarray, agreement_lo: np.ndarray, thresholds: np.ndarray, target: float) -> int | None:
    """Index of the threshold with the largest positive savings whose agreement lower bound is
    at or above ``target`` (ties: the higher bound, then the higher threshold); None if none.

    Example:
        >>> recommend(np.array([5.0, 3.0, 1.0]), np.array([0.90, 0.96, 0.99]), np.array([0.1, 0.5, 0.9]), 0.95)
        1
    """
    bound = np.nan_to_num(agreement_lo, nan=-np.inf)
    eligible = np.flatnonzero((bound >= target) & (savings > 0))
    if not len(eligible):
        return None
    order = np.lexsort((thresholds[eligible], bound[eligible], savings[eligible]))
    return int(eligible[order[-1]])
