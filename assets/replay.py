"""replay_sample and the small and large replays of it."""

import dagster as dg
import polars as pl

from assets.instance import GPU_POOL, WRITER_POOL
from assets.metadata import markdown_preview
from assets.resources import PlanBResource, partition_day
from scoring.config import PlanBConfig
from scoring.replay.backends import generator
from scoring.replay.chunks import replay_chunks
from scoring.replay.sampling import stratified_sample
from warehouse import pipeline_queries as q
from warehouse.check_queries import replays_day
from warehouse.db import replace_partition, writer
from warehouse.previews import day_rows


@dg.asset(deps=["chat_logs"], group_name="replay", kinds={"duckdb"},
          pool=WRITER_POOL)
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
        preview = day_rows(con, "replay_sample", day)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": sample.height, "logged_requests": logs.height,
                  "strata": sample["stratum"].n_unique() if sample.height else 0,
                  "preview": markdown_preview(preview)}
    )


def _replay_role(context: dg.AssetExecutionContext, cfg: PlanBConfig, role: str) -> dg.MaterializeResult:
    spec = cfg.models[role]
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        sample = q.sample_queries(con, day)
        done = q.replayed_ids(con, spec.model_key)

    def store(replays: pl.DataFrame, batches: pl.DataFrame | None) -> None:
        # Each chunk in its own transaction, as soon as it is made: a killed run loses at most
        # the chunk it was in, and other steps can write while the model generates.
        with writer(cfg.data_dir) as con:
            q.register_model(con, spec.model_key, name=spec.name, role=role, backend=spec.backend,
                             spec=spec.model_dump(mode="json"))
            q.store_replays(con, spec.model_key, replays, batches)

    run = replay_chunks(sample, spec, role=role, day=day, generate=generator(spec, str(cfg.model_cache_dir)),
                        done=done, store=store, chunk_size=cfg.replay.chunk_size,
                        on_chunk=lambda chunk: context.log.info(f"{role} replay of {day}: {chunk}"))
    results = run.results
    with writer(cfg.data_dir) as con:  # the whole day, replayed now or before
        day_total = replays_day(con, day, spec.model_key)
        preview = day_rows(con, "replays", day, model_key=spec.model_key)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": day_total["sampled"] - day_total["missing"],
            "day_device_seconds": float(day_total["device_seconds"]), "preview": markdown_preview(preview),
            "model": spec.name, "model_key": spec.model_key, "backend": spec.backend,
            "sampled": sample.height, "replayed_now": results.height,
            "already_replayed": sample.height - results.height,
            "chunks": run.chunks, "failed": results.filter(pl.col("error").is_not_null()).height,
            "prompts_truncated": int(results["prompt_truncated"].sum() or 0),
            "output_tokens": int(results["output_tokens"].sum() or 0),
            "device_seconds": float(results["seconds"].sum() or 0.0),
        }
    )


@dg.asset(deps=["replay_sample"], group_name="replay",
          kinds={"pytorch"}, pool=GPU_POOL)
def small_replays(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The small model's answers, tokens, device-seconds and log-probs for the day's sample."""
    return _replay_role(context, planb.load(), "small")


@dg.asset(deps=["replay_sample"], group_name="replay",
          kinds={"pytorch"}, pool=GPU_POOL)
def large_replays(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The large model's answers, tokens and device-seconds for the day's sample."""
    return _replay_role(context, planb.load(), "large")
