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

    ``curve`` holds ``routing_projection`` rows of a single router. The x axis is dollars saved per
    day when GPU-hours are unknown (an imported set priced per token). A point without an interval
    (too few sampled requests routed small) is drawn hollow, its reason on hover; thresholds that
    route nothing small have no agreement to draw.

    Example:
        >>> frame = pl.DataFrame({"threshold": [0.2, 0.8], "gpu_hours_saved_per_day": [9.0, 2.0],
        ...     "gpu_hours_saved_lo": [8.0, 1.5], "gpu_hours_saved_hi": [10.0, 2.5],
        ...     "agreement_small": [0.7, 0.9], "agreement_small_lo": [0.6, 0.8],
        ...     "agreement_small_hi": [0.8, 0.95]})
        >>> [trace.name for trace in savings_vs_agreement(frame, current_threshold=0.8).data]
        ['95% interval', 'Agreement', 'Agreement: no interval', 'Threshold 0.80']
    """
    x = savings_column(curve)
    points = _with_agreement(curve, x)
    figure = go.Figure(_curve_traces(points, LINE_COLOUR, BAND_COLOUR, "Agreement", x))
    if current_threshold is not None:
        current = points.filter((pl.col("threshold") - current_threshold).abs() < 1e-9)
        if current.height:
            figure.add_trace(_marker(current.row(0, named=True), x))
    return _savings_layout(figure, x)


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
        ['a 95% interval', 'a', 'a: no interval', 'b 95% interval', 'b', 'b: no interval', 'Pareto frontier', 'b at 0.50']
    """
    x = savings_column(curves)
    points = _with_agreement(curves, x)
    figure = go.Figure()
    for index, ((name,), curve) in enumerate(points.group_by("router", maintain_order=True)):
        colour = PALETTE[index % len(PALETTE)]
        figure.add_traces(_curve_traces(curve, colour, _transparent(colour), name, x))
    frontier = points.filter("frontier").sort(x)
    figure.add_trace(go.Scatter(
        x=frontier[x].to_list(), y=frontier["agreement_small"].to_list(),
        mode="lines", line={"color": "black", "dash": "dash", "width": 2}, name="Pareto frontier",
        hoverinfo="skip",
    ))
    current = points.filter((pl.col("router") == router) & ((pl.col("threshold") - (threshold or 0)).abs() < 1e-9))
    if current.height:
        marker = _marker(current.row(0, named=True), x)
        marker.name = f"{router} at {threshold:.2f}"
        figure.add_trace(marker)
    return _savings_layout(figure, x)


PALETTE = ["rgb(31, 119, 180)", "rgb(255, 127, 14)", "rgb(44, 160, 44)", "rgb(148, 103, 189)",
           "rgb(140, 86, 75)", "rgb(227, 119, 194)", "rgb(127, 127, 127)"]


def _transparent(colour: str) -> str:
    return colour.replace("rgb(", "rgba(").replace(")", ", 0.15)")


# (x column, its interval columns, axis title, hover format) of the savings axis.
SAVINGS_AXES = {
    "gpu_hours_saved_per_day": ("gpu_hours_saved_lo", "gpu_hours_saved_hi", "GPU-hours saved per day", ",.3~g"),
    "dollars_saved_per_day": ("dollars_saved_per_day_lo", "dollars_saved_per_day_hi", "Dollars saved per day",
                              "$,.4~g"),
}


def savings_column(curve: pl.DataFrame) -> str:
    """GPU-hours saved per day, else dollars saved per day when GPU-hours are unknown (an imported
    set priced per token, issue 24).

    Example:
        >>> savings_column(pl.DataFrame({"gpu_hours_saved_per_day": [None], "dollars_saved_per_day": [2.0]}))
        'dollars_saved_per_day'
    """
    hours = curve.get_column("gpu_hours_saved_per_day", default=None)
    if hours is not None and hours.null_count() < len(hours):
        return "gpu_hours_saved_per_day"
    dollars = curve.get_column("dollars_saved_per_day", default=None)
    return "dollars_saved_per_day" if dollars is not None and dollars.null_count() < len(dollars) \
        else "gpu_hours_saved_per_day"


def _with_agreement(curve: pl.DataFrame, x: str = "gpu_hours_saved_per_day") -> pl.DataFrame:
    # Thresholds that route nothing small have no agreement, and one without savings has no x:
    # nothing to place. A point without an interval is kept (drawn hollow).
    return curve.drop_nulls(["agreement_small", x]).sort("threshold")


def no_interval_reason(row: dict) -> str:
    """Why a projected point has no 95% interval, for its hover.

    Example:
        >>> no_interval_reason({"n_routed_small": 4, "n_sample": 84})
        'no interval: 4 of 84 sampled requests routed small, too few'
    """
    routed, sample = row.get("n_routed_small"), row.get("n_sample")
    if routed is None:
        return "no interval: too few sampled requests"
    return f"no interval: {routed:,} of {sample:,} sampled requests routed small, too few"


def _curve_traces(points: pl.DataFrame, colour: str, band_colour: str, name: str,
                  x_column: str = "gpu_hours_saved_per_day") -> list[go.Scatter]:
    # NumPy arrays, not lists: Plotly checks a list point by point, which at ~1,100 thresholds a
    # router took most of a cached rerun (bench/dashboard.py); arrays are taken as they are.
    _, _, title, hover = SAVINGS_AXES[x_column]
    banded = points.drop_nulls(["agreement_small_lo", "agreement_small_hi"])
    bare = points.filter(pl.col("agreement_small_lo").is_null() | pl.col("agreement_small_hi").is_null())
    x = banded[x_column].to_numpy()
    lo = banded["agreement_small_lo"].to_numpy()
    hi = banded["agreement_small_hi"].to_numpy()
    band_name = "95% interval" if name == "Agreement" else f"{name} 95% interval"
    line_x, line_y = points[x_column].to_numpy(), points["agreement_small"].to_numpy()
    reasons = [no_interval_reason(row) for row in bare.iter_rows(named=True)]
    # The band is one closed polygon (upper edge out, lower edge back), so it stays right
    # even where savings are not monotonic in the threshold (e.g. cascades).
    return [
        go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                   fillcolor=band_colour, mode="lines", line={"width": 0},
                   hoverinfo="skip", name=band_name, legendgroup=name, showlegend=False),
        go.Scatter(
            x=line_x, y=line_y, customdata=points["threshold"].to_numpy(),
            mode="lines+markers", line={"color": colour}, marker={"size": 4}, name=name, legendgroup=name,
            hovertemplate=(f"{name}<br>threshold %{{customdata:.2f}}<br>{title} %{{x:{hover}}}"
                           "<br>agreement %{y:.1%}<extra></extra>"),
        ),
        # Points without an interval: hollow, with the reason on hover, never dropped.
        go.Scatter(
            x=bare[x_column].to_numpy(), y=bare["agreement_small"].to_numpy(),
            customdata=np.column_stack([bare["threshold"].to_numpy(), np.array(reasons, dtype=object)])
            if bare.height else None,
            mode="markers", marker={"size": 8, "symbol": "circle-open", "color": colour, "line": {"width": 2}},
            name=f"{name}: no interval", legendgroup=name, showlegend=False,
            hovertemplate=(f"{name}<br>threshold %{{customdata[0]:.2f}}<br>{title} %{{x:{hover}}}"
                           "<br>agreement %{y:.1%}<br>%{customdata[1]}<extra></extra>"),
        ),
    ]


def _savings_layout(figure: go.Figure, x: str = "gpu_hours_saved_per_day") -> go.Figure:
    figure.update_layout(
        xaxis_title=SAVINGS_AXES[x][2],
        yaxis_title="Agreement among requests routed small",
        yaxis_tickformat=".0%",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"t": 40},
    )
    return figure


def _marker(row: dict, x_column: str = "gpu_hours_saved_per_day") -> go.Scatter:
    x, y = row[x_column], row["agreement_small"]
    x_lo, x_hi = (row.get(column) for column in SAVINGS_AXES[x_column][:2])
    y_lo, y_hi = row.get("agreement_small_lo"), row.get("agreement_small_hi")
    # Error bars give both 95% intervals of the chosen point at a glance (none where it has none).
    return go.Scatter(
        x=[x],
        y=[y],
        mode="markers",
        marker={"size": 14, "symbol": "diamond" if y_lo is not None else "diamond-open", "color": MARKER_COLOUR},
        error_x=_error_bar(x, x_lo, x_hi),
        error_y=_error_bar(y, y_lo, y_hi),
        name=f"Threshold {row['threshold']:.2f}",
        hoverinfo="skip",
    )


def _error_bar(value: float, lo: float | None, hi: float | None) -> dict:
    if lo is None or hi is None:
        return {"visible": False}
    return {"type": "data", "symmetric": False, "array": [hi - value], "arrayminus": [value - lo]}


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
    """One bar per segment (``segments_at`` rows, in their order) with its 95% interval as an error
    bar; a segment without an interval is drawn hollow, the reason on hover; one without the
    figure at all (none routed small, no cost) has no bar, and its label says why.

    Example:
        >>> frame = pl.DataFrame({"segment": ["chat", "search"], "share_small": [0.4, None],
        ...     "share_small_lo": [0.3, None], "share_small_hi": [0.5, None]})
        >>> list(segment_bars(frame, "share_small", "share_small_lo", "share_small_hi", title="x").data[0].y)
        ['chat', 'search (none)']
    """
    values = segments[value].to_list()
    # Segment values come from the logs: Plotly would render their <a>, <b>, <br> tags.
    names = [html.escape(str(v), quote=False) + ("" if x is not None else " (none)")
             for v, x in zip(segments["segment"].to_list(), values, strict=True)]
    his, los = segments[hi].to_list(), segments[lo].to_list()
    # No interval (too few sampled requests in the segment): no error bar rather than a fake one.
    above = [None if h is None or v is None else h - v for v, h in zip(values, his, strict=True)]
    below = [None if low is None or v is None else v - low for v, low in zip(values, los, strict=True)]
    rows = list(segments.iter_rows(named=True))
    hover = [("" if h is not None else no_interval_reason(row)) for row, h in zip(rows, his, strict=True)]
    solid = [h is not None for h in his]
    figure = go.Figure(go.Bar(
        x=values, y=names, orientation="h", name=title, customdata=hover,
        marker={"color": [LINE_COLOUR if s else "rgba(0,0,0,0)" for s in solid],
                "line": {"color": LINE_COLOUR, "width": 2}},
        error_x={"type": "data", "symmetric": False, "array": above, "arrayminus": below},
        hovertemplate=f"%{{y}}<br>{title} %{{x:{tickformat or ',.3~g'}}}<br>%{{customdata}}<extra></extra>",
    ))
    figure.update_layout(title={"text": title, "font": {"size": 14}}, xaxis_tickformat=tickformat,
                         height=120 + 40 * max(segments.height, 1), margin={"t": 40, "b": 10},
                         yaxis={"type": "category", "autorange": "reversed"})
    return figure


def spend_over_time(days: pl.DataFrame, *, large: str, small: str) -> go.Figure:
    """Spend a day, as the cost tools draw it: all traffic on the large model against routing at
    the chosen threshold (the large model for what stays, the small one for what is routed), from
    per-day ``segments_at`` rows (``segment`` the day). Dollars where the rows carry a price per
    GPU-hour, else GPU-hours. The band is the 95% interval of the day's saving: routed spend =
    all-large - saving.

    Example:
        >>> frame = pl.DataFrame({"segment": ["2026-11-01", "2026-11-02"], "gpu_hours_per_day": [1.0, 2.0],
        ...     "gpu_hours_always_large_per_day": [3.0, 4.0], "gpu_hours_saved_per_day": [2.0, 2.0],
        ...     "gpu_hours_saved_lo": [1.5, 1.0], "gpu_hours_saved_hi": [2.5, 3.0]})
        >>> [trace.name for trace in spend_over_time(frame, large="L", small="S").data]
        ['All on L', 'Routed: 95% interval', 'Routed (S + L)']
    """
    priced = "dollars_per_gpu_hour" in days.columns and days["dollars_per_gpu_hour"].drop_nulls().len() > 0
    if priced:  # one useful GPU-hour costs price / utilisation
        unit, saved, lo, hi = "dollars", "dollars_saved_per_day", "dollars_saved_per_day_lo", "dollars_saved_per_day_hi"
        always = pl.col("gpu_hours_always_large_per_day") * pl.col("dollars_per_gpu_hour") / pl.col("utilisation")
        rows = days.with_columns(always.alias("always"))
    else:
        unit, saved, lo, hi = "GPU-hours", "gpu_hours_saved_per_day", "gpu_hours_saved_lo", "gpu_hours_saved_hi"
        rows = days.with_columns(pl.col("gpu_hours_always_large_per_day").alias("always"))
    rows = rows.sort("segment").with_columns(
        (pl.col("always") - pl.col(saved)).alias("routed"), (pl.col("always") - pl.col(hi)).alias("routed_lo"),
        (pl.col("always") - pl.col(lo)).alias("routed_hi"))
    x = rows["segment"].to_list()
    figure = go.Figure([
        go.Scatter(x=x, y=rows["always"].to_list(), mode="lines+markers", name=f"All on {large}",
                   line={"color": PALETTE[1]}),
        go.Scatter(x=x + x[::-1], y=rows["routed_hi"].to_list() + rows["routed_lo"].to_list()[::-1],
                   fill="toself", fillcolor=BAND_COLOUR, line={"width": 0}, name="Routed: 95% interval",
                   hoverinfo="skip"),
        go.Scatter(x=x, y=rows["routed"].to_list(), mode="lines+markers", name=f"Routed ({small} + {large})",
                   line={"color": LINE_COLOUR}),
    ])
    figure.update_layout(yaxis_title=f"{unit} a day", xaxis_title="day", height=340, margin={"t": 30},
                         yaxis={"rangemode": "tozero", "tickprefix": "$" if unit == "dollars" else ""},
                         legend={"orientation": "h", "y": 1.12})
    return figure
