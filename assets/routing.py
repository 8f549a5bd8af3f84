"""Stage 4, routing: each configured router's score for every sampled request, the daily routers a
day at a time (router_scores) and the routers trained on the window's sample once for the whole
window (query_classifier_scores), with the check that guards the daily scores. Which routers a
frame supports is the registry's business (scoring.routing.routers.score_routers)."""

import dagster as dg
import numpy as np
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import check_result, markdown_preview
from assets.resources import PlanBResource, partition_day, scoring_key
from scoring.agreement.embedding import resolve_device
from scoring.routing.routers import ROUTERS, RouterScores, score_routers
from warehouse import check_queries as cq
from warehouse import pipeline_queries as q
from warehouse.db import writer
from warehouse.previews import router_score_summary

TRAINED = [name for name, router in ROUTERS.items() if router.trained]


def _score_rows(inputs: pl.DataFrame, routed: RouterScores, *, with_seconds: bool = False) -> pl.DataFrame:
    """One router_scores row per request of ``inputs`` and router scored, with the router's own
    measured seconds per request when ``with_seconds``."""
    keys = [c for c in ("day", "request_id") if c in inputs.columns]
    return pl.concat([
        inputs.select(keys).with_columns(
            pl.lit(name).alias("router"), pl.Series("score", run.scores, dtype=pl.Float64),
            pl.lit(True).alias("in_sample"),
            *([pl.lit(run.seconds_per_request).alias("seconds")] if with_seconds else []))
        for name, run in routed.runs.items()
    ])


@dg.asset(deps=["agreement"], kinds={"duckdb"}, pool=WRITER_POOL)
def router_scores(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Each configured router's score in [0, 1] for every sampled request of the day (the
    oracle reads the agree label of the current scoring_version only)."""
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        inputs = q.router_inputs(con, day, scoring_key(cfg))
        # Routers trained on the whole window (query_classifier) are scored by their own asset.
        routed = score_routers(inputs, cfg, trained=False)
        scores = _score_rows(inputs, routed).with_columns(pl.lit(day).alias("day"))
        q.store_day_router_scores(con, day, scores, keep=TRAINED)
        summary = router_score_summary(con, day)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": scores.height, "routers": ", ".join(routed.runs),
                  "preview": markdown_preview(summary)}
    )


@dg.asset(deps=["router_scores"], kinds={"scikitlearn", "duckdb"}, pool=WRITER_POOL)
def query_classifier_scores(planb: PlanBResource) -> dg.MaterializeResult:
    """Scores of the routers trained on the window's sample (the query_classifier: logistic
    regression on the query's static embedding (distilled from MiniLM) and length, each request scored by a model trained
    on the other folds) for every scored sample request of the window; seconds = embedding +
    prediction per query, measured."""
    cfg = planb.load()
    with writer(cfg.data_dir) as con:
        inputs = q.window_router_inputs(con, scoring_key(cfg))
    routed = score_routers(inputs, cfg, trained=True) if not inputs.is_empty() else None
    with writer(cfg.data_dir) as con:
        for router in TRAINED:  # one not configured (or nothing to learn from) has no scores
            q.replace_router_scores(con, router)
        if routed is None or not routed.runs:
            return dg.MaterializeResult(metadata={"dagster/row_count": 0})
        rows = _score_rows(inputs, routed, with_seconds=True)
        for router in routed.runs:
            q.replace_router_scores(con, router, rows.filter(pl.col("router") == router))
        summary = router_score_summary(con)
    metadata = {"dagster/row_count": rows.height, "device": resolve_device(cfg.agreement.embedding_device),
                "preview": markdown_preview(summary)}
    for name, run in routed.runs.items():
        prefix = "" if len(routed.runs) == 1 else f"{name}_"
        metadata |= {f"{prefix}folds": run.folds, f"{prefix}seconds_per_request": run.seconds_per_request,
                     f"{prefix}note": run.note or "", f"{prefix}mean_score": float(np.mean(run.scores))}
    return dg.MaterializeResult(metadata=metadata)


@dg.asset_check(asset="router_scores", blocking=True, pool=WRITER_POOL,
                description="each daily router scores each scored pair once, in [0, 1]")
def router_scores_in_range(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    day = partition_day(context)
    routers = [r for r in cfg.projection.routers if not ROUTERS[r].trained]
    with writer(cfg.data_dir) as con:
        counts = cq.router_scores_day(con, day, routers, scoring_key(cfg))
    problems = [f"{counts[k]} {label}" for k, label in (
        ("duplicates", "(request, router) pairs scored twice"), ("out_of_range", "scores outside [0, 1]")) if counts[k]]
    if counts["rows"] != counts["expected"]:
        problems.insert(0, f"{counts['rows']} scores, expected {counts['expected']} "
                        f"({len(routers)} routers x scored pairs)")
    return check_result(problems, counts, f"{counts['rows']} scores of {len(routers)} routers in [0, 1]")


CHECKS = [router_scores_in_range]
