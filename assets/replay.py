"""Stage 2, replay: replay_sample and the small and large replays of it, with the checks that
guard them (the sample stands for the logs; every sampled request answered)."""

import dagster as dg
import polars as pl

from assets.instance import GPU_POOL, WRITER_POOL
from assets.metadata import check_result, markdown_preview, share_of
from assets.resources import PlanBResource, partition_day
from scoring.config import PlanBConfig
from scoring.replay.backends import generator
from scoring.replay.chunks import replay_chunks
from scoring.replay.sampling import stratified_sample
from warehouse import check_queries as cq
from warehouse import pipeline_queries as q
from warehouse.db import replace_partition, writer
from warehouse.previews import day_rows

# The openai backend's errors that mean the server is not there (scoring/replay/openai_backend.py).
UNREACHABLE = r"^(connection error|timeout):"


@dg.asset(deps=["chat_logs"], kinds={"duckdb"}, pool=WRITER_POOL)
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
        q.register_model(con, spec.model_key, name=spec.name, role=role, backend=spec.backend,
                         spec=spec.model_dump(mode="json"))

    def store(replays: pl.DataFrame, batches: pl.DataFrame | None) -> None:
        # Each chunk in its own transaction, as soon as it is made: a killed run loses at most
        # the chunk it was in, and other steps can write while the model generates.
        with writer(cfg.data_dir) as con:
            q.store_replays(con, spec.model_key, replays, batches)

    run = replay_chunks(sample, spec, role=role, day=day, generate=generator(spec, str(cfg.model_cache_dir)),
                        done=done, store=store, chunk_size=cfg.replay.chunk_size,
                        on_chunk=lambda chunk: context.log.info(f"{role} replay of {day}: {chunk}"))
    results = run.results
    errors = results["error"].drop_nulls()
    unreachable = errors.filter(errors.str.contains(UNREACHABLE))
    if unreachable.len():
        # The server is down or not answering: fail the step naming it, so that the run fails
        # (and Dagster's run retries try again) rather than wait on the check's counts. What was
        # answered is stored; the failed requests are replayed on the next attempt.
        where = f" at {spec.base_url}" if spec.base_url else ""
        raise dg.Failure(f"{role} model {spec.name!r} ({spec.backend} backend{where}): {unreachable.len()} of "
                         f"{results.height} requests of {day} could not reach the server; first: {unreachable[0]}")
    with writer(cfg.data_dir) as con:  # the whole day, replayed now or before
        day_total = cq.replays_day(con, day, spec.model_key)
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


@dg.asset(deps=["replay_sample"], kinds={"pytorch"}, pool=GPU_POOL)
def small_replays(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The small model's answers, tokens, device-seconds and log-probs for the day's sample."""
    return _replay_role(context, planb.load(), "small")


@dg.asset(deps=["replay_sample"], kinds={"pytorch"}, pool=GPU_POOL)
def large_replays(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The large model's answers, tokens and device-seconds for the day's sample."""
    return _replay_role(context, planb.load(), "large")


@dg.asset_check(asset="replay_sample", blocking=True, pool=WRITER_POOL,
                description="the sample's weights add up to the logged requests of each stratum and of "
                "the day; every sampled request is a logged one; inclusion probabilities in (0, 1]")
def sample_matches_logs(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        counts = cq.sample_day(con, day)
    problems = []
    if counts["logged"] and not counts["sampled"]:
        problems.append(f"no request sampled of {counts['logged']} logged")
    if abs(counts["weight_sum"] - counts["logged"]) > 1e-6 * max(counts["logged"], 1):
        problems.append(f"weights add up to {counts['weight_sum']:.3f}, not the {counts['logged']} logged requests")
    problems += [f"{counts[k]} {label}" for k, label in (
        ("strata_off", "strata whose weights miss their size"), ("not_logged", "sampled requests not in chat_logs"),
        ("bad_probabilities", "inclusion probabilities outside (0, 1]")) if counts[k]]
    return check_result(problems, counts, f"{counts['sampled']} sampled requests stand for {counts['logged']} logged")


def _replays_check(role: str) -> dg.AssetChecksDefinition:
    asset = f"{role}_replays"

    @dg.asset_check(asset=asset, name=f"{role}_replays_complete", blocking=True, pool=WRITER_POOL,
                    description=f"every sampled request has a {role} replay: at most "
                    "checks.max_failed_replay_share missing or failed (error), at most "
                    "checks.max_empty_output_share empty answers, no negative tokens or seconds")
    def check(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
        cfg = planb.load()
        day = partition_day(context)
        with writer(cfg.data_dir) as con:
            counts = cq.replays_day(con, day, cfg.models[role].model_key)
        sampled, limits = counts["sampled"], cfg.checks
        unanswered = counts["missing"] + counts["failed"]
        problems = []
        if share_of(unanswered, sampled) > limits.max_failed_replay_share:
            problems.append(f"{counts['missing']} missing and {counts['failed']} failed of {sampled} "
                            f"(limit {limits.max_failed_replay_share:.0%}); failed ones are retried on the next run")
        if share_of(counts["empty"], sampled - unanswered) > limits.max_empty_output_share:
            problems.append(f"{counts['empty']} empty answers of {sampled - unanswered} "
                            f"(limit {limits.max_empty_output_share:.0%})")
        if counts["negative"]:
            problems.append(f"{counts['negative']} replays with negative tokens or seconds")
        return check_result(problems, counts, f"{sampled - unanswered} of {sampled} answered, "
                            f"{counts['empty']} empty, {counts['device_seconds']:.1f} device-seconds")

    return check


small_replays_complete = _replays_check("small")


large_replays_complete = _replays_check("large")


CHECKS = [sample_matches_logs, small_replays_complete, large_replays_complete]
