"""Reproduce the agreement validation report: score the committed validation set, fit the rule
on its fit split, measure it on its test split, write docs/AGREEMENT_VALIDATION.md and
scoring/validation/agreement_fit.json.

    python -m scoring.validation [--judge] [--config planb.yaml]

``--judge`` also asks the configured judge (default: the large model) about every test pair
it has no verdict on yet, in both orders, keeping the verdicts in judge_verdicts.jsonl; the
report shows the judge alone and the rule with the judge in its band whenever the configured
judge has a kept verdict on every test pair.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scoring.agreement_rule import judge_spec
from scoring.config import load_config
from scoring.embedding import embedder_path, load_embedder
from scoring.validation.judge_verdicts import JUDGE_FILE, cached_scores, judge_missing
from scoring.validation.questions import AGREEMENT_SET_FILE
from scoring.validation.report import (
    FIT_FILE,
    REPORT_FILE,
    fit_and_evaluate,
    load_set,
    render_markdown,
    score_set,
    write_fit,
)


def validate(*, config: str | None = None, judge: bool = False, set_path: Path = AGREEMENT_SET_FILE,
             report: Path = REPORT_FILE, fit_file: Path = FIT_FILE, judge_file: Path = JUDGE_FILE) -> str:
    """Run the whole validation; returns the fitted rule in words."""
    cfg = load_config(config)
    rows = load_set(set_path)
    embedder = load_embedder(embedder_path(cfg.agreement.embedding_model), cfg.agreement.embedding_device)
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
    write_fit(result, fit_file)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(render_markdown(result, n_pairs=len(rows), judge_name=judge_name), encoding="utf-8")
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
