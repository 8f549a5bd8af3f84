"""scoring.projection: the routing projection on a hand-computed sample, and its bootstrap."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.projection import HOURS, Pricing, bootstrap_counts, project_router

# Four sampled requests over two days, weights 10/20/30/40 (population 100, 50 a day).
SAMPLE = pl.DataFrame(
    {
        "day": [1, 1, 2, 2],
        "weight": [10.0, 20.0, 30.0, 40.0],
        "agree": [True, False, True, False],
        "small_seconds": [1.0, 2.0, 1.0, 3.0],
        "large_seconds": [4.0, 6.0, 5.0, 10.0],
    }
)
SCORES = np.array([0.9, 0.7, 0.4, 0.1])
THRESHOLDS = np.array([0.0, 0.5, 0.95])
PRICING = Pricing(dollars_per_hour=2.0, utilisation=0.5)  # $4 per useful hour
DAYS = 2
PER_HOUR = 4.0

# sum w c_large = 40 + 120 + 150 + 400 = 710; sum w c_small = 10 + 40 + 30 + 120 = 200
ALWAYS_LARGE = 710.0
# threshold 0: all small; 0.5: requests 0 and 1 small; 0.95: none small
SHARE = [1.0, 0.3, 0.0]
AGREEMENT = [0.4, 10 / 30, None]  # (10 + 30) / 100; 10 / (10 + 20); none routed
UNCHANGED = [0.4, (10 + 100 - 30) / 100, 1.0]
SECONDS_CHOOSE = [200.0, 10 + 40 + 150 + 400, ALWAYS_LARGE]  # small where routed, large elsewhere
SECONDS_CASCADE = [200.0, 200 + 150 + 400, 200 + ALWAYS_LARGE]  # small everywhere, plus large escalations


def _project(cascade: bool, **kwargs) -> pl.DataFrame:
    args = {"thresholds": THRESHOLDS, "cascade": cascade, "days": DAYS, "pricing": PRICING,
            "replicates": 300, "seed": 0}
    args.update(kwargs)
    return project_router(SAMPLE, SCORES, **args)


@pytest.mark.parametrize(("cascade", "seconds"), [(False, SECONDS_CHOOSE), (True, SECONDS_CASCADE)])
def test_point_estimates_hand_computed(cascade, seconds):
    table = _project(cascade)
    assert table.height == 3
    assert table["threshold"].to_list() == THRESHOLDS.tolist()
    assert table["n_sample"].to_list() == [4, 4, 4]
    assert table.schema["n_sample"] == pl.Int32
    assert table["requests_per_day"].to_list() == [50.0, 50.0, 50.0]
    assert table["share_small"].to_list() == pytest.approx(SHARE)
    assert table["agreement_small"][:2].to_list() == pytest.approx(AGREEMENT[:2])
    assert table["agreement_small"][2] is None
    assert table["unchanged_share"].to_list() == pytest.approx(UNCHANGED)

    per_day = np.array(seconds) / HOURS / DAYS
    always_large = ALWAYS_LARGE / HOURS / DAYS
    saved = always_large - per_day
    assert table["gpu_hours_per_day"].to_list() == pytest.approx(per_day.tolist())
    assert table["gpu_hours_always_large_per_day"].to_list() == pytest.approx([always_large] * 3)
    assert table["gpu_hours_saved_per_day"].to_list() == pytest.approx(saved.tolist())
    assert table["dollars_saved_per_day"].to_list() == pytest.approx((saved * PER_HOUR).tolist())
    assert table["dollars_saved_per_year"].to_list() == pytest.approx((saved * PER_HOUR * 365).tolist())


def test_cascade_costs_more_than_choosing_up_front():
    choose, cascade = _project(False), _project(True)
    # routing everything small costs the same either way; otherwise the cascade pays for the
    # small model on the escalated requests too, and at the top threshold it saves less than nothing
    assert cascade["gpu_hours_saved_per_day"][0] == pytest.approx(choose["gpu_hours_saved_per_day"][0])
    assert cascade["gpu_hours_saved_per_day"][1] < choose["gpu_hours_saved_per_day"][1]
    assert choose["gpu_hours_saved_per_day"][2] == pytest.approx(0.0)
    assert cascade["gpu_hours_saved_per_day"][2] == pytest.approx(-200.0 / HOURS / DAYS)
    # agreement does not depend on who pays
    for column in ("share_small", "unchanged_share"):
        assert cascade[column].to_list() == pytest.approx(choose[column].to_list())


def test_doc_example():
    s = pl.DataFrame({"day": [1, 1, 2, 2], "weight": [10.0] * 4, "agree": [True, False, True, True],
                      "small_seconds": [1.0] * 4, "large_seconds": [4.0] * 4})
    t = project_router(s, np.array([0.9, 0.2, 0.6, 0.1]), thresholds=np.array([0.5]), cascade=False,
                       days=2, pricing=Pricing(3.6, 1.0), replicates=200, seed=0)
    assert t["share_small"][0] == 0.5
    assert t["agreement_small"][0] == 1.0
    assert t["gpu_hours_saved_per_day"][0] == pytest.approx(60 / 3600 / 2)
    assert t["dollars_saved_per_day"][0] == pytest.approx(60 / 3600 / 2 * 3.6)


@pytest.mark.parametrize("cascade", [False, True])
def test_threshold_above_every_score(cascade):
    table = _project(cascade, thresholds=np.array([1.01]))
    row = table.row(0, named=True)
    assert row["share_small"] == 0.0
    assert row["share_small_lo"] == 0.0 and row["share_small_hi"] == 0.0
    assert row["agreement_small"] is None
    assert row["agreement_small_lo"] is None and row["agreement_small_hi"] is None
    assert row["unchanged_share"] == 1.0
    # nothing else is NULL
    nulls = [k for k, v in row.items() if v is None]
    assert sorted(nulls) == ["agreement_small", "agreement_small_hi", "agreement_small_lo"]


def test_same_seed_same_table_different_seed_different_intervals():
    sample, scores = _random_sample()

    def run(seed):
        return project_router(sample, scores, thresholds=np.array([0.3, 0.7]), cascade=False, days=4,
                              pricing=Pricing(3.0, 0.6), replicates=200, seed=seed)

    a, b, c = run(4), run(4), run(5)
    assert a.equals(b)
    assert not a.equals(c)
    # point estimates do not depend on the bootstrap seed
    for column in ("share_small", "agreement_small", "gpu_hours_saved_per_day"):
        assert a[column].to_list() == c[column].to_list()


def _random_sample(n: int = 240, days: int = 4, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.uniform(size=n)
    sample = pl.DataFrame(
        {
            "day": rng.integers(0, days, size=n),
            "weight": rng.choice([5.0, 10.0, 40.0], size=n),
            "agree": rng.uniform(size=n) < 0.3 + 0.6 * scores,
            "small_seconds": rng.uniform(0.1, 0.5, size=n),
            "large_seconds": rng.uniform(1.0, 3.0, size=n),
        }
    )
    return sample, scores


@pytest.mark.parametrize("cascade", [False, True])
def test_intervals_contain_the_point_estimate(cascade):
    sample, scores = _random_sample()
    thresholds = np.linspace(0.0, 1.0, 11)
    table = project_router(sample, scores, thresholds=thresholds, cascade=cascade, days=4,
                           pricing=Pricing(3.0, 0.6), replicates=400, seed=1)
    eps = 1e-12
    for point, lo, hi in [
        ("share_small", "share_small_lo", "share_small_hi"),
        ("agreement_small", "agreement_small_lo", "agreement_small_hi"),
        ("unchanged_share", "unchanged_lo", "unchanged_hi"),
        ("gpu_hours_saved_per_day", "gpu_hours_saved_lo", "gpu_hours_saved_hi"),
        ("dollars_saved_per_day", "dollars_saved_per_day_lo", "dollars_saved_per_day_hi"),
        ("dollars_saved_per_year", "dollars_saved_per_year_lo", "dollars_saved_per_year_hi"),
    ]:
        for row in table.select(point, lo, hi).iter_rows():
            if row[0] is None:
                assert row[1] is None and row[2] is None
                continue
            assert row[1] - eps <= row[0] <= row[2] + eps, (point, row)
    shares = table["share_small"].to_list()
    assert shares == sorted(shares, reverse=True)  # raising the threshold routes fewer small


def test_bootstrap_counts_rows_sum_to_group_sizes():
    groups = np.array([2, 0, 2, 1, 0, 2, 2, 1, 0, 5])
    counts = bootstrap_counts(groups, 60, seed=3)
    assert counts.shape == (60, len(groups))
    assert (counts >= 0).all()
    assert np.array_equal(counts, np.round(counts))
    assert (counts.sum(axis=1) == len(groups)).all()
    for group in np.unique(groups):
        members = groups == group
        assert (counts[:, members].sum(axis=1) == members.sum()).all(), group
    # a group of one is always drawn exactly once
    assert (counts[:, groups == 5] == 1).all()


def test_bootstrap_counts_seeded():
    groups = np.array([0, 0, 0, 1, 1, 1, 1])
    assert np.array_equal(bootstrap_counts(groups, 20, 7), bootstrap_counts(groups, 20, 7))
    assert not np.array_equal(bootstrap_counts(groups, 20, 7), bootstrap_counts(groups, 20, 8))


def test_bootstrap_counts_doc_example():
    assert bootstrap_counts(np.array([0, 0, 1]), 4, 0).sum(axis=1).tolist() == [3.0, 3.0, 3.0, 3.0]
