"""Threshold explorer: every router's savings against agreement on one chart with 95% bands and
the Pareto frontier, how well each router ranks (AUC, APGR, CPT) and the chosen router's
projection table, downloadable as shown."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data, figures
from dashboards.formatting import MISSING, interval, percent, table_columns
from dashboards.view import View, current_view, explain_missing

# router_metrics figures per router, each with its 95% interval, as the table shows them.
METRICS_TABLE = {
    "auc": "AUC", "apgr": "APGR", "cpt50": "CPT(50%)", "cpt80": "CPT(80%)", "cpt95": "CPT(95%)",
    "cpt50_routellm": "RouteLLM CPT(50%)", "cpt80_routellm": "RouteLLM CPT(80%)", "cpt95_routellm": "RouteLLM CPT(95%)",
}
# The projection table's columns, in the order shown and downloaded.
PROJECTION_COLUMNS = [
    "threshold", "share_small", "share_small_lo", "share_small_hi",
    "agreement_small", "agreement_small_lo", "agreement_small_hi",
    "unchanged_share", "unchanged_lo", "unchanged_hi",
    "gpu_hours_saved_per_day", "gpu_hours_saved_lo", "gpu_hours_saved_hi",
    "dollars_saved_per_30_days", "dollars_saved_per_30_days_lo", "dollars_saved_per_30_days_hi",
    "dollars_saved_per_year", "dollars_saved_per_year_lo", "dollars_saved_per_year_hi",
    "kept_small", "kept_p_value", "certified",
    "pareto", "recommended", "n_sample", "n_routed_small", "threshold_source",
    "device", "dollars_per_gpu_hour", "utilisation",
]


def metrics_table(metrics: pl.DataFrame) -> pl.DataFrame:
    """One row per router: each metric as 'value [lo – hi]' text, the recommended threshold, what
    it is certified to keep and the smallest share routed small the sample can certify.

    Example:
        >>> frame = pl.DataFrame({"router": ["length"], **{f"{m}{s}": [0.5] for m in METRICS_TABLE
        ...     for s in ("", "_lo", "_hi")}, "recommended_threshold": [0.4], "note": [None],
        ...     "gate_measure": ["agreement"], "agreement_target": [0.95], "recommendation_risk": [0.05],
        ...     "certifiable_share_small": [0.3]})
        >>> row = metrics_table(frame).row(0, named=True)
        >>> row["AUC"], row["Certified to keep"], row["Smallest certifiable share small"]
        ('0.500 [0.500 – 0.500]', 'agreement >= 95.0% (risk 5%)', '30.0%')
    """
    rows = [
        {"Router": row["router"],
         **{label: _with_interval(row, name) for name, label in METRICS_TABLE.items()},
         "Recommended threshold": row["recommended_threshold"],
         "Certified to keep": _certified_to_keep(row),
         "Smallest certifiable share small": percent(row.get("certifiable_share_small")), "Note": row["note"]}
        for row in metrics.iter_rows(named=True)
    ]
    return pl.DataFrame(rows, schema_overrides={"Recommended threshold": pl.Float64, "Note": pl.String})


def _certified_to_keep(row: dict) -> str:
    if row.get("recommendation_risk") is None:
        return MISSING  # a snapshot from before migration 014
    return f"{row.get('gate_measure') or 'agreement'} >= {percent(row['agreement_target'])} " \
           f"(risk {row['recommendation_risk']:.0%})"


def _with_interval(row: dict, name: str) -> str:
    if name not in row:
        return MISSING  # a snapshot from before migration 014 has no RouteLLM CPT
    value = MISSING if row[name] is None else f"{row[name]:.3f}"
    span = interval(row[f"{name}_lo"], row[f"{name}_hi"], lambda v: f"{v:.3f}")
    return f"{value} {span}" if span else value


def render(view: View) -> None:
    st.title("Threshold explorer")
    if explain_missing(view):
        return
    st.caption(f"Dataset **{view.dataset}**. Pick the router and move the threshold in the sidebar. Each curve is "
               "one router over all its thresholds; the shaded bands are 95% intervals of agreement; the dashed line "
               "is the Pareto frontier over the routers (the oracle, an upper bound, left out).")
    curves = data.projection_curves(view)
    chosen = data.projection_at(view, view.router, view.threshold)
    at = chosen["threshold"].item() if chosen.height else None
    st.plotly_chart(figures.routers_savings_vs_agreement(curves, router=view.router, threshold=at),
                    key="routers_savings_vs_agreement")
    st.subheader("How well each router ranks requests")
    st.caption("AUC: chance a request whose small answer agrees outranks one whose does not. APGR: average "
               "performance gap recovered; CPT(x%): least share of calls to the large model measured to recover "
               "x% of the gap (RouteLLM's paper); RouteLLM CPT(x%): the same read off np.interp between operating "
               "points, as RouteLLM's evaluate.py prints it, to compare with a published figure (quality = "
               "agreement, or the imported quality). Each with its 95% interval. The recommended threshold is "
               "the most saving one certified to keep the target among requests routed small: each threshold "
               "is tested from the strictest down (p-value in kept_p_value, certified below) and the sequence "
               "stops at the first that fails, so the recommendation misses the target in at most 5% of "
               "samples (learn-then-test). Certifying takes enough requests routed small: the last column is "
               "the smallest share routed small this sample can certify.")
    metrics = data.recommendations(view)
    ranking = metrics_table(metrics).with_columns(pl.lit(view.dataset).alias("Dataset")).select(
        "Dataset", pl.exclude("Dataset"))
    st.dataframe(ranking, hide_index=True, key="router_metrics_table")
    st.subheader(f"Projection of {view.router}, every threshold")
    table = projection_table(curves, view.router).with_columns(
        pl.lit(view.dataset).alias("dataset")).select("dataset", "router", pl.exclude("dataset", "router"))
    st.dataframe(table, hide_index=True, key="projection_table", column_config=table_columns(table))
    st.download_button("Download this table as CSV", table.write_csv(),
                       file_name=f"projection_{view.dataset}_{view.router}.csv", mime="text/csv",
                       key="download_projection")


def projection_table(curves: pl.DataFrame, router: str) -> pl.DataFrame:
    """The router's projection rows as the page shows and downloads them (dollars repriced)."""
    mine = curves.filter(pl.col("router") == router)
    return mine.select([c for c in ["router", *PROJECTION_COLUMNS] if c in mine.columns])


if __name__ == "__main__":
    render(current_view())
