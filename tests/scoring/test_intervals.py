"""scoring.intervals: the within-day bootstrap, the vectorised percentile interval, Kish's n_eff
and the exact bound for a proportion the bootstrap cannot vary."""

from __future__ import annotations

import numpy as np
import pytest

from scipy.stats import beta

from scoring.intervals import (
    bca_interval,
    bootstrap_counts,
    bootstrap_variance_scale,
    exact_bound,
    kish_effective_n,
    percentile_interval,
    proportion_interval,
    rescaled,
    total_acceleration,
)


def test_bootstrap_counts_resample_within_each_group():
    groups = np.array([2, 0, 2, 1, 0, 2, 2, 1, 0, 5])
    counts = bootstrap_counts(groups, 60, seed=3)
    assert counts.shape == (len(groups), 60)
    assert (counts >= 0).all()
    for group in np.unique(groups):
        members = groups == group
        assert (counts[members].sum(axis=0) == members.sum()).all(), group
    assert (counts[groups == 5] == 1).all()  # a group of one is always drawn exactly once


def test_bootstrap_counts_are_seeded_and_uniform():
    groups = np.zeros(4, dtype=int)
    assert np.array_equal(bootstrap_counts(groups, 20, 7), bootstrap_counts(groups, 20, 7))
    assert not np.array_equal(bootstrap_counts(groups, 20, 7), bootstrap_counts(groups, 20, 8))
    # each of 4 requests is drawn once per replicate on average
    assert bootstrap_counts(groups, 20_000, 1).mean(axis=1) == pytest.approx([1.0] * 4, abs=0.02)


def test_bootstrap_counts_accept_string_groups():
    counts = bootstrap_counts(np.array(["2026-11-01", "2026-11-02", "2026-11-01"]), 10, 0)
    assert (counts[1] == 1).all() and (counts[[0, 2]].sum(axis=0) == 2).all()


def test_percentile_interval_matches_numpy():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(7, 301))
    values[2, :50] = np.nan
    values[4] = np.nan
    lo, hi = percentile_interval(values)
    expected = np.full((2, 7), np.nan)
    finite = ~np.isnan(values).all(axis=1)
    expected[:, finite] = np.nanpercentile(values[finite], [2.5, 97.5], axis=1)
    np.testing.assert_allclose(lo, expected[0], equal_nan=True)
    np.testing.assert_allclose(hi, expected[1], equal_nan=True)


def test_percentile_interval_by_hand():
    lo, hi = percentile_interval(np.array([[4.0, 1.0, 3.0, 2.0, 5.0]]), level=0.5)
    # positions 4 x 0.25 = 1 and 4 x 0.75 = 3 of 1..5
    assert (lo[0], hi[0]) == (2.0, 4.0)


def test_kish_and_exact_bound_by_hand():
    assert kish_effective_n(np.array(4.0), np.array(4.0)) == 4.0  # four equal weights
    assert kish_effective_n(np.array(4.0), np.array(6.0)) == pytest.approx(16 / 6)  # weights 1, 1, 2
    assert exact_bound(np.array(4.0)) == pytest.approx(0.025 ** 0.25)
    # the smallest all-agree sample whose lower bound reaches 95%: 72 = ceil(log 0.025 / log 0.95)
    assert exact_bound(np.array(71.0)) < 0.95 <= exact_bound(np.array(72.0))
    assert exact_bound(np.array(0.0)) == 0.0


def test_bootstrap_variance_scale_and_rescaled_bounds():
    assert bootstrap_variance_scale(np.array([12] * 7)) == pytest.approx(12 / 11)
    assert bootstrap_variance_scale(np.array([1, 1])) == 1.0  # nothing varies: nothing to scale
    assert bootstrap_variance_scale(np.array([2, 4, 1])) == pytest.approx(6 / 4)
    lo, hi = rescaled(np.array([0.5]), np.array([0.4]), np.array([0.7]), 4.0)
    assert (lo[0], hi[0]) == pytest.approx((0.3, 0.9))


def test_proportion_interval_is_clopper_pearson_at_the_effective_size():
    rng = np.random.default_rng(0)
    replicates = rng.normal(0.8, 0.04, size=(1, 4000))  # v = 0.0016: n* = 0.16 / 0.0016 = 100
    lo, hi = proportion_interval(np.array([0.8]), replicates, np.array([500]), np.array([400.0]))
    n_star = 0.16 / replicates.var(ddof=1)
    assert lo[0] == pytest.approx(beta.ppf(0.025, 0.8 * n_star, 0.2 * n_star + 1))
    assert hi[0] == pytest.approx(beta.ppf(0.975, 0.8 * n_star + 1, 0.2 * n_star))
    # capped at the sampled count (Korn and Graubard): a tiny variance cannot claim more than 50
    lo, _ = proportion_interval(np.array([0.8]), replicates * 0.01 + 0.792, np.array([50]), np.array([50.0]))
    assert lo[0] == pytest.approx(beta.ppf(0.025, 40, 11))


def test_proportion_interval_at_zero_and_one_uses_kish():
    flat = np.ones((2, 100))
    lo, hi = proportion_interval(np.array([1.0, 0.0]), flat * np.array([[1.0], [0.0]]), np.array([80, 80]),
                                 np.array([40.0, 40.0]))
    assert (lo[0], hi[0]) == (pytest.approx(0.025 ** (1 / 40)), 1.0)
    assert (lo[1], hi[1]) == (0.0, pytest.approx(1 - 0.025 ** (1 / 40)))
    # no request behind it (agreement where nothing is routed small): no interval
    lo, hi = proportion_interval(np.array([np.nan]), np.full((1, 10), np.nan), np.array([0]), np.array([0.0]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])


def test_proportion_interval_ignores_nan_replicates():
    replicates = np.array([[0.5, 0.6, np.nan, 0.4, 0.5]])
    lo, hi = proportion_interval(np.array([0.5]), replicates, np.array([100]), np.array([100.0]))
    n_star = 0.25 / np.nanvar(replicates, ddof=1)
    assert lo[0] == pytest.approx(beta.ppf(0.025, 0.5 * n_star, 0.5 * n_star + 1))


def _brute_acceleration(z: np.ndarray, groups: np.ndarray) -> float:
    u = np.concatenate([z[groups == g] - z[groups == g].mean() for g in np.unique(groups)])
    return float((u**3).sum() / (6 * (u**2).sum() ** 1.5))


def test_total_acceleration_matches_the_influence_values():
    rng = np.random.default_rng(3)
    n = 60
    weight, routed_value = rng.uniform(1, 5, n), rng.lognormal(0, 1.2, n)
    fixed_value, groups = -rng.uniform(0, 0.1, n), rng.integers(0, 3, n)
    scores = rng.uniform(size=n)
    thresholds = np.array([0.0, 0.3, 0.8])
    bins = np.searchsorted(thresholds, scores, side="right")
    a = total_acceleration(weight, routed_value, fixed_value, bins, groups, len(thresholds))
    for j, t in enumerate(thresholds):
        z = weight * (fixed_value + (scores >= t) * routed_value)
        assert a[j] == pytest.approx(_brute_acceleration(z, groups), rel=1e-9)
    assert a[0] > 0  # lognormal savings: right skew


def test_bca_moves_the_interval_towards_the_skew():
    rng = np.random.default_rng(1)
    reps = rng.lognormal(0, 0.5, size=(1, 4000))
    values = np.column_stack([np.median(reps, axis=1), reps])
    plain_lo, plain_hi = percentile_interval(reps)
    lo, hi = bca_interval(values, np.zeros(1))
    assert (lo[0], hi[0]) == pytest.approx((plain_lo[0], plain_hi[0]), rel=0.01)  # z0 = 0, a = 0
    skew_lo, skew_hi = bca_interval(values, np.array([0.1]))
    assert skew_lo[0] > lo[0] and skew_hi[0] > hi[0]
    # a point below most replicates (median bias) pulls both bounds down
    biased_lo, _ = bca_interval(np.column_stack([np.quantile(reps, 0.3, axis=1), reps]), np.zeros(1))
    assert biased_lo[0] < lo[0]
    # NaN rows (no cost model) give NaN; a constant row gives the point
    lo, hi = bca_interval(np.array([[np.nan, 1.0, 2.0], [3.0, 3.0, 3.0]]), np.zeros(2))
    assert np.isnan(lo[0]) and np.isnan(hi[0]) and (lo[1], hi[1]) == (3.0, 3.0)
