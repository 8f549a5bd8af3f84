"""scoring.quality.ppi: the prediction-powered estimate against ppi-python, the reviews alone,
its interval and test with a biased predictor, reviews_to_certify, bad input, and the
projection's use of it (scoring.projection.table.project_router)."""

from __future__ import annotations

import sys

import numpy as np
import polars as pl
import pytest

from scoring.quality.ppi import Z95, ReviewInputs, estimate_kept, review_inputs, reviews_to_certify
from scoring.routing.metrics import RISK

TARGET = 0.95


def _inputs(truth, prediction, reviewed, *, inclusion=None, weight=None):
    n = len(truth)
    inclusion = np.full(n, reviewed.mean()) if inclusion is None else inclusion
    return ReviewInputs(np.asarray(prediction, dtype=float), np.where(reviewed, truth, np.nan),
                        np.where(reviewed, inclusion, np.nan), np.ones(n) if weight is None else weight)


def _population(rng, n, kept=0.97, flip=0.1):
    truth = (rng.uniform(size=n) < kept).astype(float)
    prediction = np.where(rng.uniform(size=n) < flip, 1 - truth, truth)
    return truth, prediction


def _ppi_py():
    # numba (under ppi-python) probes the coverage package and takes bench/coverage.py, which
    # another test imports as "coverage", for it: hide it while importing
    saved = sys.modules.get("coverage")
    sys.modules["coverage"] = None
    try:
        return pytest.importorskip("ppi_py")
    finally:
        if saved is None:
            del sys.modules["coverage"]
        else:
            sys.modules["coverage"] = saved


def test_matches_ppi_python_with_equal_weights():
    ppi_py = _ppi_py()
    rng = np.random.default_rng(0)
    n_all, n_rev = 100_000, 300
    truth, prediction = _population(rng, n_all, kept=0.9, flip=0.15)
    reviewed = np.zeros(n_all, dtype=bool)
    reviewed[rng.choice(n_all, n_rev, replace=False)] = True
    ours = estimate_kept(_inputs(truth, prediction, reviewed), np.ones(n_all), np.array([0.0]), TARGET)
    y, yhat = truth[reviewed], prediction[reviewed]
    # ppi-python's lambda for a mean (_calc_lam_glm): Cov(y, yhat) / ((1 + n / N) Var(yhat))
    both = np.r_[yhat, prediction]
    lam = float(np.clip(np.mean((y - y.mean()) * (yhat - yhat.mean())) / ((1 + n_rev / n_all) * np.var(both, ddof=1)),
                        0, 1))
    # the two-phase lambda against PPI++'s (1 + n / N) one: equal up to n / N and ddof
    assert ours.lam[0] == pytest.approx(lam, abs=0.02)
    point = float(ppi_py.ppi_mean_pointestimate(y, yhat, prediction, lam=float(ours.lam[0]))[0])
    assert ours.estimate[0] == pytest.approx(point, abs=1e-9)
    lo, hi = ppi_py.ppi_mean_ci(y, yhat, prediction, alpha=0.05, lam=float(ours.lam[0]))
    # PPI++'s CLT standard error: the same up to the 1 - n / N factor (0.3% here)
    assert 2 * Z95 * ours.se[0] == pytest.approx(float(hi[0] - lo[0]), rel=0.01)
    # the interval shown is the betting test's: wider, valid at every sample size
    assert ours.hi[0] - ours.lo[0] > hi[0] - lo[0]


def test_reviews_alone_without_predictions():
    rng = np.random.default_rng(1)
    truth, _ = _population(rng, 1000)
    reviewed = rng.uniform(size=1000) < 0.2
    k = estimate_kept(_inputs(truth, np.full(1000, np.nan), reviewed), np.ones(1000), np.array([0.0]), TARGET)
    assert k.lam[0] == 0.0 and str(k.source[0]) == "reviews"
    assert k.estimate[0] == pytest.approx(truth[reviewed].mean())


def test_inclusion_weights_the_reviews():
    # half the pairs reviewed at 10%, half at 100%: the estimate is of all pairs, not of the reviews
    n = 2000
    truth = np.r_[np.ones(1000), np.zeros(1000)]
    reviewed = np.r_[np.arange(1000) % 10 == 0, np.ones(1000, dtype=bool)]
    inclusion = np.r_[np.full(1000, 0.1), np.ones(1000)]
    k = estimate_kept(_inputs(truth, np.full(n, np.nan), reviewed, inclusion=inclusion), np.ones(n), np.array([0.0]),
                      TARGET)
    assert k.estimate[0] == pytest.approx(0.5)


@pytest.mark.parametrize("judge", ["biased", "anti"])
def test_interval_and_test_hold_with_a_bad_predictor(judge):
    """The predictor says 'kept' far more often than the truth (or the opposite of it); the
    truth is below the target, so every certification is an error."""
    rng = np.random.default_rng(2)
    n, n_rev, trials = 1500, 200, 200
    covered = certified = 0
    for _ in range(trials):
        truth = (rng.uniform(size=n) < 0.93).astype(float)
        if judge == "biased":
            prediction = np.where(truth == 1, 1.0, (rng.uniform(size=n) < 0.9).astype(float))
        else:
            prediction = 1 - truth
        reviewed = np.zeros(n, dtype=bool)
        reviewed[rng.choice(n, n_rev, replace=False)] = True
        k = estimate_kept(_inputs(truth, prediction, reviewed), np.ones(n), np.array([0.0]), TARGET)
        covered += k.lo[0] <= 0.93 <= k.hi[0]
        certified += bool(k.testable[0] and k.p_value[0] <= RISK)
    assert covered / trials >= 0.93 - 2.5 * np.sqrt(0.05 * 0.95 / trials)
    assert certified / trials <= RISK + 2.5 * np.sqrt(RISK * (1 - RISK) / trials)


def test_a_good_predictor_narrows_the_interval():
    rng = np.random.default_rng(3)
    n = 5000
    truth, prediction = _population(rng, n, kept=0.9, flip=0.02)
    reviewed = rng.uniform(size=n) < 0.06
    with_judge = estimate_kept(_inputs(truth, prediction, reviewed), np.ones(n), np.array([0.0]), TARGET)
    alone = estimate_kept(_inputs(truth, np.full(n, np.nan), reviewed), np.ones(n), np.array([0.0]), TARGET)
    assert with_judge.lam[0] > 0.8
    assert with_judge.hi[0] - with_judge.lo[0] < 0.8 * (alone.hi[0] - alone.lo[0])


def test_enough_reviews_certify():
    rng = np.random.default_rng(5)
    n = 5000
    truth, prediction = _population(rng, n, kept=0.99, flip=0.02)
    reviewed = rng.uniform(size=n) < 0.2
    k = estimate_kept(_inputs(truth, prediction, reviewed), np.ones(n), np.array([0.0]), TARGET)
    assert k.testable[0] and k.p_value[0] <= RISK


def test_reviews_to_certify_grows_with_the_gap():
    rng = np.random.default_rng(4)
    n = 3000
    truth, prediction = _population(rng, n, kept=0.985, flip=0.05)
    reviewed = np.zeros(n, dtype=bool)
    reviewed[:40] = True
    inputs = _inputs(truth, prediction, reviewed)
    need = reviews_to_certify(inputs, np.ones(n), 0.5, TARGET)
    assert need is not None and need > 0
    grown = reviewed.copy()
    grown[:40 + need] = True  # that many more reviews, of new pairs
    k = estimate_kept(_inputs(truth, prediction, grown), np.ones(n), np.array([0.5]), TARGET)
    assert k.estimate[0] > TARGET  # they are like the first ones; the test then usually passes
    lossy = truth.copy()
    lossy[:5] = 0.0  # 5 of the 40 reviews: the large answer better, an estimate below 95%
    assert reviews_to_certify(_inputs(lossy, prediction, reviewed), np.ones(n), 0.5, TARGET) is None


def test_bad_review_columns_name_row_column_and_value():
    sample = pl.DataFrame({"weight": [1.0, 1.0], "review_parity": [1.0, 1.5], "review_inclusion": [0.5, 0.5]})
    with pytest.raises(ValueError, match=r"row 1: review_parity = 1.5"):
        review_inputs(sample, np.ones(2))
    sample = pl.DataFrame({"weight": [1.0], "review_parity": [1.0], "review_inclusion": [0.0]})
    with pytest.raises(ValueError, match=r"row 0: review_inclusion = 0.0"):
        review_inputs(sample, np.ones(1))
    # reviewed but not in the current draw (inclusion NULL): not used
    sample = pl.DataFrame({"weight": [1.0], "review_parity": [1.0], "review_inclusion": [None]},
                          schema_overrides={"review_inclusion": pl.Float64})
    assert review_inputs(sample, np.ones(1)) is None
