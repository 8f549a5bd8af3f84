"""Costs page: what each model costs per token on each device (the fitted cost models) and how
well each predicts batches it did not see (its backtest), the price table, the batch size the
figures charge each model at, how the chosen router's GPU-hours turn into dollars under the
sidebar's assumptions, spend a day over a date range (all on the large model against routed),
and each model's latency in the replay."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import data, figures
from dashboards.formatting import amount, dollars
from dashboards.tiles import METRICS, metric_tiles
from dashboards.view import View, current_view, explain_missing, say_what_is_shown

# The window's cost figures at the chosen threshold: (label, column, interval columns, format).
COST_TILES = [
    ("GPU-hours / day with routing", "gpu_hours_per_day", (None, None), amount),
    ("GPU-hours / day, always large", "gpu_hours_always_large_per_day", (None, None), amount),
    *[metric for metric in METRICS if metric[1].startswith(("gpu_hours_saved", "dollars"))],
]


def cost_table(fits: pl.DataFrame) -> pl.DataFrame:
    """The cost models as shown: milliseconds per request and per 1,000 tokens, and the backtest.

    Example:
        >>> frame = pl.DataFrame({"model": ["m"], "role": ["small"], "device": ["cpu"], "source": ["replay"],
        ...     "seconds_per_request": [0.01], "seconds_per_prompt_token": [0.0001],
        ...     "seconds_per_output_token": [0.002], "r2": [0.9], "n_batches": [12], "min_batch_size": [4],
        ...     "max_batch_size": [8], "backtest_total_error": [-0.0412], "backtest_median_abs_error": [0.0031],
        ...     "backtest_median_rel_error": [0.05], "backtest_note": [None]})
        >>> cost_table(frame)["ms per 1k output tokens"].item(), cost_table(frame)["Backtest total error"].item()
        (2000.0, '-4.1%')
    """
    return fits.select(
        pl.col("model").alias("Model"), pl.col("role").alias("Role"), pl.col("device").alias("Device"),
        pl.col("source").alias("Measured by"),
        (pl.col("seconds_per_request") * 1e3).round(3).alias("ms per request"),
        (pl.col("seconds_per_prompt_token") * 1e6).round(3).alias("ms per 1k prompt tokens"),
        (pl.col("seconds_per_output_token") * 1e6).round(3).alias("ms per 1k output tokens"),
        pl.col("r2").round(3).alias("R²"), pl.col("n_batches").alias("Batches"),
        pl.format("{}-{}", "min_batch_size", "max_batch_size").alias("Batch sizes"),
        # Text, so a missing backtest reads as its reason rather than an empty cell.
        pl.when(pl.col("backtest_total_error").is_null()).then(pl.lit("none"))
        .otherwise(pl.format("{}%", (pl.col("backtest_total_error") * 100).round(1)).str.replace(r"^(\d)", "+$1"))
        .alias("Backtest total error"),
        (pl.col("backtest_median_abs_error") * 1e3).round(3).alias("Backtest median abs error (ms)"),
        (pl.col("backtest_median_rel_error") * 100).round(1).alias("Backtest median abs error (%)"),
        pl.col("backtest_note").alias("Backtest note"),
    )


def cost_basis_text(basis: str | None, *, price_note: str | None = None, imported: bool = False) -> str:
    """The line that says at which batch size the figures charge each model's output tokens.

    Example:
        >>> cost_basis_text("small: serving batch 32 (measured 1-32)").split(". ")[0]
        '**Cost basis**: small: serving batch 32 (measured 1-32)'
        >>> cost_basis_text(None, price_note="dollars from the table", imported=True)
        '**Cost basis**: as imported (dollars from the table).'
    """
    if imported:  # costs per request came with the table: no device, no batch
        return f"**Cost basis**: as imported ({price_note or 'each request’s cost from the table'})."
    said = basis or "not recorded (no cost model, or a projection made before the basis was recorded)"
    return (f"**Cost basis**: {said}. Production serves a model at its own batch size "
            "(pricing.serving_batch_size), not the replay's.")


def render(view: View) -> None:
    st.title("Costs")
    if explain_missing(view, needs_projection=False):
        return
    say_what_is_shown(view, "the cost models and price table",
                      "an imported set brings its own cost per request (see its figures at the bottom of this page).")
    st.subheader("Seconds per token, per model and device")
    st.caption("A request costs seconds per request + seconds per prompt token x its prompt tokens + seconds per "
               "output token x its output tokens, fitted on the replay batches (source replay) or measured on "
               "random weights by `planb calibrate-gpu`. Output tokens are shown at the measured batches' mean "
               "batch size. Backtest: the fit on part of the batches predicts the seconds of the rest (replay: 5 "
               "folds by batch; calibrate-gpu: each batch size from the others); total error is predicted minus "
               "measured seconds over all of them, the cost model check warns beyond "
               "checks.max_cost_model_backtest_error (10% by default).")
    fits = data.cost_models(view)
    if fits.is_empty():
        st.info("No cost model in this snapshot: run the pipeline through `cost_models`.")
    else:
        st.dataframe(cost_table(fits), hide_index=True, key="cost_models_table")
        st.plotly_chart(_per_token_chart(fits), key="cost_per_token")
    st.subheader("Prices")
    prices = data.gpu_prices(view)
    if prices.height:
        # Dates as text: a table would show them as midnight timestamps.
        shown = prices.with_columns(pl.col("as_of").cast(pl.String))
        st.dataframe(shown.rename({"gpu_type": "GPU type", "dollars_per_hour": "$ per GPU-hour", "as_of": "As of",
                                   "source": "Source", "measured": "Measured here"}),
                     hide_index=True, key="price_table")
    if not view.has_projection:
        return
    costs = view.costs
    if costs is not None and costs.editable:
        per_hour = costs.dollars_per_gpu_hour / costs.utilisation
        st.markdown(f"Priced as **{costs.gpu_type}** at **${costs.dollars_per_gpu_hour:,.4g}** per GPU-hour and "
                    f"**{costs.utilisation:.0%}** utilisation: one useful GPU-hour costs **{dollars(per_hour)}**. "
                    "Edit these in the sidebar: every page follows.")
    st.subheader(f"{view.router} at threshold {view.threshold:.2f}")
    at = data.projection_at(view, view.router, view.threshold)
    if at.height:
        row = at.row(0, named=True)
        st.markdown(cost_basis_text(row.get("cost_basis"), price_note=row.get("price_note"),
                                    imported=not row.get("device")))
        metric_tiles(row, COST_TILES)
    _spend_over_time(view)
    _latency(view)


def _spend_over_time(view: View) -> None:
    st.subheader("Spend over time")
    if view.imported:
        st.caption(f"**{view.dataset}** is an imported set: its pairs have no days, so there is no spend over time.")
        return
    days = data.segments_at(view, view.router, view.threshold, "day")
    if days.is_empty():
        st.caption("No per-day projection in this snapshot.")
        return
    known = sorted(date.fromisoformat(day) for day in days["segment"].to_list())
    picked = st.date_input("Days", value=(known[0], known[-1]), min_value=known[0], max_value=known[-1],
                           key="spend_days")
    first, last = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else (known[0], known[-1])
    shown = days.filter(pl.col("segment").is_between(pl.lit(first.isoformat()), pl.lit(last.isoformat())))
    models = _model_names(view)
    st.plotly_chart(figures.spend_over_time(shown, large=models.get("large", "large"), small=models.get("small", "small")),
                    key="spend_over_time")
    st.caption(f"Each day at {view.router} {view.threshold:.2f}, at the sidebar's traffic and prices: all requests on "
               "the large model against routing (the small model answers what is routed, the large one the rest). "
               "The band is the 95% interval of the day's saving.")


def _latency(view: View) -> None:
    st.subheader("Latency")
    if view.imported:
        st.caption(f"**{view.dataset}** is an imported set: its answers carry no timing.")
        return
    latency = data.replay_latency(view)
    if latency.is_empty():
        st.caption("No replays in this snapshot.")
        return
    st.dataframe(latency_table(latency), hide_index=True, key="latency_table")
    st.caption("Measured in the replay: a request waits for its whole batch, so its latency is its batch's wall "
               "time, at the replay's batch sizes on the replay's device (not your serving engine's).")


def latency_table(latency: pl.DataFrame) -> pl.DataFrame:
    """The replay latency as shown.

    Example:
        >>> frame = pl.DataFrame({"model": ["m"], "role": ["small"], "device": ["cpu"], "requests": [84],
        ...     "batches": [14], "mean_batch_size": [6.0], "p50_seconds": [1.234], "p95_seconds": [2.5],
        ...     "output_tokens_per_second": [40.123]})
        >>> latency_table(frame).row(0)
        ('m', 'small', 'cpu', 84, 14, 6.0, 1.23, 2.5, 40.1)
    """
    return latency.select(
        pl.col("model").alias("Model"), pl.col("role").alias("Role"), pl.col("device").alias("Device"),
        pl.col("requests").alias("Requests"), pl.col("batches").alias("Batches"),
        pl.col("mean_batch_size").round(1).alias("Mean batch size"),
        pl.col("p50_seconds").round(2).alias("p50 seconds"), pl.col("p95_seconds").round(2).alias("p95 seconds"),
        pl.col("output_tokens_per_second").round(1).alias("Output tokens / s"),
    )


def _model_names(view: View) -> dict[str, str]:
    fits = data.cost_models(view)
    return dict(zip(fits["role"].to_list(), fits["model"].to_list(), strict=True)) if fits.height else {}


def _per_token_chart(fits: pl.DataFrame) -> go.Figure:
    labels = [f"{m} on {d} ({s})" for m, d, s in zip(fits["model"], fits["device"], fits["source"], strict=True)]
    figure = go.Figure([
        go.Bar(name="per 1k prompt tokens", x=labels, y=(fits["seconds_per_prompt_token"] * 1e6).to_list()),
        go.Bar(name="per 1k output tokens", x=labels, y=(fits["seconds_per_output_token"] * 1e6).to_list()),
    ])
    figure.update_layout(barmode="group", yaxis_title="milliseconds", height=320, margin={"t": 30},
                         legend={"orientation": "h", "y": 1.1})
    return figure


if __name__ == "__main__":
    render(current_view())
