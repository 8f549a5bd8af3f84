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
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from assets.cli import calibrate as calibrate_command
from assets.cli import import_replays as import_command
from assets.cli import ingest as ingest_command
from assets.cli import run as run_command
from assets.cli import score_pairs as score_pairs_command
from assets.cli import validate as validate_command
from assets.cli.summary import summary
from scoring.costs.calibration import CalibrationError
from scoring.config import ConfigError, PlanBConfig, load_config
from scoring.replay.weights import ModelWeightsError, resolve_weights
from scoring.replay.imported import ReplayImportError
from warehouse.db import NoSnapshotError, SnapshotQueryError, query_snapshot
from warehouse.ingestion import LogInputError

USER_ERRORS = (ConfigError, ModelWeightsError, LogInputError, NoSnapshotError, CalibrationError,
               ReplayImportError, run_command.RunFailedError, score_pairs_command.PairsInputError)


def _log_days(cfg: PlanBConfig) -> list[str]:
    return ingest_command.landing_days(cfg)


def _check_logged_costs(cfg: PlanBConfig) -> None:
    """A logged model is never timed: its cost must come from `planb calibrate-gpu`."""
    from warehouse.db import writer
    from warehouse.pipeline_queries import calibrated_model_keys

    logged = {role: spec for role, spec in cfg.models.items() if spec.backend == "logged"}
    if not logged:
        return
    with writer(cfg.data_dir) as con:
        known = calibrated_model_keys(con)
    for role, spec in logged.items():
        if spec.model_key not in known:
            raise ConfigError(
                f"models.{role} ({spec.name}) uses the logged backend, which times nothing: measure "
                f"its cost first with `planb calibrate-gpu CONFIG.json --role {role}` "
                f"(CONFIG.json: the config.json of its architecture)"
            )


def cmd_demo(args: argparse.Namespace) -> None:
    cfg = load_config(args.config, data_dir=args.data_dir)
    for spec in cfg.models.values():
        if spec.weights is not None:
            resolve_weights(spec.weights)  # fail before any work if a model package is missing
    _check_logged_costs(cfg)
    days = _log_days(cfg)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a summary, not a wall of progress bars
    print(f"Plan B demo: {len(days)} days of logs from {cfg.landing_dir}, warehouse in {cfg.data_dir}", flush=True)
    # Runs are recorded where `make dagster` looks, so the UI shows the demo's history.
    run_command.run_days(cfg, days, config_path=args.config, echo=lambda line: print(line, flush=True))
    small, large = cfg.models["small"].name, cfg.models["large"].name
    print(f"\nLive replay of the bundled toy pair (dataset 'pipeline'): {small} (small) and {large} (large) "
          f"on {len(days)} days of the sample log, run here on this machine.")
    print(summary(cfg))
    # A real pair beside the toy one, so the dashboard's dataset picker opens savings that mean something.
    print("\n" + import_command.import_demo_pair(cfg), flush=True)
    print(f"\nSnapshot: {Path(cfg.data_dir) / 'snapshot.duckdb'}   Next: make dashboard, or planb sql \"SELECT ...\"")


def cmd_sql(args: argparse.Namespace) -> None:
    import polars as pl

    cfg = load_config(args.config, data_dir=args.data_dir)
    try:  # one read-only statement on the snapshot; anything else is refused (warehouse/db.py)
        frame = query_snapshot(cfg.data_dir, args.query)
    except SnapshotQueryError as err:
        raise SystemExit(f"planb sql: {err}") from None
    if args.format == "csv":
        sys.stdout.write(frame.write_csv())
    elif args.format == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200):
            print(frame)


def cmd_dashboard(args: argparse.Namespace) -> None:
    cfg = load_config(args.config, data_dir=args.data_dir)
    app = Path(importlib.util.find_spec("dashboards").origin).parent / "app.py"
    env = {**os.environ, "PLANB_DATA_DIR": str(Path(cfg.data_dir).resolve())}
    # No first-run e-mail prompt (it waits on stdin) and no usage statistics sent anywhere.
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
               "--server.showEmailPrompt", "false", "--browser.gatherUsageStats", "false"]
    raise SystemExit(subprocess.call(command + (["--server.headless", "true"] if args.headless else []), env=env))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="planb", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="config YAML (default: $PLANB_CONFIG, ./planb.yaml, or built in)")
    parser.add_argument("--data-dir", help="warehouse folder (default from the config: ./data)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the whole flow on the configured log and print a summary").set_defaults(func=cmd_demo)
    sql = sub.add_parser("sql", help="read-only SQL on the published snapshot")
    sql.add_argument("query")
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql.set_defaults(func=cmd_sql)
    dash = sub.add_parser("dashboard", help="open the Streamlit dashboard")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--headless", action="store_true")
    dash.set_defaults(func=cmd_dashboard)
    calibrate_command.add_parser(sub)
    validate_command.add_parser(sub)
    ingest_command.add_parser(sub)
    run_command.add_parser(sub)
    import_command.add_parser(sub)
    score_pairs_command.add_parser(sub)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from PyPI packages, never a hub
    try:
        args.func(args)
    except USER_ERRORS as err:
        raise SystemExit(f"planb {args.command}: {err}") from None


if __name__ == "__main__":
    main()
