"""`planb demo`: the whole flow on the configured log (ingest, replay, score and project every
day through Dagster, as `planb run` does), then the summary, then the bundled real pair imported
beside it (assets/cli/import_replays.py).

    planb demo
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    sub.add_parser("demo", help="run the whole flow on the configured log and print a summary").set_defaults(
        func=cmd_demo)


def _check_logged_costs(cfg) -> None:
    """A logged model is never timed: its cost must come from `planb calibrate-gpu`."""
    from scoring.config import ConfigError
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
    from assets.cli.import_replays import import_demo_pair
    from assets.cli.ingest import landing_days
    from assets.cli.run import run_days
    from assets.cli.summary import summary
    from scoring.config import load_config
    from scoring.replay.weights import resolve_weights
    from warehouse.keys import PIPELINE

    cfg = load_config(args.config, data_dir=args.data_dir)
    for spec in cfg.models.values():
        if spec.weights is not None:
            resolve_weights(spec.weights)  # fail before any work if a model package is missing
    _check_logged_costs(cfg)
    days = landing_days(cfg)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a summary, not a wall of progress bars
    print(f"Plan B demo: {len(days)} days of logs from {cfg.landing_dir}, warehouse in {cfg.data_dir}", flush=True)
    # Runs are recorded where `make dagster` looks, so the UI shows the demo's history.
    run_days(cfg, days, config_path=args.config, echo=lambda line: print(line, flush=True))
    small, large = cfg.models["small"].name, cfg.models["large"].name
    print(f"\nLive replay of the bundled toy pair (dataset {PIPELINE!r}): {small} (small) and {large} (large) "
          f"on {len(days)} days of the sample log, run here on this machine.")
    print(summary(cfg))
    # A real pair beside the toy one, so the dashboard's dataset picker opens savings that mean something.
    print("\n" + import_demo_pair(cfg), flush=True)
    print(f"\nSnapshot: {Path(cfg.data_dir) / 'snapshot.duckdb'}   Next: make dashboard, or planb sql \"SELECT ...\"")
