"""Stage 5, projection: cost_models and routing_projection (with router_metrics), the whole window
at once, and the checks that guard them: the cost models' fit, the projection's ranges, the
interval width and the certified recommendation (impossible values block, so the snapshot keeps
the last good state; a poor fit or a too-wide interval warns, since the figures are still the
best estimate, only less sure), and the week-over-week drift alert (warns, never blocks)."""

import math
from datetime import timedelta

import dagster as dg
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import markdown_preview, savings_metadata
from assets.resources import PlanBResource, scoring_key
from scoring.config import ModelSpec
from scoring.costs.model import (
    COST_MODEL_SCHEMA,
    backtest_columns,
    backtest_replay_batches,
    fit_columns,
    fit_cost_model,
    latest_fit,
)
from scoring.costs.pricing import price_table
from scoring.projection.drift import WEEK, week_over_week
from scoring.projection.run import project_window
from warehouse import check_queries as cq
from warehouse import pipeline_queries as q
from warehouse import review_queries as rq
from warehouse.db import utc_now, writer
from warehouse.keys import PIPELINE
from warehouse.previews import recommended_savings

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


@dg.asset(deps=["small_replays", "large_replays"], kinds={"duckdb"}, pool=WRITER_POOL)
def cost_models(planb: PlanBResource) -> dg.MaterializeResult:
    """Device-seconds per request, prompt token and output token for each model, fitted on
    every replay batch (non-negative least squares), with R^2 and a 5-fold backtest (each fold's
    batch seconds predicted by the fit on the others). Rows measured by `planb calibrate-gpu`
    (source 'calibrate-gpu') are kept as they are."""
    cfg = planb.load()
    rows = []
    with writer(cfg.data_dir) as con:
        for role, spec in cfg.models.items():
            batches = q.batches(con, spec.model_key)
            for (device,), group in batches.group_by("device"):
                rows.append({
                    "model_key": spec.model_key, "role": role, "device": device,
                    **fit_columns(fit_cost_model(group)), **backtest_columns(backtest_replay_batches(group)),
                    "fitted_at": utc_now(), "source": "replay",
                })
        q.store_fitted_cost_models(con, pl.DataFrame(rows, schema_overrides=COST_MODEL_SCHEMA))
        table = q.cost_model_summary(con)
    backtests = {f"{r['role']}/{r['device']}/{r['source']}": r["backtest_total_error"]
                 for r in table.iter_rows(named=True)}
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.height, "preview": markdown_preview(table),
        "backtest_total_error": dg.MetadataValue.json(backtests),
    })


def cost_fit(fits: pl.DataFrame, spec: ModelSpec) -> dict:
    """The cost model of a model config (``scoring.costs.model.latest_fit``; the only kind a logged model can have is
    calibrate-gpu's), or a failure that names the command to measure one."""
    fit = latest_fit(fits, spec.model_key)
    if fit is not None:
        return fit
    how = ("replay nothing (backend logged)" if spec.backend == "logged"
           else "have no replay batches")
    raise dg.Failure(
        f"no cost model for the {spec.role} model {spec.name} (model_key {spec.model_key}): its "
        f"replays {how}; measure one with `planb calibrate-gpu CONFIG.json --role {spec.role}`"
    )


@dg.asset(deps=["router_scores", "query_classifier_scores", "cost_models", "reviews"], kinds={"duckdb"},
          pool=WRITER_POOL)
def routing_projection(planb: PlanBResource) -> dg.MaterializeResult:
    """Per router x threshold, for the window and for each day, surface, mode, language and
    query-length bucket: share routed small, agreement among them, unchanged share, GPU-hours
    and dollars saved for the whole logged population, each with a 95% bootstrap interval; the
    Pareto frontier and the recommended threshold. router_metrics: AUC, APGR and CPT(50/80/95%)
    with intervals, and the recommended threshold, per router and segment."""
    cfg = planb.load()
    key = scoring_key(cfg)
    with writer(cfg.data_dir) as con:
        inputs = q.projection_inputs(con, key)
        unscored = q.unscored_days(con, key)
        segments = q.sample_segments(con)
        days = q.population_days(con)
        fits = q.cost_model_fits(con)
        router_seconds = q.router_seconds(con)
        reviewed = rq.review_labels(con)
    inputs = inputs.filter(pl.col("router").is_in(cfg.projection.routers))
    if unscored:  # projecting the other days alone would undercount the population
        raise dg.Failure(
            f"{len(unscored)} sampled day(s) have no agreement under the configured rule "
            f"(scoring_version {key.scoring_version}), first {unscored[0]}: the rule changed since they were "
            "scored; materialize agreement and router_scores for those days, then project")
    if inputs.is_empty():
        raise dg.Failure("no scored sample to project: materialize the daily assets first")
    fit = {role: cost_fit(fits, spec) for role, spec in cfg.models.items()}
    projection, metrics = project_window(inputs, segments, cfg=cfg, fits=fit, router_seconds=router_seconds,
                                         days=days, dataset=PIPELINE, reviews=reviewed)
    with writer(cfg.data_dir) as con:
        q.store_projection(con, PIPELINE, projection, metrics)
        prices = price_table(cfg.pricing, [f["device"] for f in fit.values()])
        q.store_gpu_prices(con, pl.DataFrame(prices, schema_overrides={"as_of": pl.Date}))
        recommended = recommended_savings(con, PIPELINE)
    window = metrics.filter(pl.col("segment_by") == "all")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": projection.height,
            "sampled_requests": int(window["n_sample"][0]),
            "routers": markdown_preview(window.select(
                "router", "auc", "apgr", "cpt50", "cpt80", "cpt95", "recommended_threshold", "note")),
            **savings_metadata(recommended),
        }
    )


@dg.asset_check(asset="cost_models", blocking=True, pool=WRITER_POOL,
                description="each configured model has a cost model with finite, non-negative coefficients "
                "(blocks); a replay-fitted one explaining less than checks.min_cost_model_r2 of its "
                "batches' seconds, or one whose backtest misses the held-out batches' total seconds by "
                "more than checks.max_cost_model_backtest_error, warns")
def cost_model_fit(planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    keys = {spec.model_key: role for role, spec in cfg.models.items()}
    with writer(cfg.data_dir) as con:
        fits = cq.cost_models_of(con, list(keys))
    errors, warnings = [], []
    for key, role in keys.items():
        if fits.filter(pl.col("model_key") == key).is_empty():
            errors.append(f"no cost model for the {role} model (model_key {key})")
    for row in fits.iter_rows(named=True):
        where = f"{keys[row['model_key']]} on {row['device']} ({row['source']})"
        coefficients = [row[c] for c in ("seconds_per_request", "seconds_per_prompt_token", "seconds_per_output_token")]
        if not all(math.isfinite(c) and c >= 0 for c in coefficients):
            errors.append(f"{where}: coefficients {coefficients} not finite and non-negative")
        elif row["source"] == "replay" and row["r2"] is not None and row["r2"] < cfg.checks.min_cost_model_r2:
            warnings.append(f"{where}: R^2 {row['r2']:.2f} below {cfg.checks.min_cost_model_r2} "
                            f"on {row['n_batches']} batches (noisy timings: replay more batches)")
        error, limit = row["backtest_total_error"], cfg.checks.max_cost_model_backtest_error
        if error is not None and abs(error) > limit:
            warnings.append(f"{where}: backtest total error {error:+.1%} beyond {limit * 100:g}% on "
                            f"{row['backtest_batches']} held-out batches (seconds the fit did not see)")
    untested = [f"{keys[r['model_key']]} on {r['device']} ({r['source']}) not backtested: {r['backtest_note']}"
                for r in fits.iter_rows(named=True) if r["backtest_total_error"] is None]

    def label(r: dict) -> str:
        return f"{keys[r['model_key']]}/{r['device']}/{r['source']}"

    return dg.AssetCheckResult(
        passed=not errors and not warnings, severity=ERROR if errors else WARN,
        description="; ".join(errors + warnings) or "; ".join(
            [f"{fits.height} cost models, fits and backtests good enough", *untested]),
        metadata={"r2": dg.MetadataValue.json({label(r): r["r2"] for r in fits.iter_rows(named=True)}),
                  "backtest_total_error": dg.MetadataValue.json(
                      {label(r): r["backtest_total_error"] for r in fits.iter_rows(named=True)}),
                  "backtest_limit": cfg.checks.max_cost_model_backtest_error},
    )


@dg.asset_check(asset="routing_projection", blocking=True, pool=WRITER_POOL,
                description="every configured router is projected; shares and agreement in [0, 1]; no "
                "interval upside down; no negative device-hours")
def projection_in_range(planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    with writer(cfg.data_dir) as con:
        counts = cq.projection_ranges(con, PIPELINE)
    problems = [f"{counts[k]} rows with {label}" for k, label in (
        ("shares_out_of_range", "a share or agreement outside [0, 1]"),
        ("intervals_upside_down", "an interval's low bound above its high bound"),
        ("negative_hours", "negative device-hours")) if counts[k]]
    if counts["routers"] != len(cfg.projection.routers):
        problems.insert(0, f"{counts['routers']} routers projected, {len(cfg.projection.routers)} configured")
    return dg.AssetCheckResult(passed=not problems, severity=ERROR,
                               description="; ".join(problems) or f"{counts['rows']} rows in range",
                               metadata={k: int(v) for k, v in counts.items()})


@dg.asset_check(asset="routing_projection", pool=WRITER_POOL,
                description="the 95% interval of agreement at each router's recommended threshold (else "
                "where it routes about half small) is at most checks.max_interval_width wide; wider, or "
                "none, means the sample is too small: raise sample.per_day")
def agreement_interval_width(planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    limit = cfg.checks.max_interval_width
    with writer(cfg.data_dir) as con:
        rows = cq.recommended_intervals(con, PIPELINE)
    widths, wide = {}, []
    for router, threshold, recommended, n_small, lo, hi in rows:
        width = None if lo is None or hi is None else hi - lo
        widths[router] = width
        if width is None or width > limit:
            at = "recommended" if recommended else "half-small"
            wide.append(f"{router} at its {at} threshold {threshold:.2f}: "
                        + (f"no interval ({n_small or 0} sampled requests routed small)" if width is None
                           else f"width {width:.2f} > {limit}"))
    return dg.AssetCheckResult(
        passed=not wide, severity=WARN,
        description=("sample too small: " + "; ".join(wide) + "; raise sample.per_day") if wide
        else f"every router's agreement interval is at most {limit} wide",
        metadata={"interval_widths": dg.MetadataValue.json(widths), "limit": limit},
    )


@dg.asset_check(asset="routing_projection", pool=WRITER_POOL,
                description="each router (the oracle aside) has a recommended threshold certified to keep its "
                "quality measure among requests routed small (agreement, or the imported quality) at or above "
                "projection.agreement_target, which fails in at most 5% of samples (fixed-sequence test); none "
                "warns with the reason and the sample-size cost: raise sample.per_day")
def recommendation_certified(planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    with writer(cfg.data_dir) as con:
        rows = cq.router_certification(con, PIPELINE)
    missing = [f"{r['router']}: {r['note'] or 'no certified threshold'}" for r in rows.iter_rows(named=True)
               if r["recommended_threshold"] is None]
    measures = sorted({m for m in rows["gate_measure"].to_list() if m})
    need = rows["certify_min_routed"].max() if rows.height else None
    return dg.AssetCheckResult(
        passed=not missing, severity=WARN,
        description=(f"no certified threshold for {', '.join(missing)}; certifying "
                     f"{cfg.projection.agreement_target:.0%} takes about {need:.0f} scored requests routed small, "
                     "all keeping quality: raise sample.per_day") if missing
        else f"every router certified to keep {' / '.join(measures)} >= {cfg.projection.agreement_target:.0%} "
             "among requests routed small (risk 5%)",
        metadata={"gate_measure": ", ".join(measures) or "none",
                  "recommended_threshold": dg.MetadataValue.json(dict(zip(
                      rows["router"].to_list(), rows["recommended_threshold"].to_list(), strict=True))),
                  "certifiable_share_small": dg.MetadataValue.json(dict(zip(
                      rows["router"].to_list(), rows["certifiable_share_small"].to_list(), strict=True)))},
    )


def _drift_table(drifts) -> pl.DataFrame:
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
        inputs = cq.week_over_week_inputs(con, PIPELINE)
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
                               metadata={"week_over_week": markdown_preview(_drift_table(drifts)),
                                         "alerts": len(alerts)})


CHECKS = [cost_model_fit, projection_in_range, agreement_interval_width, recommendation_certified,
          week_over_week_drift]
