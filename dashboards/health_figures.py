"""Pure Plotly figure builders of the Data health page: frames in, ``go.Figure`` out."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

ACCEPTED_COLOUR = "rgb(31, 119, 180)"
REJECTED_COLOUR = "rgb(214, 39, 40)"

# (column of health_days, legend name) of the per-day stage bars, in pipeline order.
STAGES = [
    ("sampled", "Sampled"),
    ("replayed_small", "Replayed (small)"),
    ("replayed_large", "Replayed (large)"),
    ("scored", "Scored (agreement)"),
]


def _days(frame: pl.DataFrame) -> list[str]:
    # Dates as text: a category axis shows every day, including those with nothing.
    return [str(day) for day in frame["day"].to_list()]


def _layout(figure: go.Figure, y_title: str) -> go.Figure:
    figure.update_layout(
        xaxis={"title": "Day (UTC)", "type": "category"}, yaxis_title=y_title,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}, margin={"t": 40},
    )
    return figure


def logged_and_rejected(days: pl.DataFrame) -> go.Figure:
    """Accepted and rejected log rows per day, stacked: a day with no bar is a missing partition.

    ``days`` holds ``health_days`` rows. Rejected rows without a readable day are not here.

    Example:
        >>> from datetime import date
        >>> frame = pl.DataFrame({"day": [date(2026, 11, 1), date(2026, 11, 2)],
        ...     "logged_rows": [70, 0], "rejected_rows": [1, 0]})
        >>> [(t.name, list(t.y)) for t in logged_and_rejected(frame).data]
        [('Accepted', [70, 0]), ('Rejected', [1, 0])]
    """
    x = _days(days)
    figure = go.Figure([
        go.Bar(x=x, y=days["logged_rows"].to_list(), name="Accepted", marker_color=ACCEPTED_COLOUR),
        go.Bar(x=x, y=days["rejected_rows"].to_list(), name="Rejected", marker_color=REJECTED_COLOUR),
    ])
    figure.update_layout(barmode="stack")
    return _layout(figure, "Log rows")


def stage_counts(days: pl.DataFrame) -> go.Figure:
    """Requests per day at each stage after ingestion: sampled, replayed by each model, scored.
    Bars of one day at different heights show a stage that did not finish.

    Example:
        >>> from datetime import date
        >>> frame = pl.DataFrame({"day": [date(2026, 11, 1)], "sampled": [12],
        ...     "replayed_small": [12], "replayed_large": [11], "scored": [11]})
        >>> [t.name for t in stage_counts(frame).data]
        ['Sampled', 'Replayed (small)', 'Replayed (large)', 'Scored (agreement)']
    """
    x = _days(days)
    figure = go.Figure([go.Bar(x=x, y=days[column].to_list(), name=name) for column, name in STAGES])
    figure.update_layout(barmode="group")
    return _layout(figure, "Requests")
