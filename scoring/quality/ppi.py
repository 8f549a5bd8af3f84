"""Quality kept among the requests routed small, estimated from every pair's automatic label (a
prediction) and the human reviews of some of them (the truth): prediction-powered inference with
power tuning, PPI++ (Angelopoulos, Duchi and Zrnic 2023), weighted by the two-phase sample design.

Per pair i of the replay sample (design weight w_i): the predictor yhat_i (``p_parity`` where
given, else the rule's / judge's kept value: agree, or 1 - max(0, large - small)); for the pairs
reviewed, the truth y_i (``review_parity``) and the review's inclusion probability pi_i, given the
pair was replayed (``review_inclusion``), so a reviewed pair stands for v_i = w_i / pi_i requests.
At a threshold t, over the pairs routed small (score >= t) that have a prediction:

    theta(lambda) = lambda * sum w yhat / sum w  +  sum_R v (y - lambda yhat) / sum_R v

the first term over all of them, the second (the rectifier, Hajek's ratio) over the reviewed
ones. Whatever the predictor's errors its expectation is the sample's kept share (the reviews
are a second-phase sample of the replayed pairs); lambda = 0 is the reviews alone, lambda = 1
plain PPI. Its variance is the sample's own (sum_S w^2 (y - theta)^2 / W^2, estimated from the
reviews) plus the rectifier's within the sample, (1 - f) B(y - lambda yhat), B Hajek's
linearised variance and f the share of the pairs reviewed; power tuning (PPI++) picks the lambda
that minimises it, lambda* = B(y, yhat) / B(yhat, yhat) clipped to [0, 1]. This is the two-phase
form of PPI++'s Cov / ((1 + n / N) Var): the reviews are a subset of the pairs, not a second
independent sample, so n / N does not shrink lambda (with n << N the two agree; tests/scoring/
quality checks both the estimate and the interval against ppi-python's). With no predictions at
all (no judge, no predictor) lambda is 0: the reviews alone.

The 95% interval inverts the test below: the kept shares the betting test does not reject at
2.5% on either side. It is finite-sample valid for the sample's kept share whatever the predictor
(a CLT interval is not: a handful of reviews that all happen to match a noisy judge read as a
judge without error, and it covered 60-80% in the study), and is widened in quadrature by the
sample's own error for the population's. No interval under MIN_REVIEWS reviews routed small.
Coverage by judge and number of reviews: bench/coverage.py --judges, docs/STATISTICS.md.

The test ("kept < target") is the betting test (``scoring.quality.betting``) on the
prediction-powered values z_i = lambda m + r_i (y_i - lambda yhat_i) of the reviewed pairs
(m the predictions' mean, r_i = v_i / mean v), whose mean is the sample's kept share whatever
the predictor, mixed over LAMBDAS (R-AutoEval+, Park et al. 2025), so a useless or adversarial
predictor costs only the mixture's factor log(3): the lambda = 0 component is the reviews alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from scoring.quality.betting import betting_p_value
from scoring.routing.metrics import RISK

LAMBDAS = (0.0, 0.5, 1.0)  # the betting test's mixture (fixed before the reviews are seen)
MIN_REVIEWS = 10  # reviews routed small for an interval
Z95 = 1.959963984540054
LEVEL = 0.95
BISECTIONS = 16  # the interval's bounds to 1.5e-5
REVIEW_COLUMNS = ("p_parity", "review_parity", "review_inclusion")
MAX_REVIEWS_TO_CERTIFY = 100_000


@dataclass(frozen=True)
class ReviewInputs:
    """Per pair: the predictor (NaN: none), the review's truth and inclusion (NaN: not reviewed)."""

    prediction: np.ndarray
    truth: np.ndarray
    inclusion: np.ndarray
    weight: np.ndarray

    @property
    def reviewed(self) -> np.ndarray:
        return ~np.isnan(self.truth) & ~np.isnan(self.inclusion)


def _column(sample: pl.DataFrame, name: str) -> np.ndarray:
    if name not in sample.columns:
        return np.full(sample.height, np.nan)
    return sample[name].cast(pl.Float64).fill_nan(None).fill_null(np.nan).to_numpy()


def _check(values: np.ndarray, name: str, low: float, high: float, *, open_low: bool = False) -> None:
    bad = ~np.isnan(values) & ((values <= low) if open_low else (values < low)) | (values > high)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        side = "(" if open_low else "["
        raise ValueError(f"row {row}: {name} = {float(values[row])!r} is outside {side}{low:g}, {high:g}]")


def review_inputs(sample: pl.DataFrame, kept: np.ndarray) -> ReviewInputs | None:
    """The predictor, truth and inclusion columns of a sample (``p_parity``, ``review_parity``,
    ``review_inclusion``, all optional; ``kept``: the rule's / judge's kept value per pair, NaN
    unscored); None when no pair is reviewed (a review without its inclusion probability is not
    in the current draw and no estimate may use it). Values outside their range: ValueError
    naming the row, column and value.

    Example:
        >>> s = pl.DataFrame({"weight": [1.0, 1.0], "p_parity": [0.9, None], "review_parity": [1.0, None],
        ...                   "review_inclusion": [0.5, None]})
        >>> r = review_inputs(s, np.array([0.0, 1.0]))
        >>> r.prediction.tolist(), r.reviewed.tolist()
        ([0.9, 1.0], [True, False])
    """
    p_parity, truth, inclusion = (_column(sample, c) for c in REVIEW_COLUMNS)
    _check(p_parity, "p_parity", 0.0, 1.0)
    _check(truth, "review_parity", 0.0, 1.0)
    _check(inclusion, "review_inclusion", 0.0, 1.0, open_low=True)
    inputs = ReviewInputs(np.where(np.isnan(p_parity), kept, p_parity), truth, inclusion,
                          sample["weight"].cast(pl.Float64).to_numpy())
    return inputs if inputs.reviewed.any() else None


@dataclass(frozen=True)
class _Betting:
    """The betting test's inputs: u (lambdas x reviews, in test order) and the affine map to [0, 1]."""

    u: np.ndarray
    offset: np.ndarray  # lambdas x thresholds
    scale: np.ndarray
    lower: np.ndarray  # z's lower bound and range, lambdas x thresholds: x = (z - lower) / width
    width: np.ndarray
    scores: np.ndarray  # of the reviews, in test order
    best_u: np.ndarray  # u of the lambda = 0 component with every review kept (y = 1): the testable check

    def null(self, mean: np.ndarray | float) -> np.ndarray:
        """A mean of z as a mean of x, by component and threshold."""
        return (mean - self.lower) / self.width

    def p_value(self, mean, thresholds: np.ndarray, *, above: bool = False, risk: float = RISK) -> np.ndarray:
        """p-values of "the kept share is at most ``mean``" (``above``: at least), by threshold."""
        if above:  # the mirror image: 1 - x is at most 1 - null
            return betting_p_value(-self.u, 1.0 - self.offset, self.scale, 1.0 - self.null(mean), self.scores,
                                   thresholds, risk=risk)
        return betting_p_value(self.u, self.offset, self.scale, self.null(mean), self.scores, thresholds, risk=risk)


@dataclass(frozen=True)
class ReviewedKept:
    """Kept among the routed small, by threshold, from the predictions and the reviews."""

    estimate: np.ndarray  # NaN where nothing is routed small
    lo: np.ndarray  # 95% interval; NaN under MIN_REVIEWS reviews routed small
    hi: np.ndarray
    lam: np.ndarray  # the PPI++ lambda of the estimate
    reviews: np.ndarray  # reviewed pairs routed small
    p_value: np.ndarray  # the betting test of "kept < target"; NaN where not testable
    testable: np.ndarray  # reviews all kept could reject (the reviews alone's part): the sequence's members
    source: np.ndarray  # 'predictions and reviews', 'reviews' (no predictor), 'predictions' (no review routed)
    review_share: np.ndarray  # share of the reviews routed small (to turn routed reviews into reviews)
    se: np.ndarray  # PPI++'s CLT standard error (not the interval's basis: it fails with few reviews)
    betting: _Betting | None = None  # the test's values (reviews_to_certify grows them)


def _suffix(values: np.ndarray, order: np.ndarray, first: np.ndarray, op=np.add) -> np.ndarray:
    # Sum (or max) over the pairs with score >= each threshold; values: pairs x columns.
    ordered = values[order]
    acc = op.accumulate(ordered[::-1], axis=0)[::-1]
    return np.vstack([acc, np.zeros((1, values.shape[1]))])[first]


def estimate_kept(inputs: ReviewInputs, scores: np.ndarray, thresholds: np.ndarray, target: float, *,
                  risk: float = RISK, seed: int = 0) -> ReviewedKept:
    """``ReviewedKept`` of one group of sampled pairs (thresholds sorted ascending).

    Example:
        >>> n = 200
        >>> truth = np.r_[np.ones(190), np.zeros(10)]
        >>> inputs = ReviewInputs(truth.copy(), np.where(np.arange(n) % 2 == 0, truth, np.nan),
        ...                       np.where(np.arange(n) % 2 == 0, 0.5, np.nan), np.ones(n))
        >>> k = estimate_kept(inputs, np.linspace(0, 1, n), np.array([0.0]), 0.9)
        >>> round(float(k.estimate[0]), 3), float(k.lam[0]), int(k.reviews[0]), str(k.source[0])
        (0.95, 1.0, 100, 'predictions and reviews')
    """
    has_prediction = ~np.isnan(inputs.prediction)
    predicted = bool(has_prediction.any())
    universe = has_prediction if predicted else np.ones(len(scores), dtype=bool)
    yhat = np.where(has_prediction, inputs.prediction, 0.0)
    reviewed = inputs.reviewed & universe
    a = np.where(universe, inputs.weight, 0.0)
    v = np.where(reviewed, inputs.weight / np.where(reviewed, inputs.inclusion, 1.0), 0.0)
    y = np.where(reviewed, inputs.truth, 0.0)
    order = np.argsort(scores, kind="stable")
    first = np.searchsorted(scores[order], thresholds, side="left")
    s = _suffix(np.column_stack([a, a * yhat, reviewed, v, v * y, v * yhat, v * v, v * v * y, v * v * yhat,
                                 v * v * y * y, v * v * y * yhat, v * v * yhat * yhat, v * a, v * a * y,
                                 v * a * y * y, universe]), order, first).T
    big_w, s_yhat, n_rev, big_v, s_vy, s_vyhat, s_v2, s_v2y, s_v2yhat, s_v2yy, s_v2yyhat, s_v2hh = s[:12]
    s_va, s_vay, s_vayy, n_universe = s[12:]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = s_yhat / big_w
        y_bar, yhat_bar = s_vy / big_v, s_vyhat / big_v

        def b(ab, a_sum, b_sum, a_bar, b_bar):  # Hajek covariance of the rectifier's parts
            return (ab - a_bar * b_sum - b_bar * a_sum + a_bar * b_bar * s_v2) / big_v**2

        b_yy = b(s_v2yy, s_v2y, s_v2y, y_bar, y_bar)
        b_yyhat = b(s_v2yyhat, s_v2y, s_v2yhat, y_bar, yhat_bar)
        b_hh = b(s_v2hh, s_v2yhat, s_v2yhat, yhat_bar, yhat_bar)
        lam = np.clip(np.where(b_hh > 0, b_yyhat / b_hh, 0.0), 0.0, 1.0) if predicted else np.zeros(len(thresholds))
        lam = np.where(n_rev > 0, np.nan_to_num(lam), 1.0)
        # A kept share: the rectified estimate can leave [0, 1] (lambda m + 1 - lambda x 0 ...)
        estimate = np.clip(np.where(n_rev > 0, lam * m + y_bar - lam * yhat_bar, m), 0.0, 1.0)
        # The sample's own error (its kept share against the population's), estimated from the
        # reviews as sum_S w^2 (y - theta)^2 / W^2.
        first_phase = np.maximum((s_vayy - 2 * y_bar * s_vay + y_bar**2 * s_va) / big_w**2, 0.0)
        # PPI++'s CLT standard error, with the reviews' finite-population factor (reported, and
        # checked against ppi-python; the interval is the betting test's, below)
        fraction = np.where(n_universe > 0, n_rev / np.maximum(n_universe, 1), 0.0)
        se = np.sqrt(np.maximum(first_phase + (1 - fraction) * (b_yy - 2 * lam * b_yyhat + lam**2 * b_hh), 0.0))
    source = np.where(n_rev > 0, "predictions and reviews" if predicted else "reviews", "predictions")
    estimate = np.where(big_w > 0, estimate, np.nan)
    # Without a predictor the reviews alone: one component, no mixture to pay for.
    betting = _betting(reviewed, v, y, yhat, scores, order, first, m, big_v, n_rev, LAMBDAS if predicted else (0.0,),
                       seed)
    p = betting.p_value(target, thresholds, risk=risk)
    # In the sequence only where the reviews could pass: the lambda = 0 component (its weight in
    # the mixture 1 / G) with every review kept. It rests on the weights and counts alone, not on
    # the labels nor the predictions (which, for an anti-correlated judge, would give the labels
    # away), so the sequence is fixed before the test.
    components = len(betting.offset)
    best = components * betting_p_value(betting.best_u, betting.offset[:1], betting.scale[:1],
                                        betting.null(target)[:1], betting.scores, thresholds, risk=risk)
    testable = (n_rev > 0) & (best <= risk)
    lo, hi = _interval(betting, thresholds, estimate, first_phase)
    enough = n_rev >= MIN_REVIEWS
    lo, hi = np.where(enough, lo, np.nan), np.where(enough, hi, np.nan)
    total_reviews = max(int(reviewed.sum()), 1)
    return ReviewedKept(estimate, lo, hi, np.where(n_rev > 0, lam, np.nan), n_rev.astype(int),
                        np.where(testable, p, np.nan), testable, source, n_rev / total_reviews,
                        np.where(n_rev > 1, se, np.nan), betting)


def _betting(reviewed, v, y, yhat, scores, order, first, m, big_v, n_rev, lams, seed) -> _Betting:
    """The betting test's values: z = lambda m + r (y - lambda yhat), r = v / mean v, lies in
    [lambda m - lambda r_max, lambda m + r_max]; mapped affinely onto [0, 1]."""
    picked = np.flatnonzero(reviewed)
    picked = picked[np.random.default_rng(seed).permutation(len(picked))]  # label-blind test order
    lams = np.asarray(lams, dtype=float)[:, None]
    top = _suffix(v[:, None], order, first, np.maximum)[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_v = np.where(n_rev > 0, big_v / np.maximum(n_rev, 1), 1.0)
        r_max = np.where(n_rev > 0, top / mean_v, 1.0)
        m_pred = np.nan_to_num(m)
        lower = lams * m_pred - lams * r_max
        width = (1 + lams) * r_max
        offset = lams * r_max / width
        scale = 1.0 / (mean_v * width)
    u = v[picked][None, :] * (y[picked][None, :] - lams * yhat[picked][None, :])
    best_u = v[picked][None, :]
    return _Betting(u, offset, scale * np.ones_like(lams), lower, width, scores[picked], best_u)


def _interval(betting: _Betting, thresholds: np.ndarray, estimate: np.ndarray,
              first_phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95% interval: the kept shares the betting test does not reject at 2.5% on either side
    (bisection: its p-value rises with the mean tested), which covers the sample's kept share
    whatever the predictor, widened in quadrature by the sample's own error (Z95 x its standard
    error) for the population's; it always holds the estimate."""
    lo, hi = np.zeros(len(thresholds)), np.ones(len(thresholds))
    for above in (False, True):
        low, high = np.zeros(len(thresholds)), np.ones(len(thresholds))
        for _ in range(BISECTIONS):
            middle = (low + high) / 2
            rejected = betting.p_value(middle, thresholds, above=above, risk=(1 - LEVEL) / 2) <= (1 - LEVEL) / 2
            # below the lower bound "at most middle" is rejected; above the upper one "at least middle"
            low, high = (np.where(rejected, middle, low), np.where(rejected, high, middle)) if not above else \
                (np.where(rejected, low, middle), np.where(rejected, middle, high))
        if above:
            hi = high
        else:
            lo = low
    with np.errstate(invalid="ignore"):
        margin = Z95 * np.sqrt(first_phase)
        lo = np.minimum(estimate - np.sqrt((estimate - lo).clip(0) ** 2 + margin**2), estimate)
        hi = np.maximum(estimate + np.sqrt((hi - estimate).clip(0) ** 2 + margin**2), estimate)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def reviews_to_certify(inputs: ReviewInputs, scores: np.ndarray, threshold: float, target: float, *,
                       risk: float = RISK, seed: int = 0) -> int | None:
    """How many more reviews (drawn as these were, from all pairs) it would take for the betting
    test to certify ``threshold`` if the new reviews routed small looked like those so far (they
    are repeated, in a seeded order, until the test passes): 0 if it passes now; None where it
    cannot (the estimate at or below the target, no review routed small, or more than
    MAX_REVIEWS_TO_CERTIFY).

    Example:
        >>> n = 400
        >>> truth = (np.arange(n) % 50 != 0).astype(float)  # 98% kept
        >>> inputs = ReviewInputs(truth.copy(), np.where(np.arange(n) < 40, truth, np.nan),
        ...                       np.where(np.arange(n) < 40, 0.1, np.nan), np.ones(n))
        >>> need = reviews_to_certify(inputs, np.ones(n), 0.5, 0.95)
        >>> need > 0
        True
    """
    thresholds = np.array([threshold])
    now = estimate_kept(inputs, scores, thresholds, target, risk=risk, seed=seed)
    if now.reviews[0] == 0 or not now.estimate[0] > target:
        return None
    if now.testable[0] and now.p_value[0] <= risk:
        return 0
    bet = now.betting
    pool = np.flatnonzero(bet.scores >= threshold)

    def passes(extra: int) -> bool:
        # new reviews like those so far: the predictions' mean, the weights' mean and largest
        # ratio stay as they are, so only the reviews' values grow
        # the same seed each time: the copies for e extra are the first e of any larger number's
        copies = pool[np.random.default_rng(seed + 1).integers(0, len(pool), extra)]
        u = np.concatenate([bet.u, bet.u[:, copies]], axis=1)
        item_scores = np.concatenate([bet.scores, bet.scores[copies]])
        p = betting_p_value(u, bet.offset, bet.scale, bet.null(target), item_scores, thresholds, risk=risk)
        return bool(p[0] <= risk)

    routed_now = int(now.reviews[0])
    high = max(routed_now, 1)
    while not passes(high):
        high *= 2
        if high / now.review_share[0] > MAX_REVIEWS_TO_CERTIFY:
            return None
    low = 0
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if not passes(middle) else (low, middle)
    return int(np.ceil(high / now.review_share[0]))
