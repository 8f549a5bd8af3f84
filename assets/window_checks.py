"""Asset checks of the window assets: cost model fit, projection ranges, interval width and the
published snapshot. Impossible values block (nothing downstream of them runs: the snapshot keeps
the last good state); a poor fit or a too-wide interval warns, since the figures are still the
best estimate, only less sure."""

import math
from contextlib import closing

import dagster as dg
import polars as pl

from assets.instance import WRITER_POOL
from assets.resources import PlanBResource
from warehouse import check_queries as cq
from warehouse.db import migration_versions, open_snapshot, writer
from warehouse.keys import PIPELINE

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


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


@dg.asset_check(asset="published_snapshot",
                description="the snapshot opens read-only, has every migration, and holds the state its "
                "last snapshot_log row describes (published whole, never half-written)")
def snapshot_is_consistent(planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    with closing(open_snapshot(cfg.data_dir)) as con:
        state = cq.snapshot_state(con, PIPELINE)
    problems = []
    missing = sorted(migration_versions() - state["migrations"])
    if missing:
        problems.append(f"migrations {missing} missing")
    if state["logged_rows"] != state["rows"]:
        problems.append(f"{state['rows']} chat_logs rows, its snapshot_log says {state['logged_rows']}")
    if not state["projected"]:
        problems.append("no routing_projection rows")
    return dg.AssetCheckResult(
        passed=not problems, severity=ERROR,
        description="; ".join(problems) or f"{state['rows']} chat_logs rows, {state['projected']} projection rows",
        metadata={"chat_logs_rows": state["rows"], "projection_rows": state["projected"]})


WINDOW_CHECKS = [cost_model_fit, projection_in_range, agreement_interval_width, recommendation_certified,
                 snapshot_is_consistent]
