"""scoring.intervals: the within-day bootstrap, the vectorised percentile interval, Kish's n_eff
and the exact bound for a proportion the bootstrap cannot vary."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.intervals import (
    bootstrap_counts,
    exact_bound,
    kish_effective_n,
    percentile_interval,
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
