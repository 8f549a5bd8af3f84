"""Week-over-week drift from the projection's per-day rows: the weekly figures are the
population-weighted ones, and an alert fires only past the configured limits."""

from datetime import date, timedelta

import polars as pl
import pytest

from scoring.projection.drift import week_over_week

LAST = date(2026, 11, 14)
DAYS = [LAST - timedelta(days=n) for n in range(13, -1, -1)]  # two full weeks


def _frames(agreement_at_half: dict[date, float], requests: dict[date, float] | None = None,
            always_small: float = 0.5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One router, thresholds 0 (all small), 0.5 (half small) and 1 (all large) per day; the
    small answers agree with the large ones at ``always_small`` overall, at the given rate among
    the half routed small."""
    requests = requests or dict.fromkeys(agreement_at_half, 100.0)
    rows, metrics = [], []
    for day, agree in agreement_at_half.items():
        n = requests[day]
        rows += [
            {"day": day, "router": "length", "threshold": 0.0, "share_small": 1.0, "agreement_small": always_small,
             "quality": always_small, "requests_per_day": n},
            {"day": day, "router": "length", "threshold": 0.5, "share_small": 0.5, "agreement_small": agree,
             "quality": 0.5 * agree + 0.5, "requests_per_day": n},
            {"day": day, "router": "length", "threshold": 1.0, "share_small": 0.0, "agreement_small": None,
             "quality": 1.0, "requests_per_day": n},
        ]
        metrics.append({"day": day, "router": "length", "weak_quality": always_small, "strong_quality": 1.0,
                        "requests_per_day": n})
    return pl.DataFrame(rows), pl.DataFrame(metrics)


def _drift(agreement_at_half, requests=None, *, drop=5.0, move=10.0):
    rows, metrics = _frames(agreement_at_half, requests)
    (drift,) = week_over_week(rows, metrics, {"length": 0.5}, last_day=LAST,
                              max_agreement_drop_points=drop, max_cpt80_move_points=move)
    return drift


def test_a_steady_router_raises_nothing():
    drift = _drift(dict.fromkeys(DAYS, 0.9))
    assert drift.alerts == ()
    assert drift.agreement_drop_points == pytest.approx(0.0)
    assert drift.this_week.cpt80 == drift.last_week.cpt80 == pytest.approx(0.5)  # PGR 0.9 at half large


def test_a_fall_in_agreement_past_the_limit_alerts():
    drift = _drift({day: 0.9 if day < DAYS[7] else 0.82 for day in DAYS})
    assert drift.agreement_drop_points == pytest.approx(8.0)
    assert [a for a in drift.alerts if a.startswith("agreement")] == [
        "agreement at threshold 0.50 fell 8.0 points (90.0% -> 82.0%)"]
    assert _drift({day: 0.9 if day < DAYS[7] else 0.82 for day in DAYS}, drop=10.0).alerts == ()


def test_a_cpt80_move_past_the_limit_alerts():
    # This week the half routed small agree less: PGR at half large falls to 0.7 < 0.8, so only
    # always-large reaches 80% of the gap: CPT(80%) 50% -> 100%.
    drift = _drift({day: 0.9 if day < DAYS[7] else 0.7 for day in DAYS}, drop=100.0)
    assert drift.cpt80_move_points == pytest.approx(50.0)
    assert drift.alerts == ("CPT(80%) moved +50.0 points (50.0% -> 100.0%)",)


def test_weekly_agreement_weights_each_day_by_its_requests():
    agreement = {day: (0.6 if n % 2 else 1.0) for n, day in enumerate(DAYS)}
    requests = {day: (300.0 if n % 2 else 100.0) for n, day in enumerate(DAYS)}
    drift = _drift(agreement, requests)
    this_week = DAYS[7:]
    expected = (sum(agreement[d] * 0.5 * requests[d] for d in this_week)
                / sum(0.5 * requests[d] for d in this_week))
    assert drift.this_week.agreement == pytest.approx(expected)
    assert drift.this_week.agreement != pytest.approx(sum(agreement[d] for d in this_week) / 7)


def test_one_week_of_history_compares_nothing():
    drift = _drift({day: 0.9 for day in DAYS[7:]})
    assert drift.last_week.days == 0 and drift.agreement_drop_points is None and drift.alerts == ()
