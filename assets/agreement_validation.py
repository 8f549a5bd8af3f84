"""agreement_validation: how far the configured agree label can be trusted, on the validation sets."""

import dagster as dg

from assets.resources import PlanBResource
from scoring.agreement.rule import current_scoring_version, rule_from_config
from scoring.agreement.embedding import configured_embedder
from scoring.validation.by_kind import by_kind_table, quality_by_kind, score_rows, validation_rows
from scoring.validation.report import ValidationResult, evaluate, load_set, quality_table, read_fit, score_set


@dg.asset(group_name="score", kinds={"pytorch"})
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
    for name, q in quality.items():
        key = name.replace(" ", "_")
        for measure, (value, lo, hi) in (("precision", q.precision), ("recall", q.recall)):
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
