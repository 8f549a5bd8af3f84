"""agreement and router_scores for one day's sample."""

import dagster as dg
import polars as pl

from assets.partitions import daily_partitions
from assets.resources import PlanBResource, partition_day
from scoring.agreement import (
    SCORING_VERSION,
    AgreementRule,
    embedder_path,
    load_embedder,
    score_pairs,
)
from scoring.routers import score_requests
from warehouse import pipeline_queries as q
from warehouse.db import replace_partition, writer


@dg.asset(partitions_def=daily_partitions, deps=["small_replays", "large_replays"],
          group_name="score", kinds={"pytorch", "duckdb"})
def agreement(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Exact match, token F1, containment and embedding cosine of each small/large answer pair,
    and the agree label."""
    cfg = planb.load()
    day = partition_day(context)
    small_key, large_key = cfg.models["small"].model_key, cfg.models["large"].model_key
    with writer(cfg.data_dir) as con:
        pairs = q.replay_pairs(con, day, small_key, large_key)
    rule = AgreementRule(cfg.agreement.f1_threshold, cfg.agreement.cosine_threshold)
    embedder = load_embedder(embedder_path(cfg.agreement.embedding_model))
    metrics = score_pairs(pairs["small_output"].to_list(), pairs["large_output"].to_list(),
                          embedder=embedder, rule=rule)
    scored = pairs.select("request_id").with_columns(
        pl.lit(day).alias("day"), pl.lit(small_key).alias("small_key"),
        pl.lit(large_key).alias("large_key"), pl.lit(SCORING_VERSION).alias("scoring_version"),
        *[pl.Series(name, values) for name, values in metrics.items()],
    )
    with writer(cfg.data_dir) as con:
        replace_partition(con, "agreement", day, scored)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": scored.height,
            "agree_share": float(scored["agree"].mean()) if scored.height else None,
            "mean_token_f1": float(scored["token_f1"].mean()) if scored.height else None,
            "mean_cosine": float(scored["cosine"].mean()) if scored.height else None,
            "scoring_version": SCORING_VERSION,
        }
    )


@dg.asset(partitions_def=daily_partitions, deps=["agreement"], group_name="score", kinds={"duckdb"})
def router_scores(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Each configured router's score in [0, 1] for every sampled request of the day."""
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        inputs = q.router_inputs(con, day, cfg.models["small"].model_key, cfg.models["large"].model_key)
        frames = [
            inputs.select("request_id").with_columns(
                pl.lit(day).alias("day"), pl.lit(router).alias("router"),
                pl.Series("score", score_requests(router, inputs, seed=cfg.projection.seed), dtype=pl.Float64),
                pl.lit(True).alias("in_sample"),
            )
            for router in cfg.projection.routers
        ]
        scores = pl.concat(frames)
        replace_partition(con, "router_scores", day, scores)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": scores.height, "routers": ", ".join(cfg.projection.routers)}
    )
