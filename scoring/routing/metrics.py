"""Router quality summaries over the threshold sweep, as RouteLLM (Ong et al. 2024) defines them,
plus AUC, the Pareto frontier and the risk-controlled recommended threshold.

With c(t) the share of calls that go to the large (strong) model at threshold t (1 - share
routed small, weighted to the population) and quality(t) the quality of the answers served:

- PGR(t) = (quality(t) - quality(always small)) / (quality(always large) - quality(always small));
  undefined (NaN) when the large model is not better than the small one on the sample.
- APGR = the area under PGR against c over [0, 1]: the trapezoid rule over the router's
  operating points (c(t), PGR(t)) with the two ends every router has, always small (0, 0) and
  always large (1, 1), as RouteLLM's evaluate.py integrates ``np.trapz`` over the strong-call
  percentage. A router that scores every request the same has only the two ends: APGR 0.5.
- CPT(x%) = the smallest c(t) among the operating points whose PGR(t) >= x% (always large is
  one, so it is at most 100%), as RouteLLM's paper defines it. RouteLLM's evaluate.py instead
  interpolates between the operating points with ``np.interp`` (which presumes PGR rising with
  c): ``call_performance_threshold_interpolated``, stored beside it (cpt50_routellm ...) so a
  published figure compares one to one.

The recommended threshold comes with a guarantee: "quality kept among the requests routed small
(agreement, or for imported scores 1 - the small answer's shortfall below the large one) is at
least the target" fails in at most RISK = 5% of samples, the choice among many thresholds
included. Learn-then-test (Angelopoulos et al. 2021): each threshold's null "kept < target" gets
a valid p-value (exact binomial at Kish's effective size for 0 / 1 scores; for scores in [0, 1]
the projection uses Waudby-Smith and Ramdas' betting test, scoring/quality/betting.py, where
Hoeffding-Bentkus, kept here, has little power; with human reviews the betting test on the
prediction-powered values, scoring/quality/ppi.py), the thresholds are tested in a fixed sequence
from the strictest down at level RISK, and the recommendation is the most saving of those certified (``certify``, ``recommend``).

Arrays are thresholds x replicates (column 0 the point estimate); every function works on all
replicates at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, special


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


def call_performance_threshold_interpolated(share_small: np.ndarray, pgr: np.ndarray, target: float) -> np.ndarray:
    """CPT(target) as RouteLLM's evaluate.py computes it (``pct_call_metric``): ``np.interp`` of the
    target over PGR, the operating points sorted by strong-call share, both ends included. It
    presumes PGR rises with the share; where it does not, this is what RouteLLM would print.
    NaN where PGR is.

    Example:
        >>> call_performance_threshold_interpolated(np.array([[1.0], [0.5], [0.0]]), np.array([[0.0], [0.4], [1.0]]),
        ...                                         0.5).round(4).tolist()  # between (0.5, 0.4) and (1, 1)
        [0.5833]
    """
    calls, gained = _with_ends(share_small, pgr)
    out = np.full(share_small.shape[1], np.nan)
    for column in np.flatnonzero(~np.isnan(pgr).any(axis=0)):  # np.interp is one-dimensional
        out[column] = np.interp(target, gained[:, column], calls[:, column])
    return out


# The recommendation's risk: the chance that the recommended threshold's true quality kept among
# the requests routed small is below the target (learn-then-test, Angelopoulos et al. 2021).
RISK = 0.05


def min_certifiable(target: float, risk: float = RISK) -> float:
    """The fewest (effective) requests routed small that can certify ``target``: even with every one
    kept, a p-value is at least target^n, so n >= log(risk) / log(target); inf for a target of 1.

    Example:
        >>> min_certifiable(0.95), min_certifiable(0.9)
        (59.0, 29.0)
    """
    if target >= 1.0:
        return float("inf")
    if target <= 0.0:
        return 1.0
    return float(np.ceil(np.log(risk) / np.log(target) - 1e-9))


def binomial_p_value(kept: np.ndarray, n_eff: np.ndarray, target: float) -> np.ndarray:
    """P-value of "the population's kept share is below ``target``" from a weighted share ``kept``
    of Kish's ``n_eff`` requests: P(Binomial(n_eff, target) >= kept x n_eff), the exact one-sided
    binomial test (equal weights: exactly it), non-integer counts through the regularized beta.

    Example:
        >>> binomial_p_value(np.array([1.0, 0.9]), np.array([59.0, 100.0]), 0.95).round(4).tolist()
        [0.0485, 0.9885]
    """
    kept, n_eff = np.broadcast_arrays(np.asarray(kept, dtype=float), np.asarray(n_eff, dtype=float))
    x = kept * n_eff
    with np.errstate(invalid="ignore"):
        tail = special.betainc(np.maximum(x, 1e-300), np.maximum(n_eff - x, 0.0) + 1.0, target)
    return np.where(x > 0, tail, 1.0)


def hoeffding_bentkus_p_value(kept: np.ndarray, n_eff: np.ndarray, target: float) -> np.ndarray:
    """The Hoeffding-Bentkus p-value (Bates et al. 2021, as learn-then-test uses it) of "the mean
    kept score is below ``target``" for scores in [0, 1], from their weighted mean over Kish's
    ``n_eff`` requests (rounded down): valid for any bounded score, not only 0 / 1.

    Example:
        >>> hoeffding_bentkus_p_value(np.array([1.0, 0.9]), np.array([59.0, 100.0]), 0.95).round(4).tolist()
        [0.0485, 1.0]
    """
    kept, n_eff = np.broadcast_arrays(np.asarray(kept, dtype=float), np.asarray(n_eff, dtype=float))
    n = np.floor(n_eff + 1e-9)
    loss, bound = 1.0 - kept, 1.0 - target  # H0: mean loss > bound
    a = np.minimum(loss, bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        h1 = special.xlogy(a, a / bound) + special.xlogy(1.0 - a, (1.0 - a) / (1.0 - bound))
        hoeffding = np.exp(-n * h1)
        k = np.ceil(n * loss - 1e-9)  # P(Binomial(n, bound) <= k) via the regularized beta
        bentkus = np.e * np.where(k >= n, 1.0, special.betainc(np.maximum(n - k, 1e-300), k + 1.0, 1.0 - bound))
    return np.where(n > 0, np.minimum(np.minimum(hoeffding, bentkus), 1.0), 1.0)


@dataclass(frozen=True)
class Certification:
    """The fixed-sequence test of every threshold: H0 "quality kept among the requests routed small
    is below the target", tested at level RISK from the strictest threshold down."""

    p_value: np.ndarray  # by threshold; NaN where too few are routed small to certify (not tested)
    certified: np.ndarray  # H0 rejected: the threshold keeps the target
    first_tested: int | None  # the strictest testable threshold (the sequence's start)
    min_routed: float  # effective requests routed small needed to certify (min_certifiable)


def certify(kept: np.ndarray, n_eff: np.ndarray, target: float, *, binary: bool, risk: float = RISK,
            p_value: np.ndarray | None = None, testable: np.ndarray | None = None) -> Certification:
    """Fixed-sequence testing down the thresholds (sorted ascending, so from the last): each
    threshold is tested at level ``risk`` and certified while every stricter one was; the first
    that is not ends the sequence. Thresholds with too few requests routed small to certify even
    if all were kept are skipped: that depends on the router's scores and weights, not on the
    labels, so the sequence is fixed before the test and the family-wise error stays <= ``risk``.
    ``binary``: the kept scores are 0 / 1 (binomial test), else any in [0, 1] (Hoeffding-Bentkus).
    ``p_value`` and ``testable`` (by threshold): another valid test's p-values and the thresholds
    it could reject at all (known before the labels are seen), used instead: the projection's
    betting tests (``scoring.quality``), for graded scores and for reviews.

    Example:
        >>> c = certify(np.array([0.90, 0.97, 1.0, 1.0]), np.array([300.0, 200.0, 80.0, 10.0]), 0.95, binary=True)
        >>> c.certified.tolist(), c.first_tested, c.min_routed
        ([False, False, True, False], 2, 59.0)
    """
    need = min_certifiable(target, risk)
    if p_value is None:
        testable = (n_eff >= need - 1e-9) & ~np.isnan(kept)
        p_value = np.full(len(kept), np.nan)
        test = binomial_p_value if binary else hoeffding_bentkus_p_value
        p_value[testable] = test(kept[testable], n_eff[testable], target)
    else:
        testable = np.asarray(testable, dtype=bool) & ~np.isnan(p_value)
        p_value = np.where(testable, p_value, np.nan)
    certified = np.zeros(len(kept), dtype=bool)
    for j in np.flatnonzero(testable)[::-1]:
        if p_value[j] > risk:
            break
        certified[j] = True
    first = np.flatnonzero(testable)
    return Certification(p_value, certified, int(first[-1]) if len(first) else None, need)


def recommend(savings: np.ndarray, certified: np.ndarray, thresholds: np.ndarray) -> int | None:
    """Index of the certified threshold with the largest positive savings (ties: the higher
    threshold); None if none.

    Example:
        >>> recommend(np.array([5.0, 3.0, 1.0]), np.array([False, True, True]), np.array([0.1, 0.5, 0.9]))
        1
    """
    eligible = np.flatnonzero(certified & (savings > 0))
    if not len(eligible):
        return None
    order = np.lexsort((thresholds[eligible], savings[eligible]))
    return int(eligible[order[-1]])
