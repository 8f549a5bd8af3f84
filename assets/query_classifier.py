"""query_classifier_scores: the query-only classifier router, cross-fitted on the whole window's
sample (scoring/routing/query_classifier.py), written to router_scores with its measured cost."""

import dagster as dg
import numpy as np
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import markdown_preview
from assets.resources import PlanBResource, scoring_key
from scoring.agreement.embedding import configured_embedder, resolve_device
from scoring.routing.query_classifier import score_queries
from warehouse import pipeline_queries as q
from warehouse.db import writer
from warehouse.previews import router_score_summary

ROUTER = "query_classifier"


@dg.asset(deps=["router_scores"], group_name="project", kinds={"scikitlearn", "duckdb"}, pool=WRITER_POOL)
def query_classifier_scores(planb: PlanBResource) -> dg.MaterializeResult:
    """Scores of the query_classifier router for every scored sample request of the window:
    logistic regression on the query's MiniLM embedding and length, each request scored by a
    model trained on the other folds; seconds = embedding + prediction per query, measured."""
    cfg = planb.load()
    with writer(cfg.data_dir) as con:
        inputs = q.window_router_inputs(con, scoring_key(cfg))
    if ROUTER not in cfg.projection.routers or inputs.is_empty():
        with writer(cfg.data_dir) as con:
            q.replace_router_scores(con, ROUTER)
        return dg.MaterializeResult(metadata={"dagster/row_count": 0})
    device = resolve_device(cfg.agreement.embedding_device)
    embedder = configured_embedder(cfg.agreement)
    result = score_queries(inputs["query"].to_list(), inputs["agree"].cast(pl.Float64).to_numpy(),
                           embedder=embedder, folds=cfg.projection.classifier_folds, seed=cfg.projection.seed)
    rows = inputs.select("day", "request_id").with_columns(
        pl.lit(ROUTER).alias("router"), pl.Series("score", result.scores, dtype=pl.Float64),
        pl.lit(True).alias("in_sample"), pl.lit(result.seconds_per_request).alias("seconds"),
    )
    with writer(cfg.data_dir) as con:
        q.replace_router_scores(con, ROUTER, rows)
        summary = router_score_summary(con)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows.height, "folds": result.folds, "device": device,
        "seconds_per_request": result.seconds_per_request, "note": result.note or "",
        "mean_score": float(np.mean(result.scores)), "preview": markdown_preview(summary),
    })
