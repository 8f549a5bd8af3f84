"""The answer in one sentence (issue 24): for the selected dataset, which router to use at which
threshold, what it saves and keeps, how sure that is, and, when nothing is certified yet, what it
takes to certify the best candidate, as a setting and a number of days (or of reviewed pairs).

Pure functions of the dashboard's frames, no Streamlit, so the sentence is tested as text.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy import special

from dashboards.formatting import dollars, interval, percent

ORACLE = "oracle"  # an upper bound no deployment has: never the answer
RISK = 0.05  # the recommendation's risk when a snapshot does not say (before migration 014)
MAX_REQUESTS = 10_000_000  # beyond this, "certifying takes more than ten million"


def best_router(recommendations: pl.DataFrame) -> tuple[str | None, bool]:
    """(router, certified): the certified router saving the most at its recommended threshold,
    else the best candidate by the measured trade-off of quality against savings (APGR, the
    average share of the quality gap it recovers over every share routed small; then AUC).

    Example:
        >>> recs = pl.DataFrame({"router": ["a", "b", "oracle"], "recommended_threshold": [None, 0.4, 0.5],
        ...     "dollars_saved_per_year": [None, 10.0, 99.0], "gpu_hours_saved_per_day": [None, 1.0, 9.0],
        ...     "apgr": [0.7, 0.5, 1.0], "auc": [0.6, 0.5, 1.0]})
        >>> best_router(recs), best_router(recs.filter(pl.col("router") != "b"))
        (('b', True), ('a', False))
    """
    real = recommendations.filter(pl.col("router") != ORACLE)
    certified = real.filter(pl.col("recommended_threshold").is_not_null())
    if certified.height:
        ranked = certified.sort(["dollars_saved_per_year", "gpu_hours_saved_per_day", "router"],
                                descending=[True, True, False], nulls_last=True)
        return ranked["router"][0], True
    if real.is_empty():
        return None, False
    ranked = real.sort(["apgr", "auc", "router"], descending=[True, True, False], nulls_last=True)
    return ranked["router"][0], False


def candidate_row(curve: pl.DataFrame) -> dict | None:
    """Of one router's projection, the threshold the certification starts from: the strictest with
    enough requests routed small to be tested (``kept_p_value`` set); when none has, the one routing
    the most scored requests small; None without any.

    Example:
        >>> curve = pl.DataFrame({"threshold": [0.1, 0.5, 0.9], "kept_p_value": [0.2, 0.6, None]})
        >>> candidate_row(curve)["threshold"]
        0.5
    """
    if "kept_p_value" not in curve.columns:
        return None
    tested = curve.filter(pl.col("kept_p_value").is_not_null()).sort("threshold")
    if tested.height:
        return tested.row(-1, named=True)
    # Too few routed small to test any threshold: the one routing the most scored requests small.
    scored = curve.filter(pl.col("kept_small").is_not_null()).sort(["n_routed_small", "threshold"])
    return scored.row(-1, named=True) if scored.height else None


def p_value(kept: float, n: float, target: float, *, binary: bool) -> float:
    """The p-value the projection's test gives a kept share over ``n`` effective requests routed
    small (``scoring.routing.metrics``: the exact binomial test for 0 / 1 quality, else
    Hoeffding-Bentkus), recomputed here (the dashboard imports no scoring).

    Example:
        >>> round(p_value(1.0, 59, 0.95, binary=True), 4), round(p_value(1.0, 59, 0.95, binary=False), 4)
        (0.0485, 0.0485)
    """
    if binary:
        x = kept * n
        return 1.0 if x <= 0 else float(special.betainc(max(x, 1e-300), max(n - x, 0.0) + 1.0, target))
    n = math.floor(n + 1e-9)
    if n <= 0:
        return 1.0
    loss, bound = 1.0 - kept, 1.0 - target
    a = min(loss, bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        h1 = float(special.xlogy(a, a / bound) + special.xlogy(1.0 - a, (1.0 - a) / (1.0 - bound)))
    k = math.ceil(n * loss - 1e-9)
    bentkus = math.e * (1.0 if k >= n else float(special.betainc(max(n - k, 1e-300), k + 1.0, 1.0 - bound)))
    return min(math.exp(-n * h1), bentkus, 1.0)


def requests_to_certify(kept: float, target: float, *, binary: bool, risk: float = RISK) -> int | None:
    """The fewest effective requests routed small at which a kept share ``kept`` (as measured)
    passes the test at ``risk``; None when it cannot (kept at or below the target).

    Example:
        >>> requests_to_certify(1.0, 0.95, binary=True), requests_to_certify(0.9, 0.95, binary=True)
        (59, None)
        >>> requests_to_certify(0.973, 0.95, binary=False) > requests_to_certify(0.973, 0.95, binary=True)
        True
    """
    if kept is None or not kept > target:
        return None
    high = 1
    while p_value(kept, high, target, binary=binary) > risk:
        high *= 2
        if high > MAX_REQUESTS:
            return None
    low = high // 2  # fails (or 0); high passes
    while high - low > 1:
        middle = (low + high) // 2
        if p_value(kept, middle, target, binary=binary) > risk:
            low = middle
        else:
            high = middle
    return high


def gate_name(gate_measure: str | None) -> str:
    """The figure that gates the recommendation, as the glossary names it.

    Example:
        >>> gate_name("agreement"), gate_name("quality kept (imported quality scores)")
        ('agreement among requests routed small', 'quality kept among requests routed small')
    """
    if not gate_measure or gate_measure == "agreement":
        return "agreement among requests routed small"
    return "quality kept among requests routed small"


def saving(row: dict) -> str:
    """'save $X a year [lo – hi]' (or 'cost $X more'), in dollars, else GPU-hours a day.

    Example:
        >>> saving({"dollars_saved_per_year": 510.6, "dollars_saved_per_year_lo": 405.2,
        ...         "dollars_saved_per_year_hi": 611.3})
        'save $511 a year [$405 – $611]'
        >>> saving({"dollars_saved_per_year": -26.1, "dollars_saved_per_year_lo": -31.6,
        ...         "dollars_saved_per_year_hi": -20.9})
        'cost $26.10 more a year [$20.90 – $31.60]'
    """
    value, lo, hi, unit, fmt = (row.get("dollars_saved_per_year"), row.get("dollars_saved_per_year_lo"),
                                row.get("dollars_saved_per_year_hi"), "a year", dollars)
    if value is None:
        value, lo, hi, unit = (row.get("gpu_hours_saved_per_day"), row.get("gpu_hours_saved_lo"),
                               row.get("gpu_hours_saved_hi"), "GPU-hours a day")
        fmt = _hours
    if value is None:
        return "save an unknown amount (no cost recorded)"
    verb = "save" if value >= 0 else "cost"
    if value < 0:  # "cost $26 more a year [$21 – $32]": the interval of what it costs
        value, lo, hi = -value, None if hi is None else -hi, None if lo is None else -lo
    span = interval(lo, hi, fmt)
    shown = fmt(value) + ("" if verb == "save" else " more")
    return f"{verb} {shown} {unit}" + (f" {span}" if span else " (no interval: too few sampled requests)")


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.3g}"


def answer(dataset: dict, recommendation: dict | None, row: dict | None, *, certified: bool,
           others: list[str] = ()) -> str:
    """The Overview's opening sentence (Markdown) for one dataset.

    ``dataset``: its ``dataset_evidence`` row; ``recommendation``: the chosen router's
    ``recommendations`` row; ``row``: its projection at the recommended threshold (certified) or
    at the strictest tested one (a candidate); ``others``: the other datasets, named when this one
    is a toy.
    """
    small = f"**{dataset['small_model']}**" if dataset.get("small_model") else "the small model"
    lead = ""
    if dataset.get("toy"):
        pair = (f" ({dataset['small_model']} and {dataset['large_model']})"
                if dataset.get("small_model") and dataset.get("large_model") else "")
        lead = (f"**This is the toy pair**{pair}: the tiny models bundled with Plan B, replayed here to show the "
                "flow works; they are not expected to save anything. ")
        if others:
            lead += f"A real pair is one pick away: **{', '.join(others)}** in the sidebar's Dataset. "
    if recommendation is None or row is None:
        return lead + "No router of this dataset has a projection to answer with yet."
    router, threshold = recommendation["router"], row["threshold"]
    target = recommendation.get("agreement_target") or 0.95
    risk = recommendation.get("recommendation_risk") or RISK
    gate = gate_name(recommendation.get("gate_measure"))
    volume = f"at {row['requests_per_day']:,.0f} requests a day" if row.get("requests_per_day") else ""
    if certified:
        return lead + (
            f"**Route {percent(row['share_small'])} of requests to {small} with {router} at {threshold:.2f}: "
            f"{saving(row)} {volume}; {gate} ≥ {target:.0%}** (a guarantee that fails in at most {risk:.0%} "
            "of samples).")
    kept = row.get("kept_small")
    text = (f"**Nothing is certified yet.** The best candidate is **{router} at {threshold:.2f}**: it would route "
            f"{percent(row['share_small'])} of requests to {small} and {saving(row)} {volume}, with {gate} "
            f"{percent(kept)} {kept_basis(row)} (the target is ≥ {target:.0%}"
            + (f", p = {row['kept_p_value']:.2f} > {risk:.2f}" if row.get("kept_p_value") is not None else "")
            + "). ")
    return lead + text + to_certify(dataset, recommendation, row)


def kept_basis(row: dict) -> str:
    """What the kept figure rests on (routing_projection.kept_source), in words, with what the
    automatic labels alone say beside an estimate corrected by reviews.

    Example:
        >>> kept_basis({"kept_source": "predictions and reviews", "kept_reviews": 40, "kept_small_lo": 0.9,
        ...             "kept_small_hi": 0.97, "kept_without_reviews": 0.99})
        'estimated from the automatic labels corrected by 40 human reviews [90.0% – 97.0%]; the labels alone say 99.0%'
        >>> kept_basis({"kept_source": "predictions"})
        'measured on the automatic labels alone (no human review routed small)'
    """
    source, reviews = row.get("kept_source"), row.get("kept_reviews") or 0
    stand_in = source is not None and "stand-in" in source
    who = (f"{reviews:,} of the imported grades standing in for human reviews (a demo of the loop)" if stand_in
           else f"{reviews:,} human reviews")
    interval = (f" [{percent(row['kept_small_lo'])} – {percent(row['kept_small_hi'])}]"
                if row.get("kept_small_lo") is not None and row.get("kept_small_hi") is not None else "")
    alone = (f"; the labels alone say {percent(row['kept_without_reviews'])}"
             if row.get("kept_without_reviews") is not None else "")
    if source in ("predictions and reviews", "predictions and stand-in reviews"):
        return f"estimated from the automatic labels corrected by {who}{interval}{alone}"
    if source in ("reviews", "stand-in reviews"):
        return f"estimated from {who}{interval}{alone}"
    if source == "predictions":
        return "measured on the automatic labels alone (no human review routed small)"
    return "measured"


def to_certify(dataset: dict, recommendation: dict, row: dict) -> str:
    """What certifying the candidate takes: effective requests routed small, then as days at the
    configured sample rate and a ``sample.per_day`` setting (the pipeline) or as more reviewed
    pairs (an imported set).

    Example:
        >>> to_certify({"days": 7, "sampled_per_day": 12.0, "n_sample": 84},
        ...            {"agreement_target": 0.95, "gate_measure": "agreement"},
        ...            {"kept_small": 1.0, "n_routed_small": 20, "threshold": 0.9})[:71]
        'Certifying it takes about 59 scored requests routed small at 0.90 (20 n'
    """
    target = recommendation.get("agreement_target") or 0.95
    risk = recommendation.get("recommendation_risk") or RISK
    binary = (recommendation.get("gate_measure") or "agreement") == "agreement"
    kept, routed = row.get("kept_small"), row.get("n_routed_small") or 0
    if row.get("reviews_to_certify") is not None:  # the projection's own count, for the reviewed estimate
        return (f"Certifying it takes about **{row['reviews_to_certify']:,} more human reviews** (drawn as the review "
                f"sample draws them), if they look like the {row.get('kept_reviews') or 0:,} so far: the Review page.")
    if kept is not None and kept <= target:
        return (f"It cannot be certified at {row['threshold']:.2f} however large the sample: it keeps "
                f"{percent(kept)}, below the {target:.0%} target. It takes a router that ranks better or a "
                "small model that agrees more often.")
    need = requests_to_certify(kept if kept is not None else 1.0, target, binary=binary, risk=risk)
    if need is None:
        return "Certifying it takes more than ten million scored requests routed small."
    text = (f"Certifying it takes about {need:,} scored requests routed small at {row['threshold']:.2f} "
            f"({routed:,} now), if they keep quality as these do")
    n_sample = dataset.get("n_sample") or 0
    if not routed or not n_sample:
        return text + "."
    scale = max(need / routed, 1.0)
    more = math.ceil(n_sample * (scale - 1.0))
    if not dataset.get("days"):
        return text + f": review about {more:,} more pairs ({math.ceil(n_sample * scale):,} in all) and import them."
    per_day = dataset.get("sampled_per_day") or n_sample / dataset["days"]
    more_days = math.ceil(more / per_day)
    setting = math.ceil(per_day * scale)
    return text + (f": about **{more_days:,} more days** at the configured {per_day:,.0f} sampled requests a day, "
                   f"or set **`sample.per_day: {setting:,}`** to certify it over {dataset['days']} days.")
