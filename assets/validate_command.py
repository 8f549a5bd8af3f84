"""`planb validate-agreement`: reproduce docs/AGREEMENT_VALIDATION.md and the fitted thresholds
(scoring/validation/agreement_fit.json) from the committed validation set.

    planb validate-agreement [--judge]
"""

from __future__ import annotations

import argparse


def cmd_validate_agreement(args: argparse.Namespace) -> None:
    from scoring.validation.__main__ import validate
    from scoring.validation.report import FIT_FILE, REPORT_FILE

    rule = validate(config=args.config, judge=args.judge)
    print(f"fitted rule: {rule}\nwrote {REPORT_FILE} and {FIT_FILE}")


def add_parser(sub) -> None:
    parser = sub.add_parser("validate-agreement",
                            help="fit the agree rule on the validation set and write its report")
    parser.add_argument("--judge", action="store_true",
                        help="also ask the configured judge about every test pair (slow on a CPU)")
    parser.set_defaults(func=cmd_validate_agreement)
