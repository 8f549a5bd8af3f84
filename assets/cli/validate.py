"""`planb validate-agreement`: reproduce docs/AGREEMENT_VALIDATION.md and the fitted thresholds
(validation/data/agreement_fit.json) from the committed validation set.
`planb validate-judge`: measure the configured judge against the strong judge's verdicts on the
long-answer validation set and write docs/JUDGE_VALIDATION.md.

    planb validate-agreement [--judge]
    planb validate-judge [--per-set N]
"""

from __future__ import annotations

import argparse


def cmd_validate_agreement(args: argparse.Namespace) -> None:
    from scoring.validation.__main__ import validate
    from scoring.validation.report import FIT_FILE, REPORT_FILE

    rule = validate(config=args.config, judge=args.judge)
    print(f"fitted rule: {rule}\nwrote {REPORT_FILE} and {FIT_FILE}")


def cmd_validate_judge(args: argparse.Namespace) -> None:
    from scoring.agreement.rule import judge_spec
    from scoring.config import load_config
    from scoring.validation.judge_verdicts import (
        JUDGE_FILE,
        REPORT_FILE,
        cached_verdicts,
        judge_figures,
        judge_missing,
        parity_rows,
        render_report,
    )
    from scoring.validation.sets import load_longform_set

    cfg = load_config(args.config)
    spec = judge_spec(cfg, even_if_disabled=True)  # measured whether or not the pipeline uses it yet
    chars = cfg.agreement.judge.max_answer_chars
    labelled = load_longform_set()
    rows = parity_rows(labelled, per_set=args.per_set or None)
    asked, most = 0, max(sum(r["set"] == name for r in rows) for name in {r["set"] for r in rows})
    # One more pair of each set at a time, kept as soon as judged: a slow judge can be stopped
    # and its verdicts so far give the report of a smaller --per-set.
    for k in range(1, most + 1):
        new = judge_missing(JUDGE_FILE, spec, parity_rows(labelled, per_set=k), cache_dir=str(cfg.model_cache_dir),
                            max_answer_chars=chars)
        asked += new
        if new:
            print(f"judged {k} pair(s) of each set", flush=True)
    figs = judge_figures(rows, cached_verdicts(JUDGE_FILE, spec.model_key, [r["pair_id"] for r in rows]))
    REPORT_FILE.write_text(render_report(spec, figs, per_set=args.per_set or None, max_answer_chars=chars),
                           encoding="utf-8")
    overall = figs[-1]
    print(f"judge {spec.name}: {overall.pairs} pairs ({asked} asked now), accuracy {overall.accuracy[0]:.1%}, "
          f"kappa {overall.kappa[0]:.3f}, position bias {overall.position_bias[0] or 0:.1%}, "
          f"{overall.seconds_per_pair:.2f} device-s and {overall.prompt_tokens_per_pair:,.0f} prompt tokens a pair"
          f"\nwrote {REPORT_FILE} (verdicts kept in {JUDGE_FILE})")


def add_parser(sub) -> None:
    parser = sub.add_parser("validate-agreement",
                            help="fit the agree rule on the validation set and write its report")
    parser.add_argument("--judge", action="store_true",
                        help="also ask the configured judge about every test pair (slow on a CPU)")
    parser.set_defaults(func=cmd_validate_agreement)
    judge = sub.add_parser("validate-judge", help="measure the configured judge against the strong judge's "
                           "verdicts on the long-answer validation set")
    judge.add_argument("--per-set", type=int, default=0,
                       help="at most this many test pairs of each set (0: all; a CPU judge takes seconds a pair)")
    judge.set_defaults(func=cmd_validate_judge)
