"""Dollars under the sidebar's cost assumptions: a self-hosted projection's dollars are its
GPU-hours x price per paid GPU-hour / utilisation, so they follow an edit exactly, intervals
included (each bootstrap replicate scales by the same positive factor)."""

from __future__ import annotations

import polars as pl

from dashboards.view import CostAssumptions

# dollars column -> the GPU-hours column it prices (routing_projection, README "Warehouse tables")
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
    """``frame`` (projection rows) with its dollar columns recomputed under ``costs``; unchanged
    when there are no editable costs or no price.

    Example:
        >>> rows = pl.DataFrame({"gpu_hours_saved_per_day": [2.0], "dollars_saved_per_day": [1.0]})
        >>> reprice(rows, CostAssumptions("H100", 3.0, 0.5, True))["dollars_saved_per_day"].item()
        12.0
    """
    if costs is None or not costs.editable or costs.dollars_per_gpu_hour is None:
        return frame
    per_gpu_hour = costs.dollars_per_gpu_hour / costs.utilisation
    return frame.with_columns(
        *[(pl.col(hours) * per_gpu_hour).alias(dollars) for dollars, hours in DOLLARS_FROM_GPU_HOURS.items()
          if dollars in frame.columns and hours in frame.columns],
        *[pl.lit(value).alias(name) for name, value in (
            ("dollars_per_gpu_hour", costs.dollars_per_gpu_hour), ("utilisation", costs.utilisation))
          if name in frame.columns],
    )
