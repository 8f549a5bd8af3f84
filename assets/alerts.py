"""The week-over-week alert on routing_projection: it warns (never blocks) when agreement at a
router's recommended threshold falls, or its CPT(80%) moves, by more than the `alerts` limits
between the 7 days before and the last 7 days of the window (scoring/projection/drift.py)."""

from datetime import timedelta

import dagster as dg
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import markdown_preview
from assets.resources import PlanBResource
from scoring.projection.drift import WEEK, week_over_week
from warehouse.check_queries import week_over_week_inputs
from warehouse.keys import PIPELINE
from warehouse.db import writer


def _table(drifts) -> pl.DataFrame:
    return pl.DataFrame([{
        "router": d.router, "this_week": f"{d.this_week.first}..{d.this_week.last}",
        "agreement": d.this_week.agreement, "agreement_week_before": d.last_week.agreement,
        "cpt80": d.this_week.cpt80, "cpt80_week_before": d.last_week.cpt80, "alert": "; ".join(d.alerts),
    } for d in drifts])


@dg.asset_check(asset="routing_projection", pool=WRITER_POOL,
                description="week over week, per router: agreement among requests routed small at the "
                "recommended threshold falls by at most alerts.max_agreement_drop_points, and CPT(80%) "
                "moves by at most alerts.max_cpt80_move_points (last 7 days of the window against the 7 before)")
def week_over_week_drift(planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    with writer(cfg.data_dir) as con:
        inputs = week_over_week_inputs(con, PIPELINE)
    rows = inputs["rows"]
    if rows.is_empty():
        return dg.AssetCheckResult(passed=True, description="no per-day projection rows yet")
    last_day = rows["day"].max()
    drifts = week_over_week(rows, inputs["metrics"], inputs["recommended"], last_day=last_day,
                            max_agreement_drop_points=cfg.alerts.max_agreement_drop_points,
                            max_cpt80_move_points=cfg.alerts.max_cpt80_move_points)
    alerts = [f"{d.router}: {alert}" for d in drifts for alert in d.alerts]
    compared = [d for d in drifts if d.last_week.days and d.this_week.days]
    if alerts:
        description = "; ".join(alerts)
    elif not compared:
        first = last_day - timedelta(days=WEEK - 1)
        description = f"nothing to compare yet: the window has no day in the {WEEK} days before {first}"
    else:
        description = f"{len(compared)} routers within the limits, week to {last_day}"
    return dg.AssetCheckResult(passed=not alerts, severity=dg.AssetCheckSeverity.WARN, description=description,
                               metadata={"week_over_week": markdown_preview(_table(drifts)),
                                         "alerts": len(alerts)})
