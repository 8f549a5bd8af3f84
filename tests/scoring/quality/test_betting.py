"""scoring.quality.betting: the betting test's validity at the null, its power where
Hoeffding-Bentkus has none, and its weights."""

from __future__ import annotations

import numpy as np

from scoring.quality.betting import betting_p_value, graded_p_value
from scoring.routing.metrics import RISK, hoeffding_bentkus_p_value

TARGET = 0.95


def _graded(rng, n, top_share):
    # graded kept scores: 1 with probability top_share, else uniform on [0.5, 1)
    return np.where(rng.uniform(size=n) < top_share, 1.0, rng.uniform(0.5, 1.0, n))


def test_rejects_at_most_risk_at_the_null():
    # mean exactly the target: 0.8 x 1 + 0.2 x 0.75 = 0.95
    rng = np.random.default_rng(0)
    trials = 600
    rejected = sum(graded_p_value(_graded(rng, 300, 0.8), np.ones(300), np.ones(300), np.array([0.0]), TARGET)[0][0]
                   <= RISK for _ in range(trials))
    assert rejected / trials <= RISK + 2.5 * np.sqrt(RISK * (1 - RISK) / trials)


def test_more_power_than_hoeffding_bentkus_at_mean_097():
    # mean 0.88 + 0.12 x 0.75 = 0.97, n = 300: the case
    rng = np.random.default_rng(1)
    wsr = hb = 0
    for _ in range(200):
        x = _graded(rng, 300, 0.88)
        wsr += graded_p_value(x, np.ones(300), np.ones(300), np.array([0.0]), TARGET)[0][0] <= RISK
        hb += hoeffding_bentkus_p_value(np.array([x.mean()]), np.array([300.0]), TARGET)[0] <= RISK
    assert wsr / 200 > 0.6 and hb / 200 < 0.3


def test_thresholds_test_their_routed_items_only():
    # items below the threshold are all 0: only the routed ones (all 1) count
    x = np.r_[np.zeros(100), np.ones(100)]
    scores = np.r_[np.zeros(100), np.ones(100)]
    p, testable = graded_p_value(x * 0.99, np.ones(200), scores, np.array([0.0, 0.5]), TARGET)
    assert p[0] > 0.5 and p[1] <= RISK and testable.tolist() == [True, True]
    p, testable = graded_p_value(x[:130], np.ones(130), scores[:130], np.array([0.5, 2.0]), TARGET)
    assert not testable[0] and np.isnan(p[1]) and not testable[1]  # 30 routed cannot certify; none routed


def test_unequal_weights_stay_valid():
    # strata of unequal weight whose kept shares differ; the weighted mean is the target
    rng = np.random.default_rng(2)
    heavy, light = 200, 100  # sampled; weights 3 and 1
    trials, rejected = 400, 0
    for _ in range(trials):
        x = np.r_[_graded(rng, heavy, 0.84), _graded(rng, light, 0.68)]  # means 0.96 and 0.92
        w = np.r_[np.full(heavy, 3.0), np.full(light, 1.0)]  # weighted mean (600 x 0.96 + 100 x 0.92) / 700
        target = (600 * 0.96 + 100 * 0.92) / 700
        rejected += graded_p_value(x, w, np.ones(300), np.array([0.0]), target)[0][0] <= RISK
    assert rejected / trials <= RISK + 2.5 * np.sqrt(RISK * (1 - RISK) / trials)


def test_mixture_is_no_better_than_its_best_component_times_its_size():
    # two components: one at the top (x = 1), one at the null; the mixture's capital is their mean
    u = np.vstack([np.ones(200), np.full(200, TARGET)])
    args = (np.zeros((2, 1)), np.ones((2, 1)), np.full((2, 1), TARGET), np.ones(200), np.zeros(1))
    mixed = betting_p_value(u, *args)[0]
    alone = betting_p_value(u[:1], np.zeros((1, 1)), np.ones((1, 1)), np.full((1, 1), TARGET), np.ones(200),
                            np.zeros(1))[0]
    assert alone < mixed <= 2 * alone + 1e-12
