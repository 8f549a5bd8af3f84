"""scoring.routing.metrics: PGR, CPT and APGR as RouteLLM defines them (and its evaluate.py's
interpolated CPT), AUC, Pareto frontier, the recommendation's p-values and fixed-sequence test,
each on a case computed by hand or against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, binomtest
from sklearn.metrics import roc_auc_score

from scoring.routing.metrics import (
    apgr,
    binomial_p_value,
    call_performance_threshold,
    call_performance_threshold_interpolated,
    certify,
    hoeffding_bentkus_p_value,
    pareto_front,
    performance_gap_recovered,
    recommend,
    weighted_auc,
)

# Four requests, weights 1, 1, 2, 4 (8 in all), scores 0.9, 0.7, 0.4, 0.2, agree 1, 1, 0, 1;
# thresholds 0, 0.3, 0.5, 0.8, 1. quality = unchanged share; always small 6/8, always large 1.
#   t=0   all small           c = 0      unchanged 6/8  PGR 0
#   t=0.3 requests 0, 1, 2    c = 4/8    unchanged 6/8  PGR 0
#   t=0.5 requests 0, 1       c = 6/8    unchanged 1    PGR 1
#   t=0.8 request 0           c = 7/8    unchanged 1    PGR 1
#   t=1   none                c = 1      unchanged 1    PGR 1
SHARE_SMALL = np.array([[1.0], [0.5], [0.25], [0.125], [0.0]])
QUALITY = np.array([[0.75], [0.75], [1.0], [1.0], [1.0]])
WEAK, STRONG = np.array([[0.75]]), np.array([[1.0]])


def test_pgr_by_hand():
    pgr = performance_gap_recovered(QUALITY, WEAK, STRONG)
    assert pgr[:, 0].tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]


def test_apgr_by_hand():
    pgr = performance_gap_recovered(QUALITY, WEAK, STRONG)
    # trapezoids over (0,0) (0,0) (0.5,0) (0.75,1) (0.875,1) (1,1) (1,1): 0 + 0.25 x 1/2 + 0.25 x 1
    assert apgr(SHARE_SMALL, pgr).tolist() == pytest.approx([0.375])


@pytest.mark.parametrize(("target", "expected"), [(0.5, 0.75), (0.8, 0.75), (0.95, 0.75), (0.0, 0.0)])
def test_cpt_by_hand(target, expected):
    pgr = performance_gap_recovered(QUALITY, WEAK, STRONG)
    assert call_performance_threshold(SHARE_SMALL, pgr, target).tolist() == pytest.approx([expected])


def test_cpt_reads_measured_points_not_interpolation():
    # PGR 0.4 at c = 0.5 and 1 at c = 1: RouteLLM's np.interp would say CPT(50%) ~ 0.58; the
    # defined minimum over operating points reaching 50% is 1.
    share = np.array([[1.0], [0.5], [0.0]])
    pgr = np.array([[0.0], [0.4], [1.0]])
    assert call_performance_threshold(share, pgr, 0.5).tolist() == [1.0]
    assert apgr(share, pgr).tolist() == pytest.approx([0.5 * 0.2 + 0.5 * 0.7])


def test_a_router_that_scores_every_request_the_same():
    # Two operating points only: all small (t <= score) and all large (t > score).
    share = np.array([[1.0], [0.0]])
    pgr = performance_gap_recovered(np.array([[0.75], [1.0]]), WEAK, STRONG)
    assert apgr(share, pgr).tolist() == [0.5]
    assert call_performance_threshold(share, pgr, 0.5).tolist() == [1.0]
    assert weighted_auc(np.full(4, 0.3), np.array([True, False, True, True]), np.ones((4, 1))).tolist() == [0.5]


def test_no_gap_leaves_pgr_cpt_apgr_undefined():
    # the small model agrees everywhere: always small = always large = 1
    pgr = performance_gap_recovered(np.ones((3, 1)), np.array([[1.0]]), np.array([[1.0]]))
    assert np.isnan(pgr).all()
    share = np.array([[1.0], [0.5], [0.0]])
    assert np.isnan(apgr(share, pgr)).all() and np.isnan(call_performance_threshold(share, pgr, 0.5)).all()


def test_columns_are_replicates():
    share = np.hstack([SHARE_SMALL, SHARE_SMALL])
    pgr = np.hstack([performance_gap_recovered(QUALITY, WEAK, STRONG), np.array([[0.0], [0.5], [0.5], [1.0], [1.0]])])
    # (0,0) (0,0) (0.5,0.5) (0.75,0.5) (0.875,1) (1,1) (1,1): 0.125 + 0.125 + 0.09375 + 0.125
    assert apgr(share, pgr).tolist() == pytest.approx([0.375, 0.46875])
    assert call_performance_threshold(share, pgr, 0.5).tolist() == [0.75, 0.5]


def test_weighted_auc_matches_scikit_learn():
    rng = np.random.default_rng(0)
    scores = np.round(rng.uniform(size=200), 1)  # many ties
    labels = rng.uniform(size=200) < scores
    weights = rng.choice([1.0, 5.0, 20.0], size=200)
    assert weighted_auc(scores, labels, weights[:, None])[0] == pytest.approx(
        roc_auc_score(labels, scores, sample_weight=weights))


def test_weighted_auc_by_hand():
    # positives 0.9 (w 1) and 0.5 (w 2); negatives 0.5 (w 1) and 0.1 (w 3)
    # pairs: 0.9 beats both (1 x 4), 0.5 ties 0.5 (2 x 1 x 1/2) and beats 0.1 (2 x 3): 11 / (3 x 4)
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    labels = np.array([True, True, False, False])
    weights = np.array([[1.0, 1.0], [2.0, 0.0], [1.0, 1.0], [3.0, 1.0]])
    auc = weighted_auc(scores, labels, weights)
    assert auc[0] == pytest.approx(11 / 12)
    assert auc[1] == pytest.approx(1.0)  # replicate 1: positive 0.9 against 0.5 and 0.1
    assert np.isnan(weighted_auc(scores, np.ones(4, dtype=bool), np.ones((4, 1)))[0])


def test_pareto_front_by_hand():
    savings = np.array([0.0, 1.0, 2.0, 2.0, 3.0, 1.5])
    quality = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.95])
    # 0.0/1.0 best quality; 1.0/0.9 is beaten by 1.5/0.95; 2.0/0.7 by 2.0/0.8
    assert pareto_front(savings, quality).tolist() == [True, False, True, False, True, True]


def test_recommend_by_hand():
    thresholds = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    savings = np.array([9.0, 7.0, 7.0, 2.0, 0.0])
    certified = np.array([False, True, True, True, True])
    # 0.1 is not certified; 0.3 and 0.5 tie on savings: the higher threshold (0.5) wins
    assert recommend(savings, certified, thresholds) == 2
    assert recommend(savings, np.zeros(5, dtype=bool), thresholds) is None  # nothing certified
    assert recommend(np.array([-1.0, 0.0]), np.array([True, True]), np.array([0.2, 0.8])) is None  # nothing saved


def test_routellm_cpt_is_np_interp_over_the_operating_points():
    # RouteLLM's pct_call_metric: np.interp(weak + x (strong - weak), accuracy, strong %), points
    # sorted by strong %; PGR is accuracy rescaled, so np.interp(x, PGR, c) is the same number.
    share = np.array([[1.0], [0.5], [0.0]])
    pgr = np.array([[0.0], [0.4], [1.0]])
    assert call_performance_threshold_interpolated(share, pgr, 0.5).tolist() == pytest.approx([0.5 + 0.5 / 6])
    weak, strong = 60.0, 90.0  # accuracies in %, as RouteLLM prints them
    accuracy = weak + np.array([0.0, 0.0, 0.4, 1.0, 1.0]) * (strong - weak)  # with the two ends
    calls = np.array([0.0, 0.0, 0.5, 1.0, 1.0])
    assert call_performance_threshold_interpolated(share, pgr, 0.8)[0] == pytest.approx(
        np.interp(weak + 0.8 * (strong - weak), accuracy, calls))
    # never above the measured CPT where PGR rises; NaN where PGR is
    pgr_hand = performance_gap_recovered(QUALITY, WEAK, STRONG)
    for target in (0.5, 0.8, 0.95):
        assert (call_performance_threshold_interpolated(SHARE_SMALL, pgr_hand, target)
                <= call_performance_threshold(SHARE_SMALL, pgr_hand, target) + 1e-12).all()
    assert np.isnan(call_performance_threshold_interpolated(share, np.full((3, 1), np.nan), 0.5)).all()


def test_binomial_p_value_is_the_exact_test():
    # equal weights: P(Binomial(n, target) >= successes), scipy's own
    for n, successes in ((59, 59), (100, 99), (100, 90), (30, 0)):
        expected = binomtest(successes, n, 0.95, alternative="greater").pvalue
        assert binomial_p_value(np.array([successes / n]), np.array([float(n)]), 0.95)[0] == pytest.approx(expected)
    # Kish's n_eff between counts: between their p-values
    between = binomial_p_value(np.array([1.0]), np.array([60.5]), 0.95)[0]
    assert 0.95**61 < between < 0.95**60


def test_hoeffding_bentkus_p_value_by_hand():
    # n = 100, mean loss 0.02 against 0.05: Hoeffding exp(-n h1(0.02, 0.05)); Bentkus
    # e P(Binomial(100, 0.05) <= 2); the smaller wins
    h1 = 0.02 * np.log(0.02 / 0.05) + 0.98 * np.log(0.98 / 0.95)
    bentkus = np.e * binom.cdf(2, 100, 0.05)
    assert hoeffding_bentkus_p_value(np.array([0.98]), np.array([100.0]), 0.95)[0] == pytest.approx(
        min(np.exp(-100 * h1), bentkus))
    # above the bound: no evidence at all; it is never below the exact binomial for 0 / 1 scores
    assert hoeffding_bentkus_p_value(np.array([0.9]), np.array([100.0]), 0.95)[0] == 1.0
    kept = np.array([0.97, 0.99, 1.0])
    assert (hoeffding_bentkus_p_value(kept, np.full(3, 200.0), 0.95)
            >= binomial_p_value(kept, np.full(3, 200.0), 0.95) - 1e-12).all()


def test_certify_stops_at_the_first_failure_from_the_strictest():
    # thresholds ascending: from the last (strictest) down; the third from the top fails, so the
    # two below it are not certified even though their own p-values pass
    kept = np.array([1.0, 1.0, 0.9, 1.0, 1.0, 1.0])
    n_eff = np.array([400.0, 300.0, 200.0, 100.0, 70.0, 20.0])
    test = certify(kept, n_eff, 0.95, binary=True)
    assert np.isnan(test.p_value[5])  # 20 < 59: not tested, not a failure
    assert test.certified.tolist() == [False, False, False, True, True, False]
    assert test.first_tested == 4 and test.p_value[2] > 0.05 and test.p_value[0] < 0.05
    # nothing testable, a target of 1 or an untested NaN: nothing certified
    assert not certify(kept, np.full(6, 10.0), 0.95, binary=True).certified.any()
    assert certify(kept, n_eff, 1.0, binary=True).first_tested is None
    unscored = certify(np.array([np.nan, 1.0]), np.array([100.0, 100.0]), 0.95, binary=True)
    assert unscored.certified.tolist() == [False, True]
