"""Segments page: savings and agreement at the chosen threshold by surface, mode, language and
query-length bucket, each with its 95% interval."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data, figures
from dashboards.formatting import amount, dollars, interval, percent
from dashboards.view import View, current_view, explain_missing

# segment_by value -> label, as routing_projection names them.
SEGMENT_KINDS = {"surface": "Surface", "mode": "Mode", "language": "Language", "query_length": "Query length (words)"}
# (column label, value, interval columns, formatter) of the segment table.
COLUMNS = [
    ("Routed small", "share_small", ("share_small_lo", "share_small_hi"), percent),
    ("Agreement", "agreement_small", ("agreement_small_lo", "agreement_small_hi"), percent),
    ("Unchanged", "unchanged_share", ("unchanged_lo", "unchanged_hi"), percent),
    ("GPU-hours saved / day", "gpu_hours_saved_per_day", ("gpu_hours_saved_lo", "gpu_hours_saved_hi"), amount),
    ("Dollars saved / year", "dollars_saved_per_year", ("dollars_saved_per_year_lo", "dollars_saved_per_year_hi"),
     dollars),
]


def segment_table(segments: pl.DataFrame) -> pl.DataFrame:
    """The segments as shown: each figure as 'value [lo – hi]' text, with the sample behind it.

    Example:
        >>> frame = pl.DataFrame({"segment": ["chat"], "n_sample": [40], "requests_per_day": [100.0],
        ...     **{c: [0.5] for _, v, (lo, hi), _ in COLUMNS for c in (v, lo, hi)}})
        >>> segment_table(frame)["Routed small"].item()
        '50.0% [50.0% – 50.0%]'
    """
    rows = []
    for row in segments.iter_rows(named=True):
        shown = {"Segment": row["segment"], "Sampled requests": row["n_sample"],
                 "Logged requests / day": row["requests_per_day"]}
        for label, column, (lo, hi), fmt in COLUMNS:
            span = interval(row[lo], row[hi], fmt)
            shown[label] = fmt(row[column]) + (f" {span}" if span else "")
        rows.append(shown)
    return pl.DataFrame(rows)


def render(view: View) -> None:
    st.title("Segments")
    if explain_missing(view):
        return
    kind = st.segmented_control("Segment by", list(SEGMENT_KINDS), format_func=SEGMENT_KINDS.get,
                                default="surface", key="segment_by", bind="query-params") or "surface"
    segments = data.segments_at(view, view.router, view.threshold, kind)
    if segments.is_empty():
        st.info(f"This snapshot has no projection by {SEGMENT_KINDS[kind].lower()}.")
        return
    st.caption(f"Dataset **{view.dataset}**, router **{view.router}** at the projected threshold nearest "
               f"{view.threshold:.2f}, each segment "
               "projected on its own sampled requests · intervals are 95% · a segment with too few sampled "
               "requests has no interval")
    left, right = st.columns(2)
    with left:
        if figures.savings_column(segments) == "gpu_hours_saved_per_day":
            savings = figures.segment_bars(segments, "gpu_hours_saved_per_day", "gpu_hours_saved_lo",
                                           "gpu_hours_saved_hi", title="GPU-hours saved / day")
        else:  # an imported set priced per token: no GPU-hours
            savings = figures.segment_bars(segments, "dollars_saved_per_day", "dollars_saved_per_day_lo",
                                           "dollars_saved_per_day_hi", title="Dollars saved / day", tickformat="$,.2f")
        st.plotly_chart(savings, key="segment_savings")
    with right:
        st.plotly_chart(figures.segment_bars(segments, "agreement_small", "agreement_small_lo", "agreement_small_hi",
                                             title="Agreement among routed small", tickformat=".0%"),
                        key="segment_agreement")
    shown = segment_table(segments).with_columns(pl.lit(view.dataset).alias("Dataset"), pl.lit(view.router).alias(
        "Router"), segments["threshold"].round(2).alias("Threshold")).select(
        "Dataset", "Router", "Threshold", pl.exclude("Dataset", "Router", "Threshold"))
    st.dataframe(shown, hide_index=True, key="segment_table")


if __name__ == "__main__":
    render(current_view())
