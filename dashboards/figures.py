"""Pure Plotly figure builders: frames in, ``go.Figure`` out, no Streamlit."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
import polars as pl

BAND_COLOUR = "rgba(31, 119, 180, 0.18)"
LINE_COLOUR = "rgb(31, 119, 180)"
MARKER_COLOUR = "rgb(214, 39, 40)"


def savings_vs_agreement(curve: pl.DataFrame, *, current_threshold: float | None = None) -> go.Figure:
    """GPU-hours saved per day (x) against agreement among requests routed small (y), one point
    per threshold of one router, with the 95% agreement band and the current threshold marked.

    ``curve`` holds ``routing_projection`` rows of a single router. Thresholds that route
    nothing small have no agreement and are left out.

    Example:
        >>> frame = pl.DataFrame({"threshold": [0.2, 0.8], "gpu_hours_saved_per_day": [9.0, 2.0],
        ...     "gpu_hours_saved_lo": [8.0, 1.5], "gpu_hours_saved_hi": [10.0, 2.5],
        ...     "agreement_small": [0.7, 0.9], "agreement_small_lo": [0.6, 0.8],
        ...     "agreement_small_hi": [0.8, 0.95]})
        >>> [trace.name for trace in savings_vs_agreement(frame, current_threshold=0.8).data]
        ['95% interval', 'Agreement', 'Threshold 0.80']
    """
    points = _with_agreement(curve)
    figure = go.Figure(_curve_traces(points, LINE_COLOUR, BAND_COLOUR, "Agreement"))
    if current_threshold is not None:
        current = points.filter((pl.col("threshold") - current_threshold).abs() < 1e-9)
        if current.height:
            figure.add_trace(_marker(current.row(0, named=True)))
    return _savings_layout(figure)


def routers_savings_vs_agreement(curves: pl.DataFrame, *, router: str | None = None,
                                 threshold: float | None = None) -> go.Figure:
    """Every router's savings-against-agreement curve with its 95% band, the Pareto frontier
    over them (``projection_curves``' ``frontier`` column) and the chosen point marked.

    Example:
        >>> frame = pl.DataFrame({"router": ["a", "a", "b"], "threshold": [0.2, 0.8, 0.5],
        ...     "gpu_hours_saved_per_day": [9.0, 2.0, 5.0], "gpu_hours_saved_lo": [8.0, 1.5, 4.0],
        ...     "gpu_hours_saved_hi": [10.0, 2.5, 6.0], "agreement_small": [0.7, 0.9, 0.6],
        ...     "agreement_small_lo": [0.6, 0.8, 0.5], "agreement_small_hi": [0.8, 0.95, 0.7],
        ...     "frontier": [True, True, False]})
        >>> [t.name for t in routers_savings_vs_agreement(frame, router="b", threshold=0.5).data]
        ['a 95% interval', 'a', 'b 95% interval', 'b', 'Pareto frontier', 'b at 0.50']
    """
    points = _with_agreement(curves)
    figure = go.Figure()
    for index, ((name,), curve) in enumerate(points.group_by("router", maintain_order=True)):
        colour = PALETTE[index % len(PALETTE)]
        figure.add_traces(_curve_traces(curve, colour, _transparent(colour), name))
    frontier = points.filter("frontier").sort("gpu_hours_saved_per_day")
    figure.add_trace(go.Scatter(
        x=frontier["gpu_hours_saved_per_day"].to_list(), y=frontier["agreement_small"].to_list(),
        mode="lines", line={"color": "black", "dash": "dash", "width": 2}, name="Pareto frontier",
        hoverinfo="skip",
    ))
    current = points.filter((pl.col("router") == router) & ((pl.col("threshold") - (threshold or 0)).abs() < 1e-9))
    if current.height:
        marker = _marker(current.row(0, named=True))
        marker.name = f"{router} at {threshold:.2f}"
        figure.add_trace(marker)
    return _savings_layout(figure)


PALETTE = ["rgb(31, 119, 180)", "rgb(255, 127, 14)", "rgb(44, 160, 44)", "rgb(148, 103, 189)",
           "rgb(140, 86, 75)", "rgb(227, 119, 194)", "rgb(127, 127, 127)"]


def _transparent(colour: str) -> str:
    return colour.replace("rgb(", "rgba(").replace(")", ", 0.15)")


def _with_agreement(curve: pl.DataFrame) -> pl.DataFrame:
    # Thresholds that route nothing small have no agreement: nothing to draw.
    agreement = ["agreement_small", "agreement_small_lo", "agreement_small_hi", "gpu_hours_saved_per_day"]
    return curve.drop_nulls(agreement).sort("threshold")


def _curve_traces(points: pl.DataFrame, colour: str, band_colour: str, name: str) -> list[go.Scatter]:
    # NumPy arrays, not lists: Plotly checks a list point by point, which at ~1,100 thresholds a
    # router took most of a cached rerun (bench/dashboard.py); arrays are taken as they are.
    x = points["gpu_hours_saved_per_day"].to_numpy()
    lo = points["agreement_small_lo"].to_numpy()
    hi = points["agreement_small_hi"].to_numpy()
    band_name = "95% interval" if name == "Agreement" else f"{name} 95% interval"
    # The band is one closed polygon (upper edge out, lower edge back), so it stays right
    # even where savings are not monotonic in the threshold (e.g. cascades).
    return [
        go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                   fillcolor=band_colour, mode="lines", line={"width": 0},
                   hoverinfo="skip", name=band_name, legendgroup=name, showlegend=False),
        go.Scatter(
            x=x, y=points["agreement_small"].to_numpy(), customdata=points["threshold"].to_numpy(),
            mode="lines+markers", line={"color": colour}, marker={"size": 4}, name=name, legendgroup=name,
            hovertemplate=(f"{name}<br>threshold %{{customdata:.2f}}<br>GPU-hours saved/day %{{x:,.3~g}}"
                           "<br>agreement %{y:.1%}<extra></extra>"),
        ),
    ]


def _savings_layout(figure: go.Figure) -> go.Figure:
    figure.update_layout(
        xaxis_title="GPU-hours saved per day",
        yaxis_title="Agreement among requests routed small",
        yaxis_tickformat=".0%",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"t": 40},
    )
    return figure


def _marker(row: dict) -> go.Scatter:
    x, y = row["gpu_hours_saved_per_day"], row["agreement_small"]
    # Error bars give both 95% intervals of the chosen point at a glance.
    return go.Scatter(
        x=[x],
        y=[y],
        mode="markers",
        marker={"size": 14, "symbol": "diamond", "color": MARKER_COLOUR},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": [row["gpu_hours_saved_hi"] - x],
            "arrayminus": [x - row["gpu_hours_saved_lo"]],
        },
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [row["agreement_small_hi"] - y],
            "arrayminus": [y - row["agreement_small_lo"]],
        },
        name=f"Threshold {row['threshold']:.2f}",
        hoverinfo="skip",
    )


def daily_trend(days: pl.DataFrame, value: str, lo: str, hi: str, *, title: str, tickformat: str = "") -> go.Figure:
    """A small line chart of one figure over days with its 95% band (``segments_at`` rows of
    segment_by 'day': ``segment`` is the day). Days without the figure are left out.

    Example:
        >>> frame = pl.DataFrame({"segment": ["2026-11-01", "2026-11-02"], "share_small": [0.4, 0.5],
        ...     "share_small_lo": [0.3, 0.4], "share_small_hi": [0.5, 0.6]})
        >>> [t.name for t in daily_trend(frame, "share_small", "share_small_lo", "share_small_hi",
        ...     title="Routed small").data]
        ['95% interval', 'Routed small']
    """
    points = days.drop_nulls(value).sort("segment")
    x = points["segment"].to_list()
    # A missing interval (too few samples that day) draws as the value itself: no band there.
    lo_values = points.select(pl.coalesce(lo, value)).to_series().to_list()
    hi_values = points.select(pl.coalesce(hi, value)).to_series().to_list()
    figure = go.Figure([
        go.Scatter(x=x + x[::-1], y=hi_values + lo_values[::-1], fill="toself", fillcolor=BAND_COLOUR,
                   mode="lines", line={"width": 0}, hoverinfo="skip", name="95% interval"),
        go.Scatter(x=x, y=points[value].to_list(), mode="lines+markers", line={"color": LINE_COLOUR},
                   name=title),
    ])
    figure.update_layout(title={"text": title, "font": {"size": 14}}, height=220, showlegend=False,
                         margin={"t": 40, "b": 10, "l": 10, "r": 10}, yaxis_tickformat=tickformat,
                         xaxis_type="category")
    return figure


def segment_bars(segments: pl.DataFrame, value: str, lo: str, hi: str, *, title: str,
                 tickformat: str = "") -> go.Figure:
    """One bar per segment (``segments_at`` rows) with its 95% interval as an error bar; a
    segment without the figure (none routed small, no cost) has no bar.

    Example:
        >>> frame = pl.DataFrame({"segment": ["chat", "search"], "share_small": [0.4, None],
        ...     "share_small_lo": [0.3, None], "share_small_hi": [0.5, None]})
        >>> list(segment_bars(frame, "share_small", "share_small_lo", "share_small_hi", title="x").data[0].y)
        ['chat']
    """
    points = segments.drop_nulls(value)
    values = points[value].to_list()
    # No interval (too few sampled requests in the segment): no error bar rather than a fake one.
    above = [None if h is None else h - v for v, h in zip(values, points[hi].to_list(), strict=True)]
    below = [None if low is None else v - low for v, low in zip(values, points[lo].to_list(), strict=True)]
    figure = go.Figure(go.Bar(
        # Segment values come from the logs: Plotly would render their <a>, <b>, <br> tags.
        x=values, y=[html.escape(str(v), quote=False) for v in points["segment"].to_list()], orientation="h", marker_color=LINE_COLOUR, name=title,
        error_x={"type": "data", "symmetric": False, "array": above, "arrayminus": below},
    ))
    figure.update_layout(title={"text": title, "font": {"size": 14}}, xaxis_tickformat=tickformat,
                         height=120 + 40 * max(points.height, 1), margin={"t": 40, "b": 10},
                         yaxis={"type": "category", "autorange": "reversed"})
    return figure
