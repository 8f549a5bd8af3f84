"""scoring.validation.fit: intervals, label counts and threshold fits on hand-made cases."""

import random

import numpy as np
import pytest

from scoring.validation.fit import fit_rule, fit_threshold, label_quality, proportion_ci


def test_wilson_interval_matches_the_textbook_formula():
    k, n, z = 45, 50, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    value, lo, hi = proportion_ci(k, n)
    assert (value, lo, hi) == pytest.approx((0.9, centre - half, centre + half))
    assert proportion_ci(0, 0) == (None, None, None)
    assert proportion_ci(0, 10)[1] == 0.0 and proportion_ci(10, 10)[2] == pytest.approx(1.0)


def test_label_quality_counts():
    predicted = np.array([1, 1, 1, 0, 0, 1], bool)
    truth = np.array([1, 1, 0, 1, 0, 1], bool)
    q = label_quality(predicted, truth)
    assert (q.n, q.tp, q.fp, q.fn) == (6, 3, 1, 1)
    assert q.precision[0] == 0.75 and q.recall[0] == 0.75 and q.f1 == pytest.approx(0.75)


def test_fit_threshold_picks_the_best_f1_lowest_on_ties():
    values = np.array([0.1, 0.2, 0.35, 0.5, 0.7, 0.9])
    truth = np.array([0, 0, 1, 0, 1, 1], bool)
    # t in (0.2, 0.35]: TP 3, FP 1 -> F1 6/7; t in (0.5, 0.7]: TP 2, FN 1 -> 0.8
    assert fit_threshold(values, truth) == 0.21


def test_fit_rule_recovers_a_rule_that_separates_the_pairs():
    rng = random.Random(3)
    n = 200
    longest = np.array([rng.randint(1, 10) for _ in range(n)])
    shortest = np.minimum(longest, 1)
    f1 = np.array([rng.random() for _ in range(n)])
    cosine = np.array([rng.random() for _ in range(n)])
    # truth: short (<= 4 tokens) pairs agree when F1 >= 0.6, long ones when cosine >= 0.75
    truth = np.where(longest <= 4, f1 >= 0.6, cosine >= 0.75)
    metrics = {"exact": np.zeros(n), "token_f1": f1, "cosine": cosine, "rouge_l": np.zeros(n),
               "containment": np.zeros(n), "content_containment": np.zeros(n)}
    rule = fit_rule(metrics, shortest, longest, truth)
    assert (rule.short_tokens, rule.short_metric, rule.long_metric) == (4, "token_f1", "cosine")
    assert (rule.label(metrics, shortest, longest) == truth).all()
