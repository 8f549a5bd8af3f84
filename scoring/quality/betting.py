"""One-sided test of "a bounded mean is at most m" by betting (Waudby-Smith and Ramdas 2024,
JRSS-B, "Estimating means of bounded random variables by betting"), for the recommendation's
fixed-sequence test.

For values x_i in [0, 1], observed one at a time in a fixed (seeded, label-blind) order, the
capital K_t = prod_{i <= t} (1 + b_i (x_i - m)) with bets b_i in [0, c / m] fixed before x_i is
seen is a non-negative supermartingale under H0: E x <= m, so by Ville's inequality
P(sup_t K_t >= 1 / u) <= u and 1 / sup_t K_t is a valid p-value at every sample size. The bets are
WSR's predictable plug-in: b_t = sqrt(2 log(1 / risk) / (s2_{t-1} t log(1 + t))) capped at c / m,
with s2 the running variance regularised by a pseudo-observation of 1/4 (their (1/4 + sum (x_i -
mu_i)^2) / (t + 1)). An average of such capitals (one per mixture component g: PPI's lambdas) is
a supermartingale too, so its running maximum gives one p-value (R-AutoEval+'s mixture).

Many tests run at once: component g, test k, item i. Each item's value is affine in a per-item
number, x[g, k, i] = offset[g, k] + scale[g, k] * u[g, i], and item i is in test k where its
score clears threshold k (the routed-small sets), so nothing of size g x k x n
is ever held: items are taken in blocks whose bet variance is frozen at the block's start
(still predictable, so still valid), blocks of 1, 1, 2, 2, 4, ... up to ``MAX_BLOCK``.

Unlike Hoeffding-Bentkus it adapts to the variance: for graded scores of mean 0.97 against a
target of 0.95 at n = 300, bench/coverage.py --power measures its power against HB's.
"""

from __future__ import annotations

import numpy as np

from scoring.routing.metrics import RISK

BET_CAP = 0.75  # c: bets at most c / m, so a factor never falls below 1 - c (WSR use 1/2 or 3/4)
MAX_BLOCK = 64
MAX_ITEMS = 50_000  # graded_p_value: items tested at most (a seeded random subset beyond)


def _blocks(n: int) -> list[tuple[int, int]]:
    out, start, size = [], 0, 1
    while start < n:
        for _ in range(2):
            if start >= n:
                break
            out.append((start, min(n, start + size)))
            start += size
        size = min(2 * size, MAX_BLOCK)
    return out


def betting_p_value(u: np.ndarray, offset: np.ndarray, scale: np.ndarray, m: np.ndarray, item_scores: np.ndarray,
                    thresholds: np.ndarray, *, risk: float = RISK) -> np.ndarray:
    """p-values (by test k) of H0: E x <= m[g, k] for every component g, from the mixture (mean
    over g) of the betting capitals; x[g, k, i] = offset[g, k] + scale[g, k] * u[g, i] must lie in
    [0, 1] for the items of test k, those with ``item_scores`` >= ``thresholds[k]`` (routed small).

    Example:
        >>> x = np.ones((1, 80))  # 80 items, all at the top: one test, H0 mean <= 0.95
        >>> args = (np.zeros((1, 1)), np.ones((1, 1)), np.full((1, 1), 0.95))
        >>> p = betting_p_value(x, *args, np.ones(80), np.zeros(1))
        >>> p30 = betting_p_value(x[:, :30], *args, np.ones(30), np.zeros(1))
        >>> bool(p[0] < 0.05), bool(p30[0] > 0.05)
        (True, True)
    """
    g, k = offset.shape
    n = u.shape[1]
    m = np.clip(m, 1e-12, None)
    cap = BET_CAP / m
    count = np.zeros((1, k))  # items seen, by test (the same for every component)
    total = np.zeros((g, k))  # sum of x
    squares = np.zeros((g, k))  # sum of (x_i - mu_i)^2, mu_i the running mean with its pseudo-count
    log_capital = np.zeros((g, k))
    best = np.ones(k)  # running maximum of the mixture's capital (1 before any item)
    log_level = np.log(1.0 / risk)
    for start, stop in _blocks(n):
        inside = (item_scores[None, None, start:stop] >= thresholds[None, :, None])  # 1 x k x b
        x = offset[:, :, None] + scale[:, :, None] * u[:, None, start:stop]  # g x k x b
        x = np.where(inside, np.clip(x, 0.0, 1.0), 0.0)
        t = count[:, :, None] + np.cumsum(inside, axis=2)  # each item's 1-based position in its test
        variance = ((0.25 + squares) / (count + 1.0))[:, :, None]
        with np.errstate(divide="ignore"):  # t = 0: an item before the test's first (its step is 0)
            bet = np.minimum(np.sqrt(2.0 * log_level / (variance * t * np.log1p(t))), cap[:, :, None])
        steps = np.where(inside, np.log1p(bet * (x - m[:, :, None])), 0.0)
        path = log_capital[:, :, None] + np.cumsum(steps, axis=2)
        mixture = np.log(np.mean(np.exp(path - path.max(axis=0)), axis=0)) + path.max(axis=0)  # k x b
        best = np.maximum(best, np.exp(np.minimum(mixture.max(axis=1), 700.0)))
        log_capital = path[:, :, -1]
        running = total[:, :, None] + np.cumsum(x, axis=2)
        mean = (0.5 + running) / (t + 1.0)
        squares = squares + np.sum(np.where(inside, (x - mean) ** 2, 0.0), axis=2)
        total = running[:, :, -1]
        count = t[:, :, -1]
    return np.minimum(1.0, 1.0 / best)


def graded_p_value(kept: np.ndarray, weight: np.ndarray, scores: np.ndarray, thresholds: np.ndarray,
                   target: float, *, risk: float = RISK, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """p-values by threshold of "quality kept among the requests routed small (score >= t) is
    below ``target``" from the scored requests' kept values in [0, 1] (NaN: unscored) and design
    weights: the betting test on x_i = w_i kept_i / max w (routed), whose mean under H0 is at most
    target x mean w / max w (a request drawn as the design draws it, with probability 1 / w).
    Equal weights: x = kept. The items' order is a seeded permutation (label-blind, so the test
    stays valid); at most MAX_ITEMS of them (the first in that order) are used, which costs power
    only where it is already near 1. NaN where no scored request is routed small. With them, which
    thresholds could reject at all (every kept value 1: known before the labels are seen), the
    fixed-sequence test's members.

    Example:
        >>> p, testable = graded_p_value(np.full(300, 0.97), np.ones(300), np.ones(300), np.array([0.5]), 0.95)
        >>> bool(p[0] < 0.05), testable.tolist()
        (True, [True])
    """
    scored = np.flatnonzero(~np.isnan(kept))
    order = scored[np.random.default_rng(seed).permutation(len(scored))][:MAX_ITEMS]
    kept, weight, scores = kept[order], weight[order], scores[order]
    # Largest weight, weight sum and count among the routed, by threshold (suffix sums by score).
    by_score = np.argsort(scores, kind="stable")
    first = np.searchsorted(scores[by_score], thresholds, side="left")
    sorted_w = weight[by_score]
    top = np.append(np.maximum.accumulate(sorted_w[::-1])[::-1], 0.0)[first]
    total = np.append(np.cumsum(sorted_w[::-1])[::-1], 0.0)[first]
    count = len(scores) - first
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(top > 0, 1.0 / top, 0.0)
        m = np.where(count > 0, target * total / np.maximum(count, 1) * scale, 1.0)
    args = (np.zeros((1, len(thresholds))), scale[None, :], m[None, :])
    p = betting_p_value((kept * weight)[None, :], *args, scores, thresholds, risk=risk)
    best = betting_p_value(weight[None, :], *args, scores, thresholds, risk=risk)
    return np.where(count > 0, p, np.nan), (count > 0) & (best <= risk)
