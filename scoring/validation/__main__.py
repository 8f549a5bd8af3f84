"""Reproduce the agreement validation report: score the committed validation sets (Natural
Questions, the long-answer set and the worked-solution set), fit the rule on their fit split, measure it on their test
split per set and per kind of answer, measure the parity predictor on model pairs it was not fitted
on, write docs/AGREEMENT_VALIDATION.md and validation/data/agreement_fit.json.

    python -m scoring.validation [--judge] [--config planb.yaml]

``--judge`` also asks the configured judge (default: the large model) about every test pair
it has no verdict on yet, in both orders, keeping the verdicts in judge_verdicts.jsonl; the
report shows the judge alone and the rule with the judge in its band whenever the configured
judge has a kept verdict on every test pair.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

from scoring.agreement.embedding import configured_embedder
from scoring.agreement.rule import judge_spec
from scoring.config import load_config
from scoring.validation.by_kind import (
    WORKED_SETS,
    fit_core_entity_threshold,
    fit_core_number_tolerance,
    quality_by_kind,
    score_rows,
    unboxed_rows,
    validation_rows,
)
from scoring.validation.judge_verdicts import cached_scores, judge_missing
from scoring.validation.kind_report import render_full_report
from scoring.validation.parity import render_section, run_validation, write_section
from scoring.validation.report import REPORT_FILE, fit_and_evaluate, score_set, write_fit
from scoring.validation.sets import AGREEMENT_SET_FILE, FIT_FILE, JUDGE_FILE, load_set

SHORT_KIND_TOKENS = 40  # the longest Natural Questions pair is 35 tokens; long answers start near 50


def validate(*, config: str | None = None, judge: bool = False, set_path: Path = AGREEMENT_SET_FILE,
             report: Path = REPORT_FILE, fit_file: Path = FIT_FILE, judge_file: Path = JUDGE_FILE) -> str:
    """Run the whole validation; returns the fitted rule in words."""
    cfg = load_config(config)
    rows = load_set(set_path)
    embedder = configured_embedder(cfg.agreement)
    scored = score_set(rows, embedder=embedder)
    spec = judge_spec(cfg, even_if_disabled=True)
    test_rows = scored.part("test").rows
    if judge:
        judge_missing(judge_file, spec, test_rows, cache_dir=str(cfg.model_cache_dir),
                      max_answer_chars=cfg.agreement.judge.max_answer_chars)
    # The judge's rows whenever its verdicts on every test pair are kept (judge_verdicts.jsonl).
    judge_scores = cached_scores(judge_file, spec.model_key, [r["pair_id"] for r in test_rows])
    judge_name = None if judge_scores is None else f"{spec.name} ({spec.backend}, model_key {spec.model_key})"
    band = cfg.agreement.judge.band if judge_scores is not None else 0.0
    result = fit_and_evaluate(scored, judge_band=band, judge_scores=judge_scores)
    # The kinds' settings: the short kind's cut is set, not fitted (docs/AGREEMENT_VALIDATION.md
    # says why); the entity threshold and the number tolerance are fitted on the fit split.
    base = replace(result.rule, short_kind_tokens=SHORT_KIND_TOKENS)
    all_rows = validation_rows()
    first = score_rows(all_rows, embedder=embedder, rule=base)
    rule = replace(base, core_entity_threshold=fit_core_entity_threshold(all_rows, first, base),
                   core_number_tolerance=fit_core_number_tolerance(all_rows, first, base))
    result.rule = rule
    final = score_rows(all_rows, embedder=embedder, rule=rule)
    figures = quality_by_kind(all_rows, final)
    # The worked sets against their source's parsed finals as they are, and without their boxes.
    source = quality_by_kind(all_rows, final, sets=WORKED_SETS, truth="source_truth")
    plain_rows = unboxed_rows(all_rows)
    plain = quality_by_kind(plain_rows, score_rows(plain_rows, embedder=embedder, rule=rule),
                            sets=tuple(f"{s}_unboxed" for s in WORKED_SETS))
    write_fit(result, fit_file)
    blob = json.loads(fit_file.read_text(encoding="utf-8"))
    blob["by_kind"] = [f.as_dict() for f in figures]
    fit_file.write_text(json.dumps(blob, indent=2) + "\n", encoding="utf-8")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(render_full_report(result, figures, all_rows, final, n_nq_pairs=len(rows), judge_name=judge_name,
                                         worked_checks={"source": source, "unboxed": plain}), encoding="utf-8")
    # The parity predictor's section (held out by model pair, and the width of quality kept's interval).
    write_section(report, render_section(run_validation(cfg)))
    return result.rule.describe()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scoring.validation", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="config YAML (embedding model, judge)")
    parser.add_argument("--judge", action="store_true", help="also run the configured judge on the test split")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rule = validate(config=args.config, judge=args.judge)
    print(f"fitted rule: {rule}\nwrote {REPORT_FILE} and {FIT_FILE}")


if __name__ == "__main__":
    main()
