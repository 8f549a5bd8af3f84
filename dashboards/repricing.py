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
from scoring.projection.token_prices import price_vector, reprice_savings

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
