"""scoring.projection.sweep: the projection engine on hand-computed samples, and its sums."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.projection.intervals import bootstrap_counts
from scoring.projection.sweep import (
    REQUIRED,
    project_group,
    replicate_weights,
    suffix_sums,
    threshold_bins,
)

# Four sampled requests, weights 10/20/30/40 (population 100).
SAMPLE = pl.DataFrame(
    {
        "weight": [10.0, 20.0, 30.0, 40.0],
        "agree": [1.0, 0.0, 1.0, 0.0],
        "quality_small": [1.0, 0.0, 1.0, 0.0],
        "quality_large": [1.0, 1.0, 1.0, 1.0],
        "small_seconds": [1.0, 2.0, 1.0, 3.0],
        "large_seconds": [4.0, 6.0, 5.0, 10.0],
        "router_seconds": [0.5, 0.5, 0.5, 0.5],
        "small_dollars": [0.1, 0.2, 0.1, 0.3],
        "large_dollars": [0.4, 0.6, 0.5, 1.0],
        "router_dollars": [0.0, 0.0, 0.0, 0.0],
    }
)
SCORES = np.array([0.9, 0.7, 0.4, 0.1])
THRESHOLDS = np.array([0.0, 0.5, 0.95])
# sum w c_large = 40 + 120 + 150 + 400 = 710; sum w c_small = 10 + 40 + 30 + 120 = 200; router 50
ALWAYS_LARGE = 710.0
SHARE = [1.0, 0.3, 0.0]  # threshold 0: all small; 0.5: requests 0 and 1; 0.95: none
AGREEMENT = [0.4, 10 / 30, np.nan]  # (10 + 30) / 100; 10 / (10 + 20); none routed
UNCHANGED = [0.4, (10 + 100 - 30) / 100, 1.0]
COST_CHOOSE = [200.0 + 50, 10 + 40 + 150 + 400 + 50, ALWAYS_LARGE + 50]  # small where routed, large elsewhere, router
COST_CASCADE = [200.0 + 50, 200 + 150 + 400 + 50, 200 + ALWAYS_LARGE + 50]  # small everywhere, large escalations


def _weights(counts: np.ndarray | None = None) -> object:
    return replicate_weights(SAMPLE["weight"].to_numpy(), np.ones((4, 2)) if counts is None else counts)


@pytest.mark.parametrize(("cascade", "cost"), [(False, COST_CHOOSE), (True, COST_CASCADE)])
def test_point_estimates_hand_computed(cascade, cost):
    c = project_group(SAMPLE, SCORES, _weights(), thresholds=THRESHOLDS, cascade=cascade)
    assert c.share_small[:, 0].tolist() == pytest.approx(SHARE)
    assert c.agreement_small[:, 0].tolist() == pytest.approx(AGREEMENT, nan_ok=True)
    assert c.unchanged[:, 0].tolist() == pytest.approx(UNCHANGED)
    assert c.quality[:, 0].tolist() == pytest.approx(UNCHANGED)  # quality = agreement here
    assert c.weak[0, 0] == pytest.approx(0.4) and c.strong[0, 0] == pytest.approx(1.0)
    assert c.seconds_always_large[0, 0] == pytest.approx(ALWAYS_LARGE)
    assert c.seconds_saved[:, 0].tolist() == pytest.approx([ALWAYS_LARGE - x for x in cost])
    # dollars are a tenth of seconds in this sample, router dollars 0
    dollars = [(ALWAYS_LARGE - x + 50) / 10 for x in cost]
    assert c.dollars_saved[:, 0].tolist() == pytest.approx(dollars)
    assert c.n_sample == 4 and c.n_routed.tolist() == [4, 2, 0]
    # Kish n_eff of the routed: (10 + 20)^2 / (100 + 400) = 1.8 at threshold 0.5
    assert c.n_eff_routed.tolist() == pytest.approx([100**2 / 3000, 1.8, 0.0])


def test_share_is_exactly_one_where_every_request_clears():
    c = project_group(SAMPLE, SCORES, _weights(), thresholds=THRESHOLDS, cascade=False)
    assert c.share_small[0, 0] == 1.0  # not 0.9999999: the same sum on both sides


def test_quality_scores_replace_agreement():
    # Correctness: small right on 0 and 3, large right on 0, 1, 2.
    sample = SAMPLE.with_columns(quality_small=pl.Series([1.0, 0.0, 0.0, 1.0]),
                                 quality_large=pl.Series([1.0, 1.0, 1.0, 0.0]))
    c = project_group(sample, SCORES, _weights(), thresholds=THRESHOLDS, cascade=False)
    # t=0: all small: (10 + 40) / 100; t=0.5: 0, 1 small (1 + 0), 2, 3 large (1 + 0): (10 + 30) / 100; none small: 60 / 100
    assert c.quality[:, 0].tolist() == pytest.approx([0.5, 0.4, 0.6])
    assert (c.weak[0, 0], c.strong[0, 0]) == pytest.approx((0.5, 0.6))
    assert c.unchanged[:, 0].tolist() == pytest.approx(UNCHANGED)  # agreement is still agreement


def test_replicates_are_the_point_estimate_on_reweighted_requests():
    counts = np.array([[2, 0], [0, 1], [1, 3], [1, 0]])
    c = project_group(SAMPLE, SCORES, _weights(counts), thresholds=THRESHOLDS, cascade=False)
    for r in range(2):
        reweighted = SAMPLE.with_columns(weight=pl.Series(SAMPLE["weight"].to_numpy() * counts[:, r]))
        alone = project_group(reweighted, SCORES, replicate_weights(reweighted["weight"].to_numpy(), np.ones((4, 1))),
                              thresholds=THRESHOLDS, cascade=False)
        for name in ("share_small", "agreement_small", "unchanged", "seconds_saved", "dollars_saved"):
            # replicates are float32 weights: close, not equal
            np.testing.assert_allclose(getattr(c, name)[:, 1 + r], getattr(alone, name)[:, 0], rtol=1e-5)


def test_threshold_bins_and_suffix_sums_by_hand():
    bins = threshold_bins(np.array([0.1, 0.5, 0.5, 0.99]), np.array([0.0, 0.5, 1.0]))
    assert bins.tolist() == [1, 2, 2, 2]  # score >= threshold clears it
    values = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    weights = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 0.0]])
    sums = suffix_sums(weights, values, bins, 3)
    assert sums.shape == (2, 4, 2)
    # column j > 0: requests clearing threshold j - 1; replicate 1 weights 0, 1, 2, 0
    assert sums[0, :, 0].tolist() == [10.0, 10.0, 9.0, 0.0]
    assert sums[1, :, 1].tolist() == [80.0, 80.0, 80.0, 0.0]


def test_group_with_no_request_routed_small_has_no_agreement():
    c = project_group(SAMPLE, SCORES, _weights(), thresholds=np.array([1.5]), cascade=False)
    assert c.share_small[0, 0] == 0.0 and np.isnan(c.agreement_small[0, 0]) and c.unchanged[0, 0] == 1.0
    assert c.seconds_saved[0, 0] == pytest.approx(-50.0)  # only the router's own cost


def test_required_columns_are_documented():
    assert set(REQUIRED) == set(SAMPLE.columns)


def test_bootstrap_replicates_vary_and_are_seeded():
    counts = bootstrap_counts(np.array([0, 0, 1, 1]), 200, seed=3)
    a = project_group(SAMPLE, SCORES, _weights(counts), thresholds=THRESHOLDS, cascade=False)
    b = project_group(SAMPLE, SCORES, _weights(bootstrap_counts(np.array([0, 0, 1, 1]), 200, seed=3)),
                      thresholds=THRESHOLDS, cascade=False)
    assert np.array_equal(a.share_small, b.share_small, equal_nan=True)
    assert np.nanstd(a.share_small[1, 1:]) > 0


def test_unscored_requests_count_in_shares_and_costs_not_in_quality():
    # Request 1 (routed small at 0.5, weight 20) is unscored: agree and quality NULL (issue 14).
    sample = SAMPLE.with_columns(agree=pl.Series([1.0, None, 1.0, 0.0]),
                                 quality_small=pl.Series([1.0, None, 1.0, 0.0]))
    c = project_group(sample, SCORES, _weights(), thresholds=THRESHOLDS, cascade=False)
    assert c.share_small[:, 0].tolist() == pytest.approx(SHARE)  # all four
    # agreement among the scored routed: t=0: (10 + 30) / 80; t=0.5: request 0 alone
    assert c.agreement_small[:, 0].tolist() == pytest.approx([0.5, 1.0, np.nan], nan_ok=True)
    # unchanged over the 80 scored: t=0: 1 - 40/80; t=0.5: none changes; t=0.95: none routed
    assert c.unchanged[:, 0].tolist() == pytest.approx([0.5, 1.0, 1.0])
    assert c.weak[0, 0] == pytest.approx(0.5) and c.strong[0, 0] == 1.0
    # costs: the same as with every request scored
    full = project_group(SAMPLE, SCORES, _weights(), thresholds=THRESHOLDS, cascade=False)
    assert c.seconds_saved[:, 0].tolist() == pytest.approx(full.seconds_saved[:, 0].tolist())
    assert (c.n_sample, c.n_scored) == (4, 3)
    assert c.n_routed.tolist() == [4, 2, 0] and c.n_routed_scored.tolist() == [3, 1, 0]
    assert c.n_eff_routed[1] == pytest.approx(1.0) and c.n_eff_scored == pytest.approx(80**2 / 2600)


def test_savings_squares_draws_and_variance_scale_by_hand():
    sample = SAMPLE.with_columns(day=pl.Series(["d1", "d1", "d2", "d2"]))
    counts = np.array([[2, 0], [0, 1], [1, 3], [1, 0]])
    c = project_group(sample, SCORES, _weights(counts), thresholds=THRESHOLDS, cascade=False)
    assert c.variance_scale == pytest.approx(2.0)  # two requests a day: 2 / 1
    assert c.draws[0].tolist() == pytest.approx([4.0, 4.0, 4.0], rel=1e-6)  # the sample, then each replicate's draws
    # each request's saving at t = 0.5 (requests 0 and 1 routed small): w (large - small - router) or -w router
    w = SAMPLE["weight"].to_numpy()
    saving = np.where(SCORES >= 0.5, SAMPLE["large_seconds"] - SAMPLE["small_seconds"], 0.0) - SAMPLE["router_seconds"]
    z = w * saving.to_numpy()
    assert c.seconds_squares[1, 0] == pytest.approx((z**2).sum())
    assert c.seconds_squares[1, 1:].tolist() == pytest.approx((z**2 @ counts).tolist(), rel=1e-5)
    assert c.seconds_saved[1, 0] == pytest.approx(z.sum())
    assert c.quality_is_proportion and c.n_quality_differs == 2


def test_proportions_stay_in_zero_one_when_no_routed_request_agrees():
    # Awkward weights summed in another order by the suffix sums and the totals once gave an
    # unchanged share of -2.2e-16, which the projection_in_range check rejects.
    rng = np.random.default_rng(7)
    n = 500
    sample = SAMPLE.sample(n, with_replacement=True, seed=7).with_columns(
        pl.Series("weight", rng.uniform(0.1, 97.3, n) / 3.0), pl.lit(0.0).alias("agree"),
        pl.lit(0.0).alias("quality_small"))
    c = project_group(sample, rng.uniform(size=n), replicate_weights(sample["weight"].to_numpy(),
                                                                     bootstrap_counts(np.zeros(n, int), 20, 1)),
                      thresholds=np.linspace(0, 1, 101), cascade=False)
    for values in (c.share_small, c.unchanged, c.quality, c.weak, c.strong, c.agreement_small):
        finite = values[np.isfinite(values)]
        assert finite.min() >= 0.0 and finite.max() <= 1.0
