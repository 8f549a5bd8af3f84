"""scoring.projection.intervals: the within-day bootstrap, the vectorised percentile interval, Kish's n_eff
and the exact bound for a proportion the bootstrap cannot vary."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta

from scoring.projection.intervals import (
    bootstrap_counts,
    bootstrap_variance_scale,
    kish_effective_n,
    percentile_interval,
    proportion_interval,
    rescaled,
    studentized_interval,
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


def test_kish_and_the_all_agree_bound_by_hand():
    assert kish_effective_n(np.array(4.0), np.array(4.0)) == 4.0  # four equal weights
    assert kish_effective_n(np.array(4.0), np.array(6.0)) == pytest.approx(16 / 6)  # weights 1, 1, 2

    def bound(n_eff: float) -> float:
        lo, _ = proportion_interval(np.array([1.0]), np.ones((1, 10)), np.array([1000]), np.array([n_eff]))
        return float(lo[0])

    assert bound(4.0) == pytest.approx(0.025 ** 0.25)
    # the smallest all-agree sample whose lower bound reaches 95%: 72 = ceil(log 0.025 / log 0.95)
    assert bound(71.0) < 0.95 <= bound(72.0)


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


def test_studentized_interval_by_hand():
    # Three columns: the sample and two replicates, n = 4 requests each.
    totals = np.array([[10.0, 8.0, 14.0]])
    squares = np.array([[30.0, 20.0, 60.0]])
    draws = np.full((1, 3), 4.0)
    se = np.sqrt(4 / 3 * (squares - totals**2 / 4))[0]  # 1.633, 1.155, 2.309
    t = (totals[0, 1:] - 10.0) / se[1:]  # -1.732, 1.732
    lo, hi = studentized_interval(totals, squares, draws, level=0.5)
    t_lo, t_hi = np.percentile(t, [25, 75])
    assert (lo[0], hi[0]) == pytest.approx((10 - t_hi * se[0], 10 - t_lo * se[0]))


def test_studentized_interval_covers_a_skewed_total_better_than_percentiles():
    # Totals of 40 lognormal(0, 1.5) values: the percentile interval misses high far more
    # often than 2.5%; bootstrap-t stays near 95% (Monte-Carlo error about 1.5%).
    rng = np.random.default_rng(7)
    truth = 40 * np.exp(1.5**2 / 2)
    covered = {"percentile": 0, "studentized": 0}
    trials = 300
    for _ in range(trials):
        z = rng.lognormal(0, 1.5, 40)
        counts = rng.multinomial(40, np.full(40, 1 / 40), size=500).T
        totals = np.concatenate([[z.sum()], z @ counts])[None, :]
        squares = np.concatenate([[(z**2).sum()], z**2 @ counts])[None, :]
        lo, hi = percentile_interval(totals[:, 1:])
        covered["percentile"] += lo[0] <= truth <= hi[0]
        lo, hi = studentized_interval(totals, squares, np.full((1, 501), 40.0))
        covered["studentized"] += lo[0] <= truth <= hi[0]
    assert covered["percentile"] / trials < 0.90
    assert covered["studentized"] / trials > covered["percentile"] / trials + 0.03


def test_studentized_interval_degenerate_rows():
    # No cost model (NaN) gives NaN; a total that cannot vary (SE 0) is its point.
    lo, hi = studentized_interval(np.array([[np.nan, 1.0, 2.0], [3.0, 3.0, 3.0]]),
                                  np.array([[np.nan, 1.0, 2.0], [2.25, 2.25, 2.25]]), np.full((1, 3), 4.0))
    assert np.isnan(lo[0]) and np.isnan(hi[0]) and (lo[1], hi[1]) == (3.0, 3.0)


def test_studentized_interval_holds_its_point_when_every_replicate_lies_above_it():
    # Every replicate's total above the sample's: t* > 0 throughout, so the plain bootstrap-t
    # upper bound would fall below the estimate; the interval is [lo, point] instead.
    totals = np.array([[10.0, 11.0, 12.0, 13.0, 14.0]])
    squares = np.array([[30.0, 35.0, 40.0, 45.0, 50.0]])
    lo, hi = studentized_interval(totals, squares, np.full((1, 5), 4.0))
    assert lo[0] < 10.0 and hi[0] == 10.0
