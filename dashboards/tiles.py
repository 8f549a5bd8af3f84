"""The headline figures as bordered metric tiles, each with its 95% interval underneath."""

from __future__ import annotations

import streamlit as st

from dashboards.formatting import amount, dollars, interval, percent

# (label, value column, interval columns, formatter), in display order.
METRICS = [
    ("GPU-hours saved / day", "gpu_hours_saved_per_day", ("gpu_hours_saved_lo", "gpu_hours_saved_hi"), amount),
    ("Dollars saved / month", "dollars_saved_per_30_days",
     ("dollars_saved_per_30_days_lo", "dollars_saved_per_30_days_hi"), dollars),
    ("Dollars saved / year", "dollars_saved_per_year",
     ("dollars_saved_per_year_lo", "dollars_saved_per_year_hi"), dollars),
    ("Routed to small model", "share_small", ("share_small_lo", "share_small_hi"), percent),
    ("Agreement among routed small", "agreement_small", ("agreement_small_lo", "agreement_small_hi"), percent),
    ("Answers unchanged", "unchanged_share", ("unchanged_lo", "unchanged_hi"), percent),
]


def metric_tiles(row: dict, metrics: list = METRICS, *, columns: int = 3) -> None:
    """One bordered ``st.metric`` a figure, its 95% interval underneath."""
    slots = st.columns(columns)
    for index, (label, column, (lo, hi), fmt) in enumerate(metrics):
        with slots[index % columns]:
            st.metric(label, fmt(row.get(column)), delta=interval(row.get(lo), row.get(hi), fmt),
                      delta_color="off", delta_arrow="off", border=True)
