"""Dollars under the sidebar's cost assumptions: a self-hosted projection's dollars are its
GPU-hours x price per paid GPU-hour / utilisation, so they follow an edit exactly, intervals
included (each bootstrap replicate scales by the same positive factor). Your traffic does the
same: every GPU-hour and dollar figure is the traffic times a per-request mean, so at N requests
a day instead of the projection's n each scales by N / n, intervals included."""

from __future__ import annotations

import polars as pl

from dashboards.view import CostAssumptions

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
    if costs.traffic_scale == 1.0:
        return frame
    return frame.with_columns(pl.col(name) * costs.traffic_scale for name in frame.columns if _scales(name))


def _scales(column: str) -> bool:
    """A figure that is the traffic times a per-request mean (a count, GPU-hours or dollars)."""
    return column == "requests_per_day" or (column.startswith(("gpu_hours", "dollars_saved"))
                                            and not column.startswith("dollars_per"))
