"""What repricing savings at other per-token prices needs, kept by the projection (issue 24): a
team paying a hosted API per token puts in its own prices on the dashboard (dashboards/repricing.py
does the repricing from what is kept here).

A request's cost is linear in the prices of the models priced per token: dollars = sum_k p_k x
tokens_k (k: small prompt, small output, large prompt, large output) plus what is not priced per
token (a self-hosted model's GPU time, the router). So is every saving: at threshold t the window
saves S(p) = c_0 + sum_k p_k c_k, where c_k sums each sampled request's weighted token savings
(tokens of the large model not paid for when routed small, minus the small model's paid). The
projection stores, per row, c (per day) and the second moments M = sum_i z_i z_i' of the requests'
savings vectors z_i, so that at any prices the standard error of the bootstrap-t (``studentized_
interval``: SE^2 = n / (n - 1) (p'Mp - (p'c)^2 / n)) is exact, and the dashboard reprices
without the sample (``dashboards.repricing.reprice_savings``):

    point(p) = c(p);  lo(p) = point(p) - t_hi SE(p);  hi(p) = point(p) - t_lo SE(p)

with the pivot's quantiles t_lo, t_hi read off the stored interval at the prices the projection
used (lo0 = point0 - t_hi SE(p0)): exact at those prices and at any multiple of them; elsewhere
the studentized pivot's shape is assumed to carry over, which the coverage study checks
(bench/coverage_token_prices.py, docs/STATISTICS.md).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from scoring.projection.sweep import suffix_sums, threshold_bins

ROLES = ("small", "large")
KINDS = ("prompt", "output")
TOKEN_COLUMNS = tuple(f"{role}_{kind}_tokens" for role in ROLES for kind in KINDS)
PER_MILLION = 1e6
# The stored vectors: component 0 is the dollars not priced per token, 1.. the TOKEN_COLUMNS; the
# moments as their upper triangle by rows (dashboards/repricing.py reads them so).
WIDTH = 1 + len(TOKEN_COLUMNS)
_UPPER = np.triu_indices(WIDTH)


def components(sample: pl.DataFrame, hosted: tuple[bool, bool], *, cascade: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each request's saving as a vector over (dollars not priced per token, TOKEN_COLUMNS):
    ``fixed`` (saved whatever the route) and ``routed`` (saved when routed small), n x WIDTH.
    ``hosted``: whether the small, the large model is priced per token (its dollars are then its
    tokens, else they are component 0's). ``sample`` has the TOKEN_COLUMNS, small_dollars,
    large_dollars and router_dollars.

    Example:
        >>> s = pl.DataFrame({"small_prompt_tokens": [10], "small_output_tokens": [5], "large_prompt_tokens": [10],
        ...                   "large_output_tokens": [7], "small_dollars": [0.5], "large_dollars": [9.0],
        ...                   "router_dollars": [0.1]})
        >>> fixed, routed = components(s, (False, True), cascade=False)
        >>> fixed.tolist(), routed.tolist()
        ([[-0.1, 0.0, 0.0, 0.0, 0.0]], [[-0.5, 0.0, 0.0, 10.0, 7.0]])
    """
    n = sample.height
    col = {c: sample[c].cast(pl.Float64).fill_null(0.0).to_numpy() for c in TOKEN_COLUMNS}
    small_paid = 0.0 if cascade else 1.0  # a cascade pays the small model on every request
    fixed, routed = np.zeros((n, WIDTH)), np.zeros((n, WIDTH))
    router = sample["router_dollars"].cast(pl.Float64).to_numpy()
    small, large = (sample[f"{role}_dollars"].cast(pl.Float64).to_numpy() for role in ROLES)
    small_hosted, large_hosted = hosted
    fixed[:, 0] = -router - (0.0 if small_hosted else (1.0 - small_paid) * small)
    routed[:, 0] = (0.0 if large_hosted else large) - (0.0 if small_hosted else small_paid * small)
    for k, name in enumerate(TOKEN_COLUMNS, start=1):
        if name.startswith("small") and small_hosted:
            fixed[:, k], routed[:, k] = -(1.0 - small_paid) * col[name], -small_paid * col[name]
        elif name.startswith("large") and large_hosted:
            routed[:, k] = col[name]
    return fixed, routed


def token_sums(sample: pl.DataFrame, scores: np.ndarray, thresholds: np.ndarray, hosted: tuple[bool, bool], *,
               cascade: bool, days: int) -> tuple[np.ndarray, np.ndarray]:
    """By threshold: the savings vector's sum per day (thresholds x WIDTH) and its second
    moments per day squared (thresholds x WIDTH (WIDTH + 1) / 2, the upper triangle by rows),
    over the group's sampled requests, weighted as the point estimate is."""
    w = sample["weight"].cast(pl.Float64).to_numpy()
    fixed, routed = components(sample, hosted, cascade=cascade)
    both = fixed + routed
    # sum_i (w z_i)(w z_i)': w^2 f f' for every request, w^2 ((f + a)(f + a)' - f f') where routed.
    outer_fixed = (fixed[:, :, None] * fixed[:, None, :])[:, *_UPPER]
    outer_both = (both[:, :, None] * both[:, None, :])[:, *_UPPER]
    bins = threshold_bins(scores, thresholds)
    values = np.column_stack([routed, outer_both - outer_fixed])
    sums = suffix_sums(np.column_stack([w, w * w]), values, bins, len(thresholds))[:, 1:]  # values x thr x 2
    total = np.sum(w[:, None] * fixed, axis=0) + sums[:WIDTH, :, 0].T
    moments = np.sum((w * w)[:, None] * outer_fixed, axis=0) + sums[WIDTH:, :, 1].T
    return total / days, moments / days**2


def fitted_prices(tokens: np.ndarray, dollars: np.ndarray, tolerance: float = 0.01) -> tuple[float, float] | None:
    """Dollars per million prompt and output tokens that give each request's ``dollars`` from its
    ``tokens`` (n x 2), non-negative least squares; None when no such prices give them within
    ``tolerance`` of the total (the table's dollars are not its tokens at one price: cached
    prompts, tiers), so its dollars cannot be repriced per token.

    Example:
        >>> t = np.array([[100, 10], [50, 40], [7, 0]])
        >>> fitted_prices(t, (t @ np.array([2.5, 10.0])) / 1e6)
        (2.5, 10.0)
        >>> fitted_prices(t, np.array([1.0, 0.0, 1.0])) is None
        True
    """
    from scipy.optimize import nnls

    if len(dollars) == 0 or not np.all(np.isfinite(dollars)) or dollars.sum() <= 0:
        return None
    scale = PER_MILLION
    solution, _ = nnls(tokens.astype(float) / scale, dollars.astype(float))
    error = np.abs(tokens @ solution / scale - dollars).sum()
    if error > tolerance * dollars.sum():
        return None
    return round(float(solution[0]), 6), round(float(solution[1]), 6)
