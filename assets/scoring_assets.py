"""agreement and router_scores for one day's sample."""

import json
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone

import dagster as dg
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import markdown_preview
from assets.resources import PlanBResource, partition_day, scoring_key
from scoring.agreement.rule import judge_spec, rule_from_config
from scoring.agreement.pairs import score_pairs
from scoring.config import PlanBConfig
from scoring.agreement.embedding import configured_embedder
from scoring.agreement.judge import JudgeRun, judge_cost, judge_generator, parity, position_flips, run_judge
from scoring.replay.engine import ReplayRun
from scoring.routing.routers import ROUTERS, score_requests
from warehouse import pipeline_queries as q
from warehouse.db import writer
from warehouse.keys import ScoringKey
from warehouse.previews import day_rows, router_score_summary

# score_pairs' columns that are not numeric metrics.
LABEL_COLUMNS = {"kind": pl.String, "agree": pl.Boolean, "decided_by": pl.String}


def judge_callback(cfg: PlanBConfig, ids: list[str], questions: list, small: list, large: list,
                   runs: list[tuple[list[int], JudgeRun]]):
    """The judge callback score_pairs calls on the pairs it leaves to the judge (each run kept
    in ``runs`` with its pair indices), or None without a judge."""
    spec = judge_spec(cfg)
    if spec is None:
        return None
    generate = judge_generator(spec, str(cfg.model_cache_dir))

    def judge(indices: list[int]) -> list[float]:
        run = run_judge([ids[i] for i in indices], [questions[i] for i in indices],
                        [small[i] for i in indices], [large[i] for i in indices],
                        generate=generate, max_answer_chars=cfg.agreement.judge.max_answer_chars)
        runs.append((list(indices), run))
        return run.score

    return judge


def judge_columns(n_pairs: int, runs: list[tuple[list[int], JudgeRun]]) -> dict[str, list]:
    """Per pair: answer characters cut from the judge's prompts and whether the engine cut a
    prompt (None where the judge was not asked)."""
    cut: list[int | None] = [None] * n_pairs
    truncated: list[bool | None] = [None] * n_pairs
    for indices, run in runs:
        for i, chars, short in zip(indices, run.chars_cut, run.prompt_truncated, strict=True):
            cut[i], truncated[i] = chars, short
    return {"judge_chars_cut": cut, "judge_prompt_truncated": truncated}


def judge_summary(runs: list[tuple[list[int], JudgeRun]]) -> dict:
    """The judge's cost (calls, tokens, device-seconds) and position bias over ``runs``."""
    merged = ReplayRun(results=[r for _, run in runs for r in run.replay.results])
    flips = [position_flips(run.preferences) for _, run in runs]
    flipped, comparable = sum(f for f, _ in flips), sum(c for _, c in flips)
    return {**judge_cost(merged), "judge_pairs": sum(len(i) for i, _ in runs),
            "judge_position_flips": flipped, "judge_pairs_with_both_verdicts": comparable,
            "judge_position_bias": flipped / comparable if comparable else None,
            "judge_chars_cut": sum(sum(run.chars_cut) for _, run in runs)}


def _judge_frames(cfg: PlanBConfig, day, key: ScoringKey, runs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """judge_calls rows and the judge's replay_batches rows, its cost counted like a replay's."""
    spec = judge_spec(cfg)
    calls, batches = [], []
    for _, run in runs:
        position = {pid: k for k, pid in enumerate(run.pair_ids)}
        for r in run.replay.results:
            request_id, order = r.request_id.rsplit("|", 1)
            k = position[request_id]
            preference = run.preferences[order][k]
            calls.append({"request_id": request_id, "answer_order": order, "output": r.output,
                          "preference": preference, "verdict": parity(preference),
                          "prompt_tokens": r.prompt_tokens, "output_tokens": r.output_tokens,
                          "seconds": r.seconds, "batch_id": r.batch_id, "device": run.replay.device,
                          "error": r.error, "prompt_truncated": r.prompt_truncated,
                          "chars_cut": run.chars_cut[k]})
        batches += [{**asdict(b), "device": run.replay.device} for b in run.replay.batches]
    common = [pl.lit(day).alias("day"), pl.lit(key.small_key).alias("small_key"),
              pl.lit(key.large_key).alias("large_key"),
              pl.lit(spec.model_key).alias("judge_key"), pl.lit(key.scoring_version).alias("scoring_version")]
    call_frame = pl.DataFrame(calls, schema_overrides={"output": pl.String, "error": pl.String,
                                                        "preference": pl.String,
                                                        "seconds": pl.Float64}).with_columns(*common)
    batch_frame = pl.DataFrame(batches).with_columns(pl.lit(day).alias("day"),
                                                     pl.lit(spec.model_key).alias("model_key"))
    return call_frame, batch_frame


def _record_judge(con, cfg: PlanBConfig, day, key: ScoringKey, runs) -> dict:
    """Replace the day's judge_calls, add the judge's batches and model row; the judge's cost and
    position bias for the asset's metadata (the cost of the analysis)."""
    spec = judge_spec(cfg)
    if spec is None:
        return {}
    summary = judge_summary(runs)
    if not runs:
        q.replace_judge_calls(con, day, key)
        return summary
    calls, batches = _judge_frames(cfg, day, key, runs)
    q.replace_judge_calls(con, day, key, calls, batches)
    q.register_model(con, spec.model_key, name=spec.name, role="judge", backend=spec.backend,
                     spec=spec.model_dump(mode="json"))
    return summary


def label_counts(metrics: dict[str, list]) -> dict:
    """Pairs by kind of answer and by what decided them, the unscored ones (agree None: open-ended
    with no judge) and the agree share among the scored ones only.

    Example:
        >>> label_counts({"kind": ["short", "open"], "agree": [True, None], "decided_by": ["token_f1", "unscored"]})
        {'pairs_by_kind': '{"short": 1, "open": 1}', 'decided_by': '{"token_f1": 1, "unscored": 1}', 'scored_pairs': 1, 'unscored_pairs': 1, 'unscored_share': 0.5, 'agree_share': 1.0}
    """
    agree = metrics["agree"]
    scored = [a for a in agree if a is not None]
    kinds = metrics.get("kind") or [None] * len(agree)
    return {"pairs_by_kind": json.dumps(dict(Counter(str(k) for k in kinds))),
            "decided_by": json.dumps(dict(Counter(metrics["decided_by"]))),
            "scored_pairs": len(scored), "unscored_pairs": len(agree) - len(scored),
            "unscored_share": (len(agree) - len(scored)) / len(agree) if agree else None,
            "agree_share": sum(scored) / len(scored) if scored else None}


def agreement_frame(request_ids: list[str], metrics: dict[str, list], **constants) -> pl.DataFrame:
    """One agreement row a pair: ``constants`` (day, keys, version), every numeric metric as a
    float, kind, agree (null when unscored), decided_by and the judge's cut flags."""
    columns = [pl.Series("request_id", request_ids, dtype=pl.String),
               *[pl.Series(name, [value] * len(request_ids)) for name, value in constants.items()]]
    for name, values in metrics.items():
        dtype = LABEL_COLUMNS.get(name, pl.Int32 if name == "judge_chars_cut" else
                                  pl.Boolean if name == "judge_prompt_truncated" else pl.Float64)
        columns.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(columns)


@dg.asset(deps=["small_replays", "large_replays"],
          group_name="score", kinds={"pytorch", "duckdb"}, pool=WRITER_POOL)
def agreement(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Each small/large answer pair's kind of answer (short, core, open), every metric (exact,
    token F1, containment, ROUGE-L, content containment, embedding cosine, the judge's score where
    it was asked) and the agree label with what decided it, under the configured rule's
    scoring_version (re-scored when the rule changes). Open-ended pairs need the pairwise judge:
    without one they are unscored (agree NULL), counted here and left out of agreement."""
    cfg = planb.load()
    day = partition_day(context)
    key, rule = scoring_key(cfg), rule_from_config(cfg.agreement)
    small_key, large_key, version = key.small_key, key.large_key, key.scoring_version
    with writer(cfg.data_dir) as con:
        pairs = q.replay_pairs(con, day, small_key, large_key)
    embedder = configured_embedder(cfg.agreement)
    runs: list = []
    ids, questions = pairs["request_id"].to_list(), pairs["query"].to_list()
    small, large = pairs["small_output"].to_list(), pairs["large_output"].to_list()
    metrics = score_pairs(small, large, embedder=embedder, rule=rule, questions=questions,
                          judge=judge_callback(cfg, ids, questions, small, large, runs))
    metrics = {**metrics, **judge_columns(len(ids), runs)}
    scored = agreement_frame(ids, metrics, day=day, small_key=small_key, large_key=large_key,
                             scoring_version=version)
    with writer(cfg.data_dir) as con:
        q.store_agreement(con, day, key, scored)
        q.register_scoring_version(
            con, version, rule.describe(),
            json.dumps({**asdict(rule), "embedding_model": cfg.agreement.embedding_model}),
            datetime.now(timezone.utc).replace(tzinfo=None))
        judged = _record_judge(con, cfg, day, key, runs)
        preview = day_rows(con, "agreement", day)
    means = {f"mean_{m}": float(scored[m].mean()) if scored.height else None
             for m in ("exact", "token_f1", "rouge_l", "cosine")}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": scored.height, **label_counts(metrics),
            **means, "scoring_version": version, "rule": rule.describe(),
            "judge": judge_spec(cfg).name if judge_spec(cfg) else "none (open-ended pairs unscored)",
            **judged, "preview": markdown_preview(preview),
        }
    )


@dg.asset(deps=["agreement"], group_name="score", kinds={"duckdb"},
          pool=WRITER_POOL)
def router_scores(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Each configured router's score in [0, 1] for every sampled request of the day (the
    oracle reads the agree label of the current scoring_version only)."""
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        inputs = q.router_inputs(con, day, scoring_key(cfg))
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
        q.store_day_router_scores(con, day, scores, keep=trained)
        summary = router_score_summary(con, day)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": scores.height, "routers": ", ".join(daily),
                  "preview": markdown_preview(summary)}
    )
