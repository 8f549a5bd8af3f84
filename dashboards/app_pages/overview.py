"""Overview page: what routing at the chosen threshold saves and how much answers change, the
same over days, and the recommended threshold with its reason."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import answer, data, figures
from dashboards.formatting import amount, dollars, interval, percent
from dashboards.tiles import GLOSSARY, metric_tiles
from dashboards.view import View, current_view, explain_missing

# (title, value column, interval columns, tick format) of the small daily trend charts.
TRENDS = [
    ("GPU-hours saved / day", "gpu_hours_saved_per_day", ("gpu_hours_saved_lo", "gpu_hours_saved_hi"), ""),
    ("Dollars saved / day", "dollars_saved_per_day", ("dollars_saved_per_day_lo", "dollars_saved_per_day_hi"), "$"),
    ("Routed to small model", "share_small", ("share_small_lo", "share_small_hi"), ".0%"),
    ("Agreement among routed small", "agreement_small", ("agreement_small_lo", "agreement_small_hi"), ".0%"),
]


def render(view: View) -> None:
    st.title("Overview")
    if explain_missing(view):
        return
    the_answer(view)
    at = data.projection_at(view, view.router, view.threshold)
    if at.is_empty():  # the router vanished from a newer snapshot between two reruns
        explain_missing(View(view.data_dir, view.version))
        return
    row = at.row(0, named=True)
    imported = view.imported
    st.caption(
        f"Below, the sidebar's choice on dataset **{view.dataset}**: router **{row['router']}** at threshold "
        f"{row['threshold']:.2f} (the projected threshold "
        f"nearest {view.threshold:.2f}) · {row['n_sample']:,} {'imported pairs' if imported else 'replayed requests'} · "
        f"{row['requests_per_day']:,.0f} {'requests a day (each pair once a day)' if imported else 'logged requests a day'}"
        f" · {cost_basis(row)} · intervals are 95%"
    )
    metric_tiles(row)
    with st.expander("What the quality figures mean"):
        st.markdown("\n".join(f"- **{name}**: {text}" for name, text in GLOSSARY.items()))
    _recommendation(view)
    st.subheader("Over days")
    days = data.segments_at(view, view.router, view.threshold, "day")
    if days.height:
        for slot, (title, value, (lo, hi), ticks) in zip(st.columns(len(TRENDS)), TRENDS, strict=True):
            with slot:
                st.plotly_chart(figures.daily_trend(days, value, lo, hi, title=title, tickformat=ticks),
                                key=f"trend_{value}")
    else:
        st.caption("No per-day projection in this snapshot.")
    st.subheader("Savings against agreement")
    curve = data.projection(view, view.router)
    st.plotly_chart(figures.savings_vs_agreement(curve, current_threshold=row["threshold"]),
                    key="savings_vs_agreement")


def the_answer(view: View) -> None:
    """The one sentence the page opens with: the dataset's best certified router at its recommended
    threshold (else the best candidate and what certifying it takes), whatever the sidebar shows."""
    evidence = data.dataset_evidence(view)
    mine = evidence.filter(pl.col("dataset") == view.dataset)
    if mine.is_empty():
        return
    dataset = mine.row(0, named=True)
    metrics = data.recommendations(view)
    router, certified = answer.best_router(metrics)
    recommendation = row = None
    if router is not None:
        recommendation = metrics.filter(pl.col("router") == router).row(0, named=True)
        row = (_first(data.projection_at(view, router, recommendation["recommended_threshold"])) if certified
               else answer.candidate_row(data.projection(view, router)))
    others = [name for name in evidence["dataset"].to_list() if name != view.dataset]
    sentence = answer.answer(dataset, recommendation, row, certified=certified, others=others)
    box = st.success if certified and not dataset["toy"] else st.warning if dataset["toy"] else st.info
    box(sentence)
    if row is not None and (router != view.router or abs(row["threshold"] - view.threshold) > 0.005):
        st.button(f"Show {router} at {row['threshold']:.2f} below", on_click=_choose,
                  args=(router, round(row["threshold"], 2)), key="use_answer")


def _first(frame: pl.DataFrame) -> dict | None:
    return frame.row(0, named=True) if frame.height else None


def _choose(router: str, threshold: float) -> None:
    st.session_state["router"] = router
    st.session_state["threshold"] = threshold


def cost_basis(row: dict) -> str:
    """Where the dollars come from, for captions."""
    if row.get("dollars_per_gpu_hour") is None:
        if not row.get("device"):  # an imported set priced per request
            return f"costs as imported ({row['price_note']})" if row.get("price_note") else "costs as imported"
        return f"costs measured on {row['device']}" + (f" ({row['price_note']})" if row.get("price_note") else "")
    return (f"costs measured on {row['device']}, ${row['dollars_per_gpu_hour']:,.4g} per GPU-hour at "
            f"{row['utilisation']:.0%} utilisation")


def _recommendation(view: View) -> None:
    metrics = data.recommendations(view)
    mine = metrics.filter(metrics["router"] == view.router)
    if mine.is_empty():
        return
    rec = mine.row(0, named=True)
    if rec["recommended_threshold"] is None:
        st.warning(f"**No recommended threshold for {view.router}.** "
                   + (f"{rec['note'][:1].upper()}{rec['note'][1:]}. " if rec.get("note") else "")
                   + guarantee_text(rec))
        return
    measure = rec.get("gate_measure") or "agreement"
    kept = "" if measure == "agreement" or rec.get("kept_small") is None else (
        f"{measure} among them {percent(rec['kept_small'])} (p = {rec['kept_p_value']:.3f}), ")
    st.success(
        f"**Recommended threshold for {view.router}: {rec['recommended_threshold']:.2f}.** It saves the most "
        f"of the thresholds certified to keep {measure} among requests routed small at or above "
        f"{percent(rec['agreement_target'])}: {percent(rec['share_small'])} of requests routed small, {kept}"
        f"agreement {percent(rec['agreement_small'])} "
        f"{interval(rec['agreement_small_lo'], rec['agreement_small_hi'], percent) or ''}, "
        f"{amount(rec['gpu_hours_saved_per_day'])} GPU-hours a day and {dollars(rec['dollars_saved_per_year'])} "
        f"a year saved. " + guarantee_text(rec)
    )
    if abs(rec["recommended_threshold"] - view.threshold) > 0.005:
        st.button("Use the recommended threshold", on_click=_set_threshold,
                  args=(round(rec["recommended_threshold"], 2),))


def guarantee_text(rec: dict) -> str:
    """The recommendation's guarantee and its sample-size cost, from a ``recommendations`` row.

    Example:
        >>> guarantee_text({"gate_measure": "agreement", "agreement_target": 0.95, "recommendation_risk": 0.05,
        ...                 "certify_min_routed": 59.0, "certifiable_share_small": 0.62})[:60]
        'The guarantee: agreement among requests routed small at or a'
    """
    measure, risk = rec.get("gate_measure") or "agreement", rec.get("recommendation_risk") or 0.05
    text = (f"The guarantee: {measure} among requests routed small at or above {percent(rec['agreement_target'])} "
            f"fails in at most {risk:.0%} of samples (each threshold tested from the strictest down, stopping at "
            f"the first that fails: learn-then-test).")
    if rec.get("certify_min_routed") is not None:
        text += (f" Its sample-size cost: certifying takes about {rec['certify_min_routed']:.0f} scored requests "
                 "routed small, all keeping quality (more when some do not)")
        share = rec.get("certifiable_share_small")
        text += (f"; with this sample the smallest share routed small that can be certified is {percent(share)}."
                 if share is not None else "; no threshold of this sample routes that many.")
    return text


def _set_threshold(value: float) -> None:
    st.session_state["threshold"] = value


if __name__ == "__main__":
    render(current_view())
