"""The recommended threshold's guarantee, by simulation: over 400 samples drawn from a population
with a known truth (stratified by day and stratum, unequal weights, thresholds swept the way the
pipeline sweeps them), "quality kept among the requests routed small >= target" fails at the
recommended threshold in at most 5% of samples (plus Monte-Carlo error). The first case has
every null true, so every recommendation made is a miss: an invalid p-value or a sequence that
did not stop at its first non-rejection shows there at once."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.projection.table import kept_curve, sweep_thresholds
from scoring.routing.metrics import RISK, binomial_p_value, certify, min_certifiable, recommend

TARGET = 0.95
SAMPLES = 400
STRATA = (6000, 2500, 500)  # a day's requests in each stratum: weights differ ~3x between strata
DAYS = 7


def _population(kept_probability, *, continuous: bool, seed: int):
    """Router scores, small and large quality of every logged request; kept rises with the score
    as ``kept_probability(score)`` says, a little lower in the second stratum."""
    rng = np.random.default_rng(seed)
    stratum = np.tile(np.repeat(np.arange(len(STRATA)), STRATA), DAYS)
    day = np.repeat(np.arange(DAYS), sum(STRATA))
    score = rng.uniform(size=len(stratum))
    kept = rng.uniform(size=len(score)) < kept_probability(score) - 0.01 * (stratum == 1)
    if continuous:  # imported scores: a losing small answer falls short by a random amount
        large = rng.beta(8, 2, size=len(score))
        small = np.clip(large - np.where(kept, 0.0, rng.uniform(0.05, 0.6, len(score))), 0.0, 1.0)
    else:
        small, large = kept.astype(float), np.ones(len(score))
    return day, stratum, score, small, large


def _true_kept(score, small, large, threshold: float) -> float:
    routed = score >= threshold
    return float((1.0 - np.clip(large[routed] - small[routed], 0.0, 1.0)).mean())


def _miss_rate(kept_probability, *, per_day: int, continuous: bool = False, seed: int = 0) -> tuple[float, int]:
    """(share of samples whose recommended threshold misses the target, samples with one)."""
    day, stratum, score, small, large = _population(kept_probability, continuous=continuous, seed=seed)
    rng = np.random.default_rng(seed + 1)
    cells = [np.flatnonzero((day == d) & (stratum == h)) for d in range(DAYS) for h in range(len(STRATA))]
    take = [max(1, round(per_day * size / sum(STRATA))) for size in STRATA] * DAYS
    misses = made = 0
    for _ in range(SAMPLES):
        rows = np.concatenate([rng.choice(cell, n, replace=False) for cell, n in zip(cells, take)])
        weight = np.concatenate([np.full(n, len(cell) / n) for cell, n in zip(cells, take)])
        sample = pl.DataFrame({"weight": weight, "quality_small": small[rows], "quality_large": large[rows]})
        thresholds, _ = sweep_thresholds(101, score[rows])
        kept = kept_curve(sample, score[rows], thresholds)
        order = np.argsort(score[rows])
        routed_weight = np.concatenate([[0.0], np.cumsum(weight[order])])
        share = 1.0 - routed_weight[np.searchsorted(score[rows][order], thresholds)] / weight.sum()
        best = recommend(share, certify(kept.share, kept.n_eff, TARGET, binary=kept.binary).certified, thresholds)
        if best is not None:
            made += 1
            misses += _true_kept(score, small, large, thresholds[best]) < TARGET
    return misses / SAMPLES, made


# The Monte-Carlo error of a 5% rate over 400 samples is 1.1%: allow two and a half of it.
ALLOWED = RISK + 2.5 * np.sqrt(RISK * (1 - RISK) / SAMPLES)


def test_no_threshold_keeps_the_target_and_the_risk_holds():
    # Kept is 94% whatever the score: every null is true, so every recommendation is a miss.
    miss, made = _miss_rate(lambda s: np.full_like(s, 0.94), per_day=50)
    assert miss <= ALLOWED, miss
    assert made == round(miss * SAMPLES)


@pytest.mark.parametrize(("per_day", "continuous"), [(12, False), (50, False), (50, True)])
def test_kept_crossing_the_target_misses_at_most_five_percent(per_day, continuous):
    # Kept among the routed falls through 95% at threshold ~0.25: routing deeper misses.
    miss, made = _miss_rate(lambda s: 0.90 + 0.08 * s, per_day=per_day, continuous=continuous, seed=per_day)
    assert miss <= ALLOWED, (miss, made)
    if per_day >= 50 and not continuous:
        assert made >= SAMPLES // 10  # it still recommends something, not a guarantee by silence


def test_the_sample_size_cost():
    # With every request kept, p = target^n: 59 routed small certify 95%, 29 certify 90%.
    assert min_certifiable(TARGET) == 59 and TARGET**59 <= RISK < TARGET**58
    assert binomial_p_value(np.array([1.0]), np.array([59.0]), TARGET)[0] == pytest.approx(TARGET**59)
    test = certify(np.array([1.0, 1.0]), np.array([59.0, 58.0]), TARGET, binary=True)
    assert test.certified.tolist() == [True, False] and test.first_tested == 0  # 58 is not even tested
