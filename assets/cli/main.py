"""The `planb` command: demo, sql and dashboard.

    planb demo                       ingest, replay, score and project every day of the log, then summarise
    planb run [--from D] [--to D]    every stage for a range of days (default yesterday), then project and publish
    planb sql "SELECT ..." [--format table|csv|json]
    planb dashboard                  the Streamlit dashboard on the published snapshot
    planb calibrate-gpu CONFIG.json  cost model of a model not downloaded (random weights)
    planb validate-agreement         fit the agree rule on the validation set, write its report
    planb validate-judge             measure the configured judge against a strong judge's verdicts
    planb ingest PATH...             ingest log files (any supported format); counts per file
    planb import-replays FILE        routers and savings projection for replay results made elsewhere
    planb score-pairs IN OUT         score a table of answer pairs (no warehouse), one row per pair
    planb reviews export|import|sample   human reviews out of / into the reviews store; draw the review sample

This module only builds the argument tree from each command module's ``add_parser`` and
dispatches; a command imports what it needs (Dagster, torch, scikit-learn, ...) when it runs, so
`planb --help` and `planb sql` start fast (bench/cli_startup.py).
"""

from __future__ import annotations

import argparse
import os

from assets.cli import calibrate, dashboard, demo, import_replays, ingest, reviews, run, score_pairs, sql, validate

# The errors a user can fix (a bad config, a missing model package, an unreadable log, no
# snapshot yet, ...): printed as one line, not a traceback. Named rather than imported because
# their modules pull in polars, scipy or pyarrow; a class whose module a command never loaded
# cannot have been raised. tests/assets/cli/test_main_startup.py checks every name resolves.
USER_ERRORS = frozenset({
    "scoring.config_file.ConfigError",
    "scoring.replay.weights.ModelWeightsError",
    "warehouse.ingestion.errors.LogInputError",
    "warehouse.db.NoSnapshotError",
    "scoring.costs.calibration.CalibrationError",
    "scoring.replay.imported.ReplayImportError",
    "assets.cli.run.RunFailedError",
    "assets.cli.score_pairs.PairsInputError",
    "warehouse.reviews.ReviewInputError",
})


def is_user_error(err: BaseException) -> bool:
    """Whether ``err`` is (a subclass of) one of USER_ERRORS.

    Example:
        >>> from assets.cli.run import RunFailedError
        >>> is_user_error(RunFailedError("x")), is_user_error(KeyError("x"))
        (True, False)
    """
    return any(f"{cls.__module__}.{cls.__qualname__}" in USER_ERRORS for cls in type(err).__mro__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planb", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="config YAML (default: $PLANB_CONFIG, ./planb.yaml, or built in)")
    parser.add_argument("--data-dir", help="warehouse folder (default from the config: ./data)")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (demo, sql, dashboard, calibrate, validate, ingest, run, import_replays, score_pairs, reviews):
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from PyPI packages, never a hub
    try:
        args.func(args)
    except Exception as err:
        if not is_user_error(err):
            raise
        raise SystemExit(f"planb {args.command}: {err}") from None


if __name__ == "__main__":
    main()
