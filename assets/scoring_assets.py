"""agreement and router_scores for one day's sample."""

import json
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone

import dagster as dg
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import markdown_preview
from assets.partitions import daily_partitions
from assets.resources import PlanBResource, partition_day
from scoring.agreement_rule import current_scoring_version, judge_spec, rule_from_config
from scoring.agreement_scoring import score_pairs
from scoring.config import PlanBConfig
from scoring.embedding import embedder_path, load_embedder
from scoring.judge import JudgeRun, judge_generator, parse_verdict, run_judge
from scoring.routers import ROUTERS, score_requests
from warehouse import pipeline_queries as q
from warehouse.db import insert_rows, replace_rows, writer
from warehouse.previews import day_rows, router_score_summary

_PAIR = "day = ? AND small_key = ? AND large_key = ? AND scoring_version = ?"


def _judge(cfg: PlanBConfig, pairs: pl.DataFrame, runs: list[tuple[list[int], JudgeRun]]):
    """The judge callback score_pairs calls on the uncertain pairs, or None without a judge."""
    spec = judge_spec(cfg)
    if spec is None:
        return None
    generate = judge_generator(spec, str(cfg.model_cache_dir))

    def judge(indices: list[int]) -> list[float]:
        rows = pairs[indices]
        run = run_judge(rows["request_id"].to_list(), rows["query"].to_list(),
                        rows["small_output"].to_list(), rows["large_output"].to_list(),
                        generate=generate, max_answer_chars=cfg.agreement.judge.max_answer_chars)
        runs.append((indices, run))
        return run.score

    return judge


def _judge_frames(cfg: PlanBConfig, day, version: str, runs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """judge_calls rows and the judge's replay_batches rows, its cost counted like a replay's."""
    spec = judge_spec(cfg)
    calls, batches = [], []
    for _, run in runs:
        for r in run.replay.results:
            request_id, order = r.request_id.rsplit("|", 1)
            calls.append({"request_id": request_id, "answer_order": order, "output": r.output,
                          "verdict": parse_verdict(r.output), "prompt_tokens": r.prompt_tokens,
                          "output_tokens": r.output_tokens, "seconds": r.seconds,
                          "batch_id": r.batch_id, "device": run.replay.device, "error": r.error})
        batches += [{**asdict(b), "device": run.replay.device} for b in run.replay.batches]
    common = [pl.lit(day).alias("day"), pl.lit(cfg.models["small"].model_key).alias("small_key"),
              pl.lit(cfg.models["large"].model_key).alias("large_key"),
              pl.lit(spec.model_key).alias("judge_key"), pl.lit(version).alias("scoring_version")]
    call_frame = pl.DataFrame(calls, schema_overrides={"output": pl.String, "error": pl.String,
                                                        "seconds": pl.Float64}).with_columns(*common)
    batch_frame = pl.DataFrame(batches).with_columns(pl.lit(day).alias("day"),
                                                     pl.lit(spec.model_key).alias("model_key"))
    return call_frame, batch_frame


def _record_judge(con, cfg: PlanBConfig, day, version: str, runs) -> dict:
    spec = judge_spec(cfg)
    if spec is None:
        return {}
    con.execute(f"DELETE FROM judge_calls WHERE {_PAIR}",
                [day, cfg.models["small"].model_key, cfg.models["large"].model_key, version])
    if not runs:
        return {"judge_calls": 0}
    calls, batches = _judge_frames(cfg, day, version, runs)
    insert_rows(con, "judge_calls", calls)
    insert_rows(con, "replay_batches", batches)
    replace_rows(con, "models", pl.DataFrame({
        "model_key": [spec.model_key], "name": [spec.name], "role": ["judge"], "backend": [spec.backend],
        "spec_json": [json.dumps(spec.model_dump(mode="json"))]}), "model_key = ?", [spec.model_key])
    return {"judge_calls": calls.height, "judge_output_tokens": int(calls["output_tokens"].sum()),
            "judge_device_seconds": float(calls["seconds"].sum() or 0.0)}


@dg.asset(partitions_def=daily_partitions, deps=["small_replays", "large_replays"],
          group_name="score", kinds={"pytorch", "duckdb"}, pool=WRITER_POOL)
def agreement(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Exact match, token F1, containment, ROUGE-L, content containment and embedding cosine
    of each small/large answer pair, the judge's score in the uncertain band when a judge is
    configured, and the agree label, under the configured rule's scoring_version (re-scored
    when the rule changes)."""
    cfg = planb.load()
    day = partition_day(context)
    small_key, large_key = cfg.models["small"].model_key, cfg.models["large"].model_key
    version, rule = current_scoring_version(cfg), rule_from_config(cfg.agreement)
    with writer(cfg.data_dir) as con:
        pairs = q.replay_pairs(con, day, small_key, large_key)
    embedder = load_embedder(embedder_path(cfg.agreement.embedding_model), cfg.agreement.embedding_device)
    runs: list = []
    metrics = score_pairs(pairs["small_output"].to_list(), pairs["large_output"].to_list(),
                          embedder=embedder, rule=rule, questions=pairs["query"].to_list(),
                          judge=_judge(cfg, pairs, runs))
    scored = pairs.select("request_id").with_columns(
        pl.lit(day).alias("day"), pl.lit(small_key).alias("small_key"),
        pl.lit(large_key).alias("large_key"), pl.lit(version).alias("scoring_version"),
        *[pl.Series(name, values, dtype=pl.Float64) for name, values in metrics.items()
          if name not in ("agree", "decided_by")],
        pl.Series("agree", metrics["agree"], dtype=pl.Boolean),
        pl.Series("decided_by", metrics["decided_by"], dtype=pl.String),
    )
    with writer(cfg.data_dir) as con:
        replace_rows(con, "agreement", scored, _PAIR, [day, small_key, large_key, version])
        con.execute(
            "INSERT INTO scoring_versions SELECT ?, ?, ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM scoring_versions WHERE scoring_version = ?)",
            [version, rule.describe(), json.dumps({**asdict(rule), "embedding_model": cfg.agreement.embedding_model}),
             datetime.now(timezone.utc).replace(tzinfo=None), version])
        judged = _record_judge(con, cfg, day, version, runs)
        preview = day_rows(con, "agreement", day)
    means = {f"mean_{m}": float(scored[m].mean()) if scored.height else None
             for m in ("exact", "token_f1", "rouge_l", "cosine")}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": scored.height,
            "agree_share": float(scored["agree"].mean()) if scored.height else None,
            **means, "scoring_version": version, "rule": rule.describe(),
            "decided_by": json.dumps(dict(Counter(metrics["decided_by"]))), **judged,
            "preview": markdown_preview(preview),
        }
    )


@dg.asset(partitions_def=daily_partitions, deps=["agreement"], group_name="score", kinds={"duckdb"},
          pool=WRITER_POOL)
def router_scores(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Each configured router's score in [0, 1] for every sampled request of the day (the
    oracle reads the agree label of the current scoring_version only)."""
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        inputs = q.router_inputs(con, day, cfg.models["small"].model_key, cfg.models["large"].model_key,
                                 current_scoring_version(cfg))
        # Routers trained on the whole window (query_classifier) are scored by their own asset.
        daily = [router for router in cfg.projection.routers if not ROUTERS[router].trained]
        frames = [
            inputs.select("request_id").with_columns(
                pl.lit(day).alias("day"), pl.lit(router).alias("router"),
                pl.Series("score", score_requests(router, inputs, seed=cfg.projection.seed), dtype=pl.Float64),
                pl.lit(True).alias("in_sample"),
            )
            for router in daily
        ]
        scores = pl.concat(frames)
        trained = [router for router in ROUTERS if ROUTERS[router].trained]
        replace_rows(con, "router_scores", scores, "day = ? AND NOT list_contains(?, router)", [day, trained])
        summary = router_score_summary(con, day)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": scores.height, "routers": ", ".join(daily),
                  "preview": markdown_preview(summary)}
    )
