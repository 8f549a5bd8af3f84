"""Stage 3, agreement: each day's answer pairs scored (scoring.agreement.table), the checks that
guard them, and agreement_validation, how far the configured label can be trusted on the
validation sets."""

import json
from dataclasses import asdict
from datetime import date

import dagster as dg
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import check_result, markdown_preview, share_of
from assets.resources import PlanBResource, partition_day, scoring_key
from scoring.agreement.embedding import configured_embedder
from scoring.agreement.rule import current_scoring_version, rule_from_config
from scoring.agreement.table import JudgeLedger, score_pair_table
from scoring.validation.by_kind import by_kind_table, quality_by_kind, score_rows, validation_rows
from scoring.validation.report import ValidationResult, evaluate, quality_table, read_fit, score_set
from scoring.validation.sets import load_set
from warehouse import check_queries as cq
from warehouse import pipeline_queries as q
from warehouse.db import utc_now, writer
from warehouse.keys import ScoringKey
from warehouse.previews import day_rows


def _record_judge(con, day: date, key: ScoringKey, judge: JudgeLedger) -> dict:
    """Replace the day's judge_calls, add the judge's batches and model row; the judge's cost and
    position bias for the asset's metadata (the cost of the analysis)."""
    spec = judge.spec
    if spec is None:
        return {}
    if not judge.runs:
        q.replace_judge_calls(con, day, key)
        return judge.summary()
    keys = [pl.lit(day).alias("day"), pl.lit(key.small_key).alias("small_key"),
            pl.lit(key.large_key).alias("large_key"), pl.lit(spec.model_key).alias("judge_key"),
            pl.lit(key.scoring_version).alias("scoring_version")]
    batches = judge.batches().with_columns(pl.lit(day).alias("day"), pl.lit(spec.model_key).alias("model_key"))
    q.replace_judge_calls(con, day, key, judge.calls().with_columns(*keys), batches)
    q.register_model(con, spec.model_key, name=spec.name, role="judge", backend=spec.backend,
                     spec=spec.model_dump(mode="json"))
    return judge.summary()


@dg.asset(deps=["small_replays", "large_replays"], kinds={"pytorch", "duckdb"}, pool=WRITER_POOL)
def agreement(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Each small/large answer pair's kind of answer (short, core, open), every metric (exact,
    token F1, containment, ROUGE-L, content containment, embedding cosine, the judge's score where
    it was asked) and the agree label with what decided it, under the configured rule's
    scoring_version (re-scored when the rule changes). Open-ended pairs need the pairwise judge:
    without one they are unscored (agree NULL), counted here and left out of agreement."""
    cfg = planb.load()
    day = partition_day(context)
    key, rule = scoring_key(cfg), rule_from_config(cfg.agreement)
    with writer(cfg.data_dir) as con:
        pairs = q.replay_pairs(con, day, key.small_key, key.large_key)
    scored = score_pair_table(pairs.select("request_id", pl.col("query").alias("question"),
                                           pl.col("small_output").alias("small_answer"),
                                           pl.col("large_output").alias("large_answer")), cfg)
    table = scored.table
    rows = table.select("request_id").with_columns(
        pl.lit(day).alias("day"), pl.lit(key.small_key).alias("small_key"),
        pl.lit(key.large_key).alias("large_key"), pl.lit(key.scoring_version).alias("scoring_version"),
    ).hstack(table.drop("request_id"))
    with writer(cfg.data_dir) as con:
        q.store_agreement(con, day, key, rows)
        q.register_scoring_version(
            con, key.scoring_version, rule.describe(),
            json.dumps({**asdict(rule), "embedding_model": cfg.agreement.embedding_model}), utc_now())
        judged = _record_judge(con, day, key, scored.judge)
        preview = day_rows(con, "agreement", day)
    means = {f"mean_{m}": float(table[m].mean()) if table.height else None
             for m in ("exact", "token_f1", "rouge_l", "cosine")}
    judge = scored.judge.spec
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.height, **scored.counts(),
            **means, "scoring_version": key.scoring_version, "rule": rule.describe(),
            "judge": judge.name if judge else "none (open-ended pairs unscored)",
            **judged, "preview": markdown_preview(preview),
        }
    )


def _agreement_counts(context: dg.AssetCheckExecutionContext, planb: PlanBResource):
    """The config and the day's agreement counts under the current scoring version."""
    cfg = planb.load()
    with writer(cfg.data_dir) as con:
        return cfg, cq.agreement_day(con, partition_day(context), scoring_key(cfg))


@dg.asset_check(asset="agreement", blocking=True, pool=WRITER_POOL,
                description="every pair both models answered is scored under the current scoring version, "
                "and every metric is in its range (exact 0 or 1; F1, containment, ROUGE-L, judge in [0, 1]; "
                "cosine in [-1, 1])")
def agreement_metrics_in_range(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg, counts = _agreement_counts(context, planb)
    problems = [f"{counts[k]} {label}" for k, label in (
        ("missing", "answered pairs not scored"), ("out_of_range", "rows with a metric out of range")) if counts[k]]
    return check_result(problems, counts, f"{counts['scored']} pairs scored ({counts['unscored']} unscored), "
                        f"{counts['agree_share']:.1%} of the labelled ones agree")


@dg.asset_check(asset="agreement", blocking=False, pool=WRITER_POOL,
                description="warns when more than checks.max_unscored_share of the day's pairs are "
                "unscored (open-ended answers with no judge configured: left out of agreement, so "
                "agreement rests on the other pairs only)")
def agreement_unscored_share(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg, counts = _agreement_counts(context, planb)
    share, limit = share_of(counts["unscored"], counts["scored"]), cfg.checks.max_unscored_share
    found = f"{counts['unscored']} of {counts['scored']} pairs unscored ({share:.1%})"
    passed = share <= limit
    return dg.AssetCheckResult(
        passed=passed, severity=dg.AssetCheckSeverity.WARN,
        description=found + (f", at most checks.max_unscored_share = {limit:.0%}" if passed else
                             f", above checks.max_unscored_share = {limit:.0%}: configure a judge "
                             "(agreement.judge) to score open-ended answers"),
        metadata={"unscored": counts["unscored"], "scored": counts["scored"], "unscored_share": share,
                  "max_unscored_share": limit},
    )


@dg.asset(kinds={"pytorch"})
def agreement_validation(planb: PlanBResource) -> dg.MaterializeResult:
    """Precision and recall (Wilson 95% intervals) and Cohen's kappa (bootstrap 95%) of the
    configured agree label on the test split of the committed validation sets, per set
    (Natural Questions, MT-Bench, AlpacaEval) and per kind of answer (short, core, open), with
    the share of pairs it labels; and the short rule and each metric alone on Natural Questions
    (docs/AGREEMENT_VALIDATION.md). The judge is not run here: `planb validate-judge` measures it."""
    cfg = planb.load()
    rows = [r for r in load_set() if r["split"] == "test"]
    embedder = configured_embedder(cfg.agreement)
    scored = score_set(rows, embedder=embedder)
    rule = rule_from_config(cfg.agreement)
    thresholds = read_fit()["metric_thresholds"]
    quality, by_kind = evaluate(scored, rule, thresholds)
    metadata: dict = {"scoring_version": current_scoring_version(cfg), "rule": rule.describe(),
                      "test_pairs": len(rows)}
    for name, figures_of in quality.items():
        key = name.replace(" ", "_")
        for measure, (value, lo, hi) in (("precision", figures_of.precision), ("recall", figures_of.recall)):
            metadata[f"{key}_{measure}"] = value
            metadata[f"{key}_{measure}_ci95"] = None if value is None else f"[{lo:.3f}, {hi:.3f}]"
    all_rows = [r for r in validation_rows() if r["split"] == "test"]
    figures = quality_by_kind(all_rows, score_rows(all_rows, embedder=embedder, rule=rule))
    for f in figures:  # e.g. mt_bench_reference_core_precision, alpaca_eval_open_coverage
        key = f"{f.set}_{f.kind}"
        metadata[f"{key}_pairs"] = f.pairs
        metadata[f"{key}_coverage"] = None if f.coverage is None else round(f.coverage, 4)
        for measure, (value, lo, hi) in (("precision", f.quality.precision), ("recall", f.quality.recall),
                                         ("kappa", f.kappa)):
            finite = value is not None and value == value
            metadata[f"{key}_{measure}"] = round(float(value), 4) if finite else None
            metadata[f"{key}_{measure}_ci95"] = f"[{lo:.3f}, {hi:.3f}]" if finite and lo == lo else None
    metadata["open_pairs_labelled_by_a_lexical_threshold"] = sum(f.lexical_open for f in figures if f.kind == "open")
    table = quality_table(ValidationResult(rule, thresholds, quality, counts={}, by_kind=by_kind))
    metadata["report"] = dg.MetadataValue.md(table)
    metadata["report_by_kind"] = dg.MetadataValue.md(by_kind_table(figures))
    return dg.MaterializeResult(metadata=metadata)


CHECKS = [agreement_metrics_in_range, agreement_unscored_share]
