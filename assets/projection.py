"""cost_models, routing_projection (with router_metrics) and the published snapshot: the whole
window at once."""

from contextlib import closing
from datetime import datetime, timezone

import dagster as dg
import numpy as np
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import markdown_preview, savings_metadata
from assets.resources import PlanBResource, scoring_key
from assets.run_history import check_results, recent_runs
from scoring.config import ModelSpec
from scoring.costs.model import (
    COST_MODEL_SCHEMA,
    backtest_columns,
    backtest_replay_batches,
    fit_columns,
    fit_cost_model,
)
from scoring.costs.pricing import price_table
from scoring.projection.run import project_all, with_costs
from scoring.projection.table import query_length_bucket
from warehouse import pipeline_queries as q
from warehouse.db import open_snapshot, publish_snapshot, writer
from warehouse.keys import PIPELINE
from warehouse.previews import recommended_savings, table_counts
from warehouse.run_history import write_run_history


@dg.asset(deps=["small_replays", "large_replays"], group_name="project", kinds={"duckdb"}, pool=WRITER_POOL)
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
                    "fitted_at": datetime.now(timezone.utc).replace(tzinfo=None), "source": "replay",
                })
        q.store_fitted_cost_models(con, pl.DataFrame(rows, schema_overrides=COST_MODEL_SCHEMA))
        table = q.cost_model_summary(con)
    backtests = {f"{r['role']}/{r['device']}/{r['source']}": r["backtest_total_error"]
                 for r in table.iter_rows(named=True)}
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.height, "preview": markdown_preview(table),
        "backtest_total_error": dg.MetadataValue.json(backtests),
    })


def latest_fit(fits: pl.DataFrame, model_key: str) -> dict | None:
    """The cost model of a model key: fitted on its replays, else the latest one
    `planb calibrate-gpu` measured for it; None when there is neither."""
    mine = fits.filter(pl.col("model_key") == model_key)
    for source in ("replay", "calibrate-gpu"):
        rows = mine.filter(pl.col("source") == source).sort("fitted_at", descending=True)
        if rows.height:
            return rows.row(0, named=True)
    return None


def cost_fit(fits: pl.DataFrame, spec: ModelSpec) -> dict:
    """The cost model of a model config (``latest_fit``; the only kind a logged model can have is
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


def projection_sample(inputs: pl.DataFrame, segments: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """One row per scored sample request (quality = agreement) with its segments, and each
    router's scores aligned with those rows."""
    wide = inputs.pivot(on="router", index=["day", "request_id"], values="score")
    sample = (
        inputs.unique(["day", "request_id"]).drop("router", "score")
        .join(segments, on=["day", "request_id"], how="left")
        .join(wide, on=["day", "request_id"], how="left")
        .sort("day", "request_id")
    )
    routers = [r for r in inputs["router"].unique().to_list()]
    scores = {r: sample[r].fill_null(0.0).to_numpy() for r in routers}
    words = sample["query"].fill_null("").str.count_matches(r"\S+").to_numpy()
    agree = pl.col("agree").cast(pl.Float64)
    sample = sample.drop(routers).with_columns(
        quality_small=agree, quality_large=pl.lit(1.0), label=pl.col("agree"),
        query_length=pl.Series(query_length_bucket(words)), day=pl.col("day").cast(pl.String),
    ).with_columns(agree=agree)
    return sample, scores


@dg.asset(deps=["router_scores", "query_classifier_scores", "cost_models"], group_name="project",
          kinds={"duckdb"}, pool=WRITER_POOL)
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
    inputs = inputs.filter(pl.col("router").is_in(cfg.projection.routers))
    if unscored:  # projecting the other days alone would undercount the population
        raise dg.Failure(
            f"{len(unscored)} sampled day(s) have no agreement under the configured rule "
            f"(scoring_version {key.scoring_version}), first {unscored[0]}: the rule changed since they were "
            "scored; materialize agreement and router_scores for those days, then project")
    if inputs.is_empty():
        raise dg.Failure("no scored sample to project: materialize the daily assets first")
    fit = {role: cost_fit(fits, spec) for role, spec in cfg.models.items()}
    sample, scores = projection_sample(inputs, segments)
    sample, costing = with_costs(sample, fit, cfg)
    projection, metrics = project_all(sample, scores, router_seconds, cfg=cfg, costing=costing, days=days,
                                      dataset=PIPELINE, quality_measure="agreement")
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


@dg.asset(deps=["routing_projection"], group_name="project", kinds={"duckdb"}, pool=WRITER_POOL)
def published_snapshot(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The read-only copy of the warehouse that the dashboard and `planb sql` open, with the
    instance's latest runs and check results copied in (pipeline_runs, asset_check_results)."""
    cfg = planb.load()
    # Read here, not in the dashboard: it opens only the snapshot, never the Dagster instance.
    runs, checks = recent_runs(context.instance), check_results(context.instance)
    write_run_history(cfg.data_dir, runs, checks)
    path = publish_snapshot(cfg.data_dir)
    with closing(open_snapshot(cfg.data_dir)) as con:
        tables, recommended = table_counts(con), recommended_savings(con, PIPELINE)
    return dg.MaterializeResult(metadata={
        "path": str(path.resolve()), "bytes": path.stat().st_size,
        "dagster/row_count": int(tables["rows"].sum()), "tables": markdown_preview(tables, rows=100),
        "runs_recorded": runs.height, "check_results_recorded": checks.height,
        **savings_metadata(recommended),
    })
