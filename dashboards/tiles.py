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
    # The figure the recommendation is certified on: with human reviews, its 95% interval (the
    # betting test inverted); on automatic labels alone none (their errors are unknown).
    ("Quality kept among routed small", "kept_small", ("kept_small_lo", "kept_small_hi"), percent),
]

# One name and one definition for each quality figure (issue 24): shown on the Overview.
GLOSSARY = {
    "Agreement among routed small": (
        "Of the requests routed to the small model, the share whose small answer agrees with the large "
        "model's: the agreement rule's label (metrics, embedding, judge) for the pipeline's replay; for an "
        "imported set, the small answer graded at least as good as the large one."),
    "Quality kept among routed small": (
        "The figure the recommendation is certified on: over the requests routed small, the mean of 1 - "
        "max(0, large answer's quality - small answer's quality), so 100% when the small answer is never "
        "worse. On the pipeline's replay quality is the agree label and this equals agreement; on an imported "
        "set it uses the grades, so a slightly worse answer loses a little, not everything."),
    "Answers unchanged": (
        "Over all requests, the share answered as well as by the large model alone: those routed large plus "
        "those routed small that agree, 1 - routed small x (1 - agreement)."),
}


DOLLARS_PER_DAY = ("Dollars saved / day", "dollars_saved_per_day",
                   ("dollars_saved_per_day_lo", "dollars_saved_per_day_hi"), dollars)


def shown_metrics(row: dict, metrics: list = METRICS) -> list:
    """``metrics`` for ``row``: a set priced per request (hosted models) has no GPU-hours, so its
    GPU-hour tiles give way to dollars a day rather than showing a dash.

    Example:
        >>> hosted = {"gpu_hours_saved_per_day": None, "dollars_saved_per_day": 1.5}
        >>> [m[0] for m in shown_metrics(hosted)][:2]
        ['Dollars saved / day', 'Dollars saved / month']
        >>> [m[0] for m in shown_metrics({"gpu_hours_saved_per_day": 2.0})][0]
        'GPU-hours saved / day'
    """
    if row.get("gpu_hours_saved_per_day") is not None or row.get("dollars_saved_per_day") is None:
        return metrics
    kept = [m for m in metrics if not m[1].startswith("gpu_hours")]
    return kept if any(m[1] == "dollars_saved_per_day" for m in kept) else [DOLLARS_PER_DAY, *kept]


def metric_tiles(row: dict, metrics: list = METRICS, *, columns: int = 4) -> None:
    """One bordered ``st.metric`` a figure, its 95% interval underneath."""
    slots = st.columns(columns)
    for index, (label, column, (lo, hi), fmt) in enumerate(shown_metrics(row, metrics)):
        with slots[index % columns]:
            st.metric(label, fmt(row.get(column)), delta=interval(row.get(lo), row.get(hi), fmt),
                      delta_color="off", delta_arrow="off", border=True, help=GLOSSARY.get(label))
