"""agreement_validation: how far the configured agree label can be trusted, on the validation set."""

import dagster as dg

from assets.resources import PlanBResource
from scoring.agreement_rule import current_scoring_version, rule_from_config
from scoring.embedding import embedder_path, load_embedder
from scoring.validation.report import ValidationResult, evaluate, load_set, quality_table, read_fit, score_set


@dg.asset(group_name="score", kinds={"pytorch"})
def agreement_validation(planb: PlanBResource) -> dg.MaterializeResult:
    """Precision and recall, with Wilson 95% intervals, of the configured agree rule and of
    each metric alone (at its fitted threshold) on the test split of the committed validation
    set (docs/AGREEMENT_VALIDATION.md). The judge is not run here: `planb validate-agreement
    --judge` measures it."""
    cfg = planb.load()
    rows = [r for r in load_set() if r["split"] == "test"]
    embedder = load_embedder(embedder_path(cfg.agreement.embedding_model), cfg.agreement.embedding_device)
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
    table = quality_table(ValidationResult(rule, thresholds, quality, counts={}, by_kind=by_kind))
    metadata["report"] = dg.MetadataValue.md(table)
    return dg.MaterializeResult(metadata=metadata)
