"""Week-over-week drift of a router: agreement among requests routed small at its recommended
threshold, and CPT(80%), over the last 7 days of the window against the 7 days before.

Both weeks are built from the projection's per-day rows (segment ``day``), so no replay or
bootstrap is redone. Per day d and threshold t the rows hold the share routed small s_d(t), the
agreement among them a_d(t), the quality of all answers q_d(t) (the unchanged share) and the
day's logged requests N_d. A week's figures are the population-weighted sums:

- agreement(t) = sum_d a_d(t) s_d(t) N_d / sum_d s_d(t) N_d  (the weighted estimator over the
  week's sample, exactly: s_d N_d and a_d s_d N_d are the day's weighted counts);
- quality(t) = sum_d q_d(t) N_d / sum_d N_d, and the same for the share routed small and for
  always-small and always-large quality; CPT(80%) then follows from that curve as RouteLLM
  defines it (scoring/routing/metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from scoring.routing.metrics import (
    call_performance_threshold,
    performance_gap_recovered,
)

WEEK = 7


@dataclass(frozen=True)
class Week:
    first: date
    last: date
    days: int  # days of the window with rows in this week
    agreement: float | None  # at the recommended threshold; None without one or with nothing routed small
    cpt80: float | None  # strong-call share reaching 80% of the quality gap; None when the gap is not positive


@dataclass(frozen=True)
class Drift:
    router: str
    this_week: Week
    last_week: Week
    agreement_drop_points: float | None  # last week's agreement - this week's, in percentage points
    cpt80_move_points: float | None  # this week's CPT(80%) - last week's, in percentage points
    alerts: tuple[str, ...]


def _week(rows: pl.DataFrame, metrics: pl.DataFrame, first: date, last: date, recommended: float | None) -> Week:
    """A week's figures from one router's per-day projection rows and per-day metrics."""
    days = rows.filter(pl.col("day").is_between(first, last))
    base = metrics.filter(pl.col("day").is_between(first, last))
    if days.is_empty():
        return Week(first, last, 0, None, None)
    agreement = None
    if recommended is not None:
        at = days.filter((pl.col("threshold") - recommended).abs() < 1e-9)
        routed = (at["share_small"] * at["requests_per_day"]).sum()
        if routed > 0:
            agreed = (at["agreement_small"].fill_null(0.0) * at["share_small"] * at["requests_per_day"]).sum()
            agreement = float(agreed / routed)
    curve = (days.group_by("threshold")
             .agg(share_small=(pl.col("share_small") * pl.col("requests_per_day")).sum() / pl.col("requests_per_day").sum(),
                  quality=(pl.col("quality") * pl.col("requests_per_day")).sum() / pl.col("requests_per_day").sum())
             .sort("threshold"))
    requests = base["requests_per_day"]
    weak = float((base["weak_quality"] * requests).sum() / requests.sum())
    strong = float((base["strong_quality"] * requests).sum() / requests.sum())
    pgr = performance_gap_recovered(curve["quality"].to_numpy()[:, None], np.array([[weak]]), np.array([[strong]]))
    cpt = call_performance_threshold(curve["share_small"].to_numpy()[:, None], pgr, 0.8)[0]
    return Week(first, last, days["day"].n_unique(), agreement, None if np.isnan(cpt) else float(cpt))


def week_over_week(rows: pl.DataFrame, metrics: pl.DataFrame, recommended: dict[str, float | None], *,
                   last_day: date, max_agreement_drop_points: float, max_cpt80_move_points: float) -> list[Drift]:
    """Per router, this week (the 7 days up to ``last_day``) against the 7 before.

    ``rows``: day, router, threshold, share_small, agreement_small, quality, requests_per_day (the
    projection's per-day rows); ``metrics``: day, router, weak_quality, strong_quality,
    requests_per_day; ``recommended``: each router's window-wide recommended threshold.

    Example:
        >>> drifts = week_over_week(rows, metrics, {"length": 0.4}, last_day=date(2026, 11, 14),
        ...                         max_agreement_drop_points=5, max_cpt80_move_points=10)  # doctest: +SKIP
        >>> drifts[0].alerts  # doctest: +SKIP
        ('agreement at threshold 0.40 fell 12.0 points (91.0% -> 79.0%)',)
    """
    this_first = last_day - timedelta(days=WEEK - 1)
    last_first, last_last = this_first - timedelta(days=WEEK), this_first - timedelta(days=1)
    drifts = []
    for router in sorted(rows["router"].unique()):
        mine, base = rows.filter(pl.col("router") == router), metrics.filter(pl.col("router") == router)
        threshold = recommended.get(router)
        now = _week(mine, base, this_first, last_day, threshold)
        before = _week(mine, base, last_first, last_last, threshold)
        drop = (None if now.agreement is None or before.agreement is None
                else 100 * (before.agreement - now.agreement))
        move = None if now.cpt80 is None or before.cpt80 is None else 100 * (now.cpt80 - before.cpt80)
        alerts = []
        if drop is not None and drop > max_agreement_drop_points:
            alerts.append(f"agreement at threshold {threshold:.2f} fell {drop:.1f} points "
                          f"({before.agreement:.1%} -> {now.agreement:.1%})")
        if move is not None and abs(move) > max_cpt80_move_points:
            alerts.append(f"CPT(80%) moved {move:+.1f} points ({before.cpt80:.1%} -> {now.cpt80:.1%})")
        drifts.append(Drift(router, now, before, drop, move, tuple(alerts)))
    return drifts
