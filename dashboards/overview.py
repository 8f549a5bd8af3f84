"""Overview page: what routing at the chosen threshold saves and how much answers change."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import figures, loaders
from dashboards.formatting import amount, dollars, interval, percent
from dashboards.sidebar import Selection

NO_SNAPSHOT = (
    "No published snapshot in `{data_dir}` yet. Run `make demo` to build one from the bundled "
    "sample log, or point `PLANB_DATA_DIR` at a data folder that has `snapshot.duckdb`."
)
NO_PROJECTION = (
    "The snapshot in `{data_dir}` has no routing projection yet. Run `make demo` (or the "
    "pipeline up to `routing_projection`) and publish again."
)

# (label, value column, interval columns, formatter), in display order.
METRICS = [
    ("Routed to small model", "share_small", ("share_small_lo", "share_small_hi"), percent),
    (
        "Agreement among routed small",
        "agreement_small",
        ("agreement_small_lo", "agreement_small_hi"),
        percent,
    ),
    ("Answers unchanged", "unchanged_share", ("unchanged_lo", "unchanged_hi"), percent),
    (
        "GPU-hours saved / day",
        "gpu_hours_saved_per_day",
        ("gpu_hours_saved_lo", "gpu_hours_saved_hi"),
        amount,
    ),
    (
        "Dollars saved / day",
        "dollars_saved_per_day",
        ("dollars_saved_per_day_lo", "dollars_saved_per_day_hi"),
        dollars,
    ),
    (
        "Dollars saved / year",
        "dollars_saved_per_year",
        ("dollars_saved_per_year_lo", "dollars_saved_per_year_hi"),
        dollars,
    ),
]


def render(data_dir: Path, selection: Selection | None) -> None:
    st.title("Overview")
    if selection is None:
        missing = loaders.snapshot_version(data_dir) is None
        st.info((NO_SNAPSHOT if missing else NO_PROJECTION).format(data_dir=data_dir))
        return
    directory, version = str(selection.data_dir), selection.version
    row = loaders.projection_at(directory, version, selection.router, selection.threshold)
    if row is None:  # the router vanished from a newer snapshot between two reruns
        st.info(NO_PROJECTION.format(data_dir=data_dir))
        return
    st.caption(
        f"Router **{row['router']}** at threshold {row['threshold']:.2f} (the projected "
        f"threshold nearest {selection.threshold:.2f}) · {row['n_sample']:,} replayed requests · "
        f"{row['requests_per_day']:,.0f} logged requests a day · costs measured on "
        f"{row['device']} at ${row['dollars_per_gpu_hour']:,.2f} per GPU-hour, "
        f"{row['utilisation']:.0%} utilisation · intervals are 95%"
    )
    columns = st.columns(3)
    for index, (label, column, (lo, hi), fmt) in enumerate(METRICS):
        with columns[index % 3]:
            st.metric(
                label,
                fmt(row[column]),
                delta=interval(row[lo], row[hi], fmt),
                delta_color="off",
                delta_arrow="off",
                border=True,
            )
    curve = loaders.projection(directory, version, selection.router)
    st.plotly_chart(
        figures.savings_vs_agreement(curve, current_threshold=row["threshold"]),
        key="savings_vs_agreement",
    )
