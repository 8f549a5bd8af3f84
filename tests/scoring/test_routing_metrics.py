"""scoring.routing_metrics: PGR, CPT and APGR as RouteLLM defines them, AUC, Pareto frontier and
the recommended threshold, each on a case computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from scoring.routing_metrics import (
    apgr,
    call_performance_threshold,
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
    lower = np.array([0.80, 0.951, 0.96, 0.99, np.nan])
    # 0.1 fails the bound; 0.3 and 0.5 tie on savings: the higher bound (0.5) wins
    assert recommend(savings, lower, thresholds, 0.95) == 2
    assert recommend(savings, lower, thresholds, 0.995) is None  # no bound reaches it
    assert recommend(np.array([-1.0, 0.0]), np.array([0.99, 0.99]), np.array([0.2, 0.8]), 0.95) is None  # nothing saved
    assert recommend(np.array([3.0, 3.0]), np.array([0.97, 0.97]), np.array([0.2, 0.8]), 0.95) == 1  # then higher threshold
