"""Choose the agree rule's thresholds on the validation set's fit split and measure precision
and recall, with Wilson 95% intervals, on its test split.

The fit maximises accuracy (fewest wrong labels, false agreements and false disagreements
alike) on the fit split: F1 of the agree class was tried first and chose near-zero lexical
thresholds that call almost everything agree. For every metric alone, the best threshold in
steps of 0.01; for the combined rule (``scoring.agreement.rule``), a grid search over the
short-pair cut (0-12 tokens), the metric and threshold of short pairs and of long pairs, ties
going to the first found (the smallest cut, then the metric order of RULE_METRICS, then the
lowest thresholds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

from scoring.agreement.rule import RULE_METRICS, AgreementRule

GRID = np.round(np.arange(0.0, 1.0001, 0.01), 2)
SHORT_CUTS = range(0, 13)


def proportion_ci(k: int, n: int) -> tuple[float | None, float | None, float | None]:
    """(k / n, Wilson 95% low, high); all None when n is 0.

    Example:
        >>> [round(x, 3) for x in proportion_ci(45, 50)]
        [0.9, 0.786, 0.957]
    """
    if n == 0:
        return None, None, None
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return k / n, float(ci.low), float(ci.high)


@dataclass(frozen=True)
class LabelQuality:
    n: int
    tp: int
    fp: int
    fn: int
    precision: tuple[float | None, float | None, float | None]
    recall: tuple[float | None, float | None, float | None]

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


def label_quality(predicted: np.ndarray, truth: np.ndarray) -> LabelQuality:
    """Precision and recall of the agree label against the truth, with Wilson intervals.

    Example:
        >>> q = label_quality(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool))
        >>> q.precision[0], q.recall[0]
        (0.5, 0.5)
    """
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    tp = int((predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    fn = int((~predicted & truth).sum())
    return LabelQuality(len(truth), tp, fp, fn, proportion_ci(tp, tp + fp), proportion_ci(tp, tp + fn))


def _counts(values: np.ndarray, truth: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TP, FP, FN of ``value >= t`` for every t of the grid (vectorised)."""
    above = values[None, :] >= grid[:, None] - 1e-12
    tp = (above & truth).sum(axis=1)
    fp = (above & ~truth).sum(axis=1)
    fn = (~above & truth).sum(axis=1)
    return tp, fp, fn


def fit_threshold(values: np.ndarray, truth: np.ndarray, grid: np.ndarray = GRID) -> float:
    """The grid threshold whose label ``value >= t`` is wrong least often (lowest on ties).

    Example:
        >>> fit_threshold(np.array([0.1, 0.4, 0.6, 0.9]), np.array([0, 0, 1, 1], bool))
        0.41
    """
    _, fp, fn = _counts(np.asarray(values, float), np.asarray(truth, bool), grid)
    return float(grid[int(np.argmin(fp + fn))])


def fit_rule(metrics: dict[str, np.ndarray], shortest: np.ndarray, longest: np.ndarray,
             truth: np.ndarray, *, judge_band: float = 0.0) -> AgreementRule:
    """The combined rule with the fewest wrong labels on these pairs (module docstring)."""
    truth = np.asarray(truth, bool)
    identical = np.asarray(metrics["exact"], float) == 1.0
    one_empty = (np.asarray(shortest) == 0) & (np.asarray(longest) > 0)
    free = ~identical & ~one_empty  # the pairs whose label the thresholds decide
    fixed_wrong = int((identical & ~truth).sum() + (one_empty & truth).sum())
    best, best_wrong = None, None
    for cut in SHORT_CUTS:
        short = free & (np.asarray(longest) <= cut)
        long = free & ~short
        for short_metric in RULE_METRICS:
            _, s_fp, s_fn = _counts(np.asarray(metrics[short_metric], float)[short], truth[short], GRID)
            for long_metric in RULE_METRICS:
                _, l_fp, l_fn = _counts(np.asarray(metrics[long_metric], float)[long], truth[long], GRID)
                wrong = fixed_wrong + (s_fp + s_fn)[:, None] + (l_fp + l_fn)[None, :]
                i, j = np.unravel_index(int(np.argmin(wrong)), wrong.shape)
                if best_wrong is None or wrong[i, j] < best_wrong:
                    best_wrong = int(wrong[i, j])
                    best = AgreementRule(short_tokens=cut, short_metric=short_metric,
                                         short_threshold=float(GRID[i]), long_metric=long_metric,
                                         long_threshold=float(GRID[j]), judge_band=judge_band)
    assert best is not None
    return best
