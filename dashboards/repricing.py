"""Dollars under the sidebar's cost assumptions: a self-hosted projection's dollars are its
GPU-hours x price per paid GPU-hour / utilisation, so they follow an edit exactly, intervals
included (each bootstrap replicate scales by the same positive factor). Your traffic does the
same: every GPU-hour and dollar figure is the traffic times a per-request mean, so at N requests
a day instead of the projection's n each scales by N / n, intervals included. A model priced per
token (a hosted API) is repriced at your dollars per million tokens from the sums each row keeps
(scoring.projection.token_prices: exact point, the bootstrap-t's standard error at your prices)."""

from __future__ import annotations

import numpy as np
import polars as pl

from dashboards.view import CostAssumptions

# A row's token sums, as the projection keeps them (scoring/projection/token_prices.py,
# docs/WAREHOUSE.md): the dollars not priced per token, then small prompt, small output, large
# prompt and large output tokens; their second moments as the upper triangle by rows.
WIDTH = 5
_UPPER = np.triu_indices(WIDTH)
PER_MILLION = 1e6

# dollars column -> the GPU-hours column it prices (routing_projection, docs/WAREHOUSE.md)
DOLLARS_FROM_GPU_HOURS = {
    "dollars_saved_per_day": "gpu_hours_saved_per_day",
    "dollars_saved_per_day_lo": "gpu_hours_saved_lo",
    "dollars_saved_per_day_hi": "gpu_hours_saved_hi",
    "dollars_saved_per_30_days": "gpu_hours_saved_per_30_days",
    "dollars_saved_per_30_days_lo": "gpu_hours_saved_per_30_days_lo",
    "dollars_saved_per_30_days_hi": "gpu_hours_saved_per_30_days_hi",
    "dollars_saved_per_year": "gpu_hours_saved_per_year",
    "dollars_saved_per_year_lo": "gpu_hours_saved_per_year_lo",
    "dollars_saved_per_year_hi": "gpu_hours_saved_per_year_hi",
}


def _quadratic(moments: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """p_r'M_rp_r of each row r, M stored as its upper triangle."""
    full = np.zeros((len(moments), WIDTH, WIDTH))
    full[:, *_UPPER] = moments
    full = full + np.transpose(full, (0, 2, 1)) - full * np.eye(WIDTH)
    return np.einsum("ri,rij,rj->r", prices, full, prices)


def standard_error(sums: np.ndarray, moments: np.ndarray, n: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """The bootstrap-t's standard error of the saving at ``prices`` (WIDTH: 1, then dollars per
    token; one vector for every row or one per row), by row; NaN below 2 sampled requests."""
    prices = np.broadcast_to(prices, sums.shape)
    point = np.sum(sums * prices, axis=1)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = n / (n - 1) * (_quadratic(moments, prices) - point**2 / n)
    return np.sqrt(np.where(n > 1, np.maximum(variance, 0.0), np.nan))


def price_vector(per_million: tuple[float | None, ...]) -> np.ndarray:
    """(1, dollars per token...) from dollars per million tokens (small prompt, small output, large
    prompt, large output; None: not priced per token, 0).

    Example:
        >>> price_vector((None, None, 2.5, 10.0)).tolist()
        [1.0, 0.0, 0.0, 2.5e-06, 1e-05]
    """
    return np.array([1.0, *[0.0 if p is None else p / PER_MILLION for p in per_million]])


def reprice_savings(sums: np.ndarray, moments: np.ndarray, n: np.ndarray, reference: np.ndarray,
                    prices: np.ndarray, point0: np.ndarray, lo0: np.ndarray,
                    hi0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Savings per day (point, lo, hi) at ``prices`` from the stored sums and moments and the
    interval (point0, lo0, hi0) at the ``reference`` prices it was computed at (price vectors,
    one for every row or one per row).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> z = rng.lognormal(0, 1, (40, 1)) * np.array([[0.0, 1.0, 1.0, 0.0, 0.0]])
        >>> sums, moments = z.sum(0)[None], (z[:, :, None] * z[:, None, :])[:, *_UPPER].sum(0)[None]
        >>> ref = np.array([1.0, 2.0, 2.0, 0.0, 0.0])
        >>> p, lo, hi = reprice_savings(sums, moments, np.array([40]), ref, 3 * ref, sums @ ref, sums @ ref - 5, sums @ ref + 9)
        >>> bool(np.allclose(p - lo, 15.0)), bool(np.allclose(hi - p, 27.0))  # a multiple of the prices: exact
        (True, True)
    """
    se0 = standard_error(sums, moments, n, reference)
    se = standard_error(sums, moments, n, prices)
    point = np.sum(sums * np.broadcast_to(prices, sums.shape), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_hi, t_lo = (point0 - lo0) / se0, (point0 - hi0) / se0
        lo = np.where(se0 > 0, point - t_hi * se, point)
        hi = np.where(se0 > 0, point - t_lo * se, point)
    return point, np.minimum(lo, point), np.maximum(hi, point)


def reprice(frame: pl.DataFrame, costs: CostAssumptions | None) -> pl.DataFrame:
    """``frame`` (projection rows) with its dollar columns recomputed under ``costs`` (unchanged
    when there are no editable costs or no price), then scaled to the chosen traffic.

    Example:
        >>> rows = pl.DataFrame({"gpu_hours_saved_per_day": [2.0], "dollars_saved_per_day": [1.0]})
        >>> reprice(rows, CostAssumptions("H100", 3.0, 0.5, True))["dollars_saved_per_day"].item()
        12.0
        >>> reprice(rows, CostAssumptions("H100", 3.0, 0.5, True, traffic_scale=10.0))["dollars_saved_per_day"].item()
        120.0
    """
    if costs is None:
        return frame
    if costs.editable and costs.dollars_per_gpu_hour is not None:
        per_gpu_hour = costs.dollars_per_gpu_hour / costs.utilisation
        frame = frame.with_columns(
            *[(pl.col(hours) * per_gpu_hour).alias(dollars) for dollars, hours in DOLLARS_FROM_GPU_HOURS.items()
              if dollars in frame.columns and hours in frame.columns],
            *[pl.lit(value).alias(name) for name, value in (
                ("dollars_per_gpu_hour", costs.dollars_per_gpu_hour), ("utilisation", costs.utilisation))
              if name in frame.columns],
        )
    if costs.token_prices is not None:
        frame = _per_token(frame, costs.token_prices)
    if costs.traffic_scale == 1.0:
        return frame
    return frame.with_columns(pl.col(name) * costs.traffic_scale for name in frame.columns if _scales(name))


def _scales(column: str) -> bool:
    """A figure that is the traffic times a per-request mean (a count, GPU-hours or dollars)."""
    return column == "requests_per_day" or (column.startswith(("gpu_hours", "dollars_saved"))
                                            and not column.startswith("dollars_per"))


SAVED_PER = {"per_day": 1, "per_30_days": 30, "per_year": 365}


def _per_token(frame: pl.DataFrame, prices: tuple[float | None, ...]) -> pl.DataFrame:
    """The rows that keep token sums (a model priced per token) with their dollars saved, and
    intervals, at ``prices`` (dollars per million tokens); other rows as they are."""
    needed = ("token_prices", "token_savings_per_day", "token_moments_per_day", "n_sample", "dollars_saved_per_day")
    if not all(c in frame.columns for c in needed) or frame.is_empty():
        return frame
    kept = frame["token_savings_per_day"].is_not_null().to_numpy()
    if not kept.any():
        return frame
    rows = frame.filter(pl.Series(kept))
    reference = np.array([price_vector(tuple(p)) for p in rows["token_prices"].to_list()])
    # Your price where the projection priced per token; elsewhere (a self-hosted model) none.
    mine = np.array([price_vector(tuple(None if r is None else p for r, p in zip(ref, prices, strict=True)))
                     for ref in rows["token_prices"].to_list()])
    sums, moments = (np.array(rows[c].to_list(), dtype=float) for c in needed[1:3])
    old = {s: rows[f"dollars_saved_per_day{s}"].cast(pl.Float64).fill_null(np.nan).to_numpy() for s in ("", "_lo", "_hi")}
    point, lo, hi = reprice_savings(sums, moments, rows["n_sample"].to_numpy(), reference, mine,
                                    *(old[s] for s in ("", "_lo", "_hi")))
    index = np.flatnonzero(kept)
    columns = {}
    for name, factor in SAVED_PER.items():
        for suffix, values in (("", point), ("_lo", lo), ("_hi", hi)):
            column = f"dollars_saved_{name}{suffix}"
            if column in frame.columns:
                full = frame[column].cast(pl.Float64).fill_null(np.nan).to_numpy().copy()
                full[index] = values * factor
                columns[column] = pl.Series(column, full, nan_to_null=True)
    return frame.with_columns(columns.values())
