"""replay_sample and the small and large replays of it."""

import json
from collections.abc import Callable
from functools import partial

import dagster as dg
import polars as pl

from assets.instance import GPU_POOL, WRITER_POOL
from assets.metadata import markdown_preview
from assets.partitions import daily_partitions
from assets.resources import PlanBResource, partition_day
from scoring.config import ModelSpec, PlanBConfig
from scoring.replay.engine import ReplayRequest, ReplayRun, replay
from scoring.replay.logged import LoggedRequest, replay_logged
from scoring.replay.openai_backend import replay_openai
from scoring.replay.weights import load_causal_lm
from scoring.replay.sampling import stratified_sample
from warehouse import pipeline_queries as q
from warehouse.check_queries import replays_day
from warehouse.db import insert_rows, replace_partition, replace_rows, writer
from warehouse.previews import day_rows


@dg.asset(partitions_def=daily_partitions, deps=["chat_logs"], group_name="replay", kinds={"duckdb"},
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


def _chunks(sample: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    # One fixed order over the whole day's sample (query length, then id): a resumed run cuts
    # the same chunks as an uninterrupted one, so it builds the same batches and greedy
    # decoding gives the same outputs. Similar lengths in a chunk also mean less padding.
    ordered = sample.sort(pl.col("query").str.len_chars(), "request_id")
    return [ordered.slice(start, size) for start in range(0, ordered.height, size)]


def _requests(chunk: pl.DataFrame, backend: str) -> list[ReplayRequest]:
    if backend == "logged":
        return [LoggedRequest(r["request_id"], r["query"], r["response"], r["prompt_tokens"],
                              r["completion_tokens"]) for r in chunk.iter_rows(named=True)]
    return [ReplayRequest(r, qy) for r, qy in chunk.select("request_id", "query").iter_rows()]


def _generator(spec: ModelSpec, cfg: PlanBConfig) -> Callable[[list[ReplayRequest]], ReplayRun]:
    """The backend's replay function; a local model loads on the first chunk, once."""
    if spec.backend == "logged":
        return replay_logged
    if spec.backend == "openai":
        return partial(replay_openai, spec)
    loaded: list = []

    def generate(requests: list[ReplayRequest]) -> ReplayRun:
        if not loaded:
            loaded.extend(load_causal_lm(spec.weights, spec.dtype, spec.device, str(cfg.model_cache_dir)))
        return replay(spec, requests, model=loaded[0], tokenizer=loaded[1])

    return generate


_RESULT_TYPES = {"output": pl.String, "seconds": pl.Float64, "mean_logprob": pl.Float64,
                 "min_logprob": pl.Float64, "mean_entropy": pl.Float64, "batch_id": pl.String,
                 "error": pl.String, "prompt_truncated": pl.Boolean}


def _commit(cfg: PlanBConfig, spec: ModelSpec, role: str, day, run: ReplayRun) -> pl.DataFrame:
    """Write one chunk's replays and batches in their own transaction; returns the replays."""
    results = pl.DataFrame([vars(r) for r in run.results], schema_overrides=_RESULT_TYPES).with_columns(
        pl.lit(day).alias("day"), pl.lit(spec.model_key).alias("model_key"),
        pl.lit(role).alias("role"), pl.lit(run.device).alias("device"),
    )
    with writer(cfg.data_dir) as con:
        replace_rows(con, "models", pl.DataFrame({
            "model_key": [spec.model_key], "name": [spec.name], "role": [role],
            "backend": [spec.backend], "spec_json": [json.dumps(spec.model_dump(mode="json"))],
        }), "model_key = ?", [spec.model_key])
        replace_rows(con, "replays", results, "model_key = ? AND list_contains(?, request_id)",
                     [spec.model_key, results["request_id"].to_list()])
        if run.batches:  # batches of new replays only; the logged backend has none
            insert_rows(con, "replay_batches", pl.DataFrame([vars(b) for b in run.batches]).with_columns(
                pl.lit(day).alias("day"), pl.lit(spec.model_key).alias("model_key"),
                pl.lit(run.device).alias("device"),
            ))
    return results


def _replay_role(context: dg.AssetExecutionContext, cfg: PlanBConfig, role: str) -> dg.MaterializeResult:
    spec = cfg.models[role]
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        sample = q.sample_queries(con, day)
        done = q.replayed_ids(con, spec.model_key)
    chunks = _chunks(sample, cfg.replay.chunk_size or 4 * spec.batch_size)
    generate = _generator(spec, cfg)
    committed = [pl.DataFrame(schema={"output_tokens": pl.Int64, **_RESULT_TYPES})]
    # Generation runs with no warehouse connection open: other steps can write meanwhile.
    # Each chunk commits as soon as it is done, so a killed run loses at most the chunk it was in.
    for number, chunk in enumerate(chunks, start=1):
        todo = chunk.filter(~pl.col("request_id").is_in(list(done)))
        if todo.is_empty():
            continue
        results = _commit(cfg, spec, role, day, generate(_requests(todo, spec.backend)))
        committed.append(results.select(committed[0].columns))
        context.log.info(f"{role} replay of {day}: committed chunk {number} of {len(chunks)} "
                         f"({todo.height} requests)")
    results = pl.concat(committed, how="vertical_relaxed")
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
            "chunks": len(chunks), "failed": results.filter(pl.col("error").is_not_null()).height,
            "prompts_truncated": int(results["prompt_truncated"].sum() or 0),
            "output_tokens": int(results["output_tokens"].sum() or 0),
            "device_seconds": float(results["seconds"].sum() or 0.0),
        }
    )


@dg.asset(partitions_def=daily_partitions, deps=["replay_sample"], group_name="replay",
          kinds={"pytorch"}, pool=GPU_POOL)
def small_replays(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The small model's answers, tokens, device-seconds and log-probs for the day's sample."""
    return _replay_role(context, planb.load(), "small")


@dg.asset(partitions_def=daily_partitions, deps=["replay_sample"], group_name="replay",
          kinds={"pytorch"}, pool=GPU_POOL)
def large_replays(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The large model's answers, tokens and device-seconds for the day's sample."""
    return _replay_role(context, planb.load(), "large")
