"""Reproduce the agreement validation report: score the committed validation set, fit the rule
on its fit split, measure it on its test split, write docs/AGREEMENT_VALIDATION.md and
scoring/validation/agreement_fit.json.

    python -m scoring.validation [--judge] [--config planb.yaml]

``--judge`` also asks the configured judge (default: the large model) about every test pair
in both orders, and reports the judge alone and the rule with the judge in its band.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from scoring.config import load_config
from scoring.embedding import embedder_path, load_embedder
from scoring.judge import judge_generator, run_judge
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
             report: Path = REPORT_FILE, fit_file: Path = FIT_FILE) -> str:
    """Run the whole validation; returns the fitted rule in words."""
    cfg = load_config(config)
    rows = load_set(set_path)
    embedder = load_embedder(embedder_path(cfg.agreement.embedding_model), cfg.agreement.embedding_device)
    scored = score_set(rows, embedder=embedder)
    judge_scores, judge_name = None, None
    if judge:
        spec_cfg = cfg.agreement.judge.model_copy(update={"enabled": True})
        spec = cfg.models[spec_cfg.model] if isinstance(spec_cfg.model, str) else spec_cfg.model
        spec = spec.model_copy(update={"max_new_tokens": spec_cfg.max_new_tokens})
        test = scored.part("test")
        run = run_judge([r["pair_id"] for r in test.rows], [r["query"] for r in test.rows],
                        [r["a"] for r in test.rows], [r["b"] for r in test.rows],
                        generate=judge_generator(spec, str(cfg.model_cache_dir)),
                        max_answer_chars=spec_cfg.max_answer_chars)
        judge_scores, judge_name = np.array(run.score), f"{spec.name} ({spec.backend})"
    band = cfg.agreement.judge.band if judge else 0.0
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
