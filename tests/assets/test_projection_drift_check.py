"""The week-over-week alert runs in Dagster on a real warehouse: a fall in agreement at the
recommended threshold between two weeks of per-day projection rows warns, and never blocks."""

from datetime import date, datetime, timedelta

import dagster as dg
import polars as pl

from assets.projection import week_over_week_drift
from assets.resources import PlanBResource
from warehouse.db import insert_rows, writer

LAST = date(2026, 11, 14)
DAYS = [LAST - timedelta(days=n) for n in range(13, -1, -1)]


def _warehouse(data, agreement_at_half: dict[date, float]) -> None:
    """Per-day projection rows of one router (thresholds 0, 0.5, 1) and its metrics, with 0.5
    recommended window-wide."""
    rows, metrics = [], []
    for day, agree in agreement_at_half.items():
        for threshold, share, agreement, quality in ((0.0, 1.0, 0.5, 0.5), (0.5, 0.5, agree, 0.5 * agree + 0.5),
                                                     (1.0, 0.0, None, 1.0)):
            rows.append({"dataset": "pipeline", "router": "length", "segment_by": "day", "segment": day.isoformat(),
                         "threshold": threshold, "n_sample": 12, "requests_per_day": 100.0, "share_small": share,
                         "agreement_small": agreement, "quality": quality, "unchanged_share": quality,
                         "utilisation": 0.6})
        metrics.append({"dataset": "pipeline", "router": "length", "segment_by": "day", "segment": day.isoformat(),
                        "weak_quality": 0.5, "strong_quality": 1.0})
    metrics.append({"dataset": "pipeline", "router": "length", "segment_by": "all", "segment": "all",
                    "weak_quality": 0.5, "strong_quality": 1.0, "recommended_threshold": 0.5})
    common = {"cascade": False, "quality_measure": "agreement", "n_sample": 12, "agreement_target": 0.95,
              "computed_at": datetime(2026, 11, 15)}
    with writer(data) as con:
        insert_rows(con, "routing_projection", pl.DataFrame(rows))
        insert_rows(con, "router_metrics", pl.DataFrame([{**common, **m} for m in metrics]))


def _evaluate(evaluate_check, tmp_path, agreement_at_half) -> dg.AssetCheckEvaluation:
    data = tmp_path / "data"
    _warehouse(data, agreement_at_half)
    return evaluate_check(week_over_week_drift, PlanBResource(data_dir=str(data)))


def test_a_fall_in_agreement_warns(tmp_path, evaluate_check):
    evaluation = _evaluate(evaluate_check, tmp_path, {day: 0.9 if day < DAYS[7] else 0.8 for day in DAYS})
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.description == "length: agreement at threshold 0.50 fell 10.0 points (90.0% -> 80.0%)"


def test_steady_weeks_pass(tmp_path, evaluate_check):
    evaluation = _evaluate(evaluate_check, tmp_path, dict.fromkeys(DAYS, 0.9))
    assert evaluation.passed and "within the limits" in evaluation.description
