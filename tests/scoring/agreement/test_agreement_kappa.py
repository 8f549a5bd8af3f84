"""scoring.validation.kappa: Cohen's kappa and its bootstrap interval, which covers the true
kappa about 95% of the time (checked by simulation)."""

import numpy as np
from sklearn.metrics import cohen_kappa_score

from scoring.validation.kappa import cohen_kappa, kappa_ci


def test_kappa_matches_scikit_learn():
    rng = np.random.default_rng(1)
    p, t = rng.random(300) < 0.6, rng.random(300) < 0.5
    assert abs(cohen_kappa(p, t) - cohen_kappa_score(p, t)) < 1e-12


def test_undefined_kappa_is_nan_not_an_error():
    k, lo, hi = kappa_ci([True, True], [True, True])
    assert np.isnan(k) and np.isnan(lo) and np.isnan(hi)
    assert all(np.isnan(x) for x in kappa_ci([], []))


def test_the_interval_covers_the_true_kappa_about_95_percent_of_the_time():
    # Truth ~ Bernoulli(0.6); the label copies it with probability 0.8, else a fair coin:
    # P(label = truth) = 0.9 and the population kappa follows from the 2x2 cell probabilities.
    p1, copy = 0.6, 0.8
    tp, fn = p1 * (copy + (1 - copy) / 2), p1 * (1 - copy) / 2
    fp, tn = (1 - p1) * (1 - copy) / 2, (1 - p1) * (copy + (1 - copy) / 2)
    expected = (tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)
    true_kappa = ((tp + tn) - expected) / (1 - expected)
    rng = np.random.default_rng(7)
    covered, sims, n = 0, 300, 150
    for sim in range(sims):
        truth = rng.random(n) < p1
        label = np.where(rng.random(n) < copy, truth, rng.random(n) < 0.5)
        groups = np.arange(n) // 2  # two pairs a request, as MT-Bench's two turns
        _, lo, hi = kappa_ci(label, truth, groups, reps=500, seed=sim)
        covered += lo <= true_kappa <= hi
    assert 0.90 <= covered / sims <= 0.99, covered / sims
