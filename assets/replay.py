"""replay_sample and the small and large replays of it."""

import json

import dagster as dg
import polars as pl

from assets.partitions import daily_partitions
from assets.resources import PlanBResource, partition_day
from scoring.config import PlanBConfig
from scoring.replay.engine import ReplayRequest, replay
from scoring.replay.weights import load_causal_lm
from scoring.sampling import stratified_sample
from warehouse import pipeline_queries as q
from warehouse.db import insert_rows, replace_partition, replace_rows, writer


@dg.asset(partitions_def=daily_partitions, deps=["chat_logs"], group_name="replay", kinds={"duckdb"})
def replay_sample(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Stratified, seeded sample of the day's requests with inclusion probabilities and weights."""
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        logs = q.day_logs(con, day)
        sample = stratified_sample(logs, per_day=cfg.sample.per_day, strata=cfg.sample.strata,
                                   seed=cfg.sample.seed)
        sample = sample.with_columns(pl.lit(day).alias("day"), pl.lit(cfg.sample.seed).alias("seed"))
        replace_partition(con, "replay_sample", day, sample)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": sample.height, "logged_requests": logs.height,
                  "strata": sample["stratum"].n_unique() if sample.height else 0}
    )


def _replay_role(context: dg.AssetExecutionContext, cfg: PlanBConfig, role: str) -> dg.MaterializeResult:
    spec = cfg.models[role]
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        sample = q.sample_queries(con, day)
        done = q.replayed_ids(con, spec.model_key)
    todo = sample.filter(~pl.col("request_id").is_in(list(done)))
    # Generation runs with no warehouse connection open: other steps can write meanwhile.
    if todo.height:
        model, tokenizer = load_causal_lm(spec.weights, spec.dtype, spec.device, str(cfg.model_cache_dir))
        run = replay(spec, [ReplayRequest(r, qy) for r, qy in todo.iter_rows()], model=model, tokenizer=tokenizer)
        results = pl.DataFrame([vars(r) for r in run.results]).with_columns(
            pl.lit(day).alias("day"), pl.lit(spec.model_key).alias("model_key"),
            pl.lit(role).alias("role"), pl.lit(run.device).alias("device"),
        )
        batches = pl.DataFrame([vars(b) for b in run.batches]).with_columns(
            pl.lit(day).alias("day"), pl.lit(spec.model_key).alias("model_key"),
            pl.lit(run.device).alias("device"),
        )
        ids = results["request_id"].to_list()
        with writer(cfg.data_dir) as con:
            replace_rows(con, "models", pl.DataFrame({
                "model_key": [spec.model_key], "name": [spec.name], "role": [role],
                "backend": [spec.backend], "spec_json": [json.dumps(spec.model_dump(mode="json"))],
            }), "model_key = ?", [spec.model_key])
            replace_rows(con, "replays", results, "model_key = ? AND list_contains(?, request_id)",
                         [spec.model_key, ids])
            insert_rows(con, "replay_batches", batches)  # batches of new replays only
    else:
        results = pl.DataFrame({"output_tokens": [], "seconds": [], "error": []})
    failed = results.filter(pl.col("error").is_not_null()).height
    return dg.MaterializeResult(
        metadata={
            "model": spec.name, "model_key": spec.model_key,
            "sampled": sample.height, "replayed_now": todo.height,
            "already_replayed": sample.height - todo.height, "failed": failed,
            "output_tokens": int(results["output_tokens"].sum() or 0),
            "device_seconds": float(results["seconds"].sum() or 0.0),
        }
    )


@dg.asset(partitions_def=daily_partitions, deps=["replay_sample"], group_name="replay",
          kinds={"pytorch"}, pool="gpu")
def small_replays(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The small model's answers, tokens, device-seconds and log-probs for the day's sample."""
    return _replay_role(context, planb.load(), "small")


@dg.asset(partitions_def=daily_partitions, deps=["replay_sample"], group_name="replay",
          kinds={"pytorch"}, pool="gpu")
def large_replays(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The large model's answers, tokens and device-seconds for the day's sample."""
    return _replay_role(context, planb.load(), "large")
