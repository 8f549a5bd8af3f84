"""`planb run`: the pipeline over a range of days through Dagster, as a backfill runs it: each
day's partition of planb_daily (ingest, sample, replay, score, with their checks), then
planb_window once (cost models, projection, publish). Runs are recorded in the Dagster instance
(data/dagster_home unless $DAGSTER_HOME), tagged with one backfill id, so the UI shows them.

    planb run                                  yesterday (UTC), like the nightly schedule
    planb run --from 2026-11-01 --to 2026-11-07

A day that fails (a blocking check, a step error) does not stop the others, but the window is
then left as it was: the published snapshot never mixes a failed day in.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from assets.instance import BACKFILL_TAG, dagster_instance, release_dead_runs, run_tags

if TYPE_CHECKING:  # imported when a run starts: `planb --help` and `planb sql` need neither
    import dagster as dg

    from scoring.config import PlanBConfig



class RunFailedError(RuntimeError):
    """A day or the window failed; the message names each with its first error."""


def add_parser(sub) -> None:
    run = sub.add_parser("run", help="run every stage for a range of days (a backfill), then project and "
                         "publish once")
    run.add_argument("--from", dest="first", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="first day (default: yesterday, UTC)")
    run.add_argument("--to", dest="last", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="last day, included (default: the first day)")
    run.set_defaults(func=cmd_run)


def day_range(first: date | None, last: date | None) -> list[str]:
    """ISO days from ``first`` to ``last`` inclusive; yesterday (UTC) by default.

    Example:
        >>> day_range(date(2026, 11, 1), date(2026, 11, 3))
        ['2026-11-01', '2026-11-02', '2026-11-03']
    """
    from warehouse.db import utc_now

    first = first or (utc_now().date() - timedelta(days=1))
    last = last or first
    if last < first:
        raise RunFailedError(f"--to {last} is before --from {first}")
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _why(result: dg.ExecuteInProcessResult) -> str:
    """The failed checks with what they found, else the failed steps' first error line."""
    import dagster as dg

    checks = [e.asset_check_evaluation_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = [c for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    if failed:
        return "; ".join(f"check {c.check_name} failed: {c.description}" for c in failed)
    steps = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return "; ".join(f"step {e.step_key} failed: {_first_line(e.step_failure_data.error)}"
                     for e in steps) or "the run failed"


def _first_line(error) -> str:
    """The user's error under Dagster's "Error occurred while executing op" wrapper."""
    while error.cause is not None and error.cls_name == "DagsterExecutionStepExecutionError":
        error = error.cause
    line = error.message.strip().splitlines()[0]
    prefix, _, rest = line.partition(": ")
    return rest if prefix.endswith(error.cls_name or "\0") else line  # "module.Class: message"


def run_days(cfg: PlanBConfig, days: list[str], *, config_path: str | None, echo=print,
             log_level: str = "WARNING") -> str:
    """Run each day's partition of planb_daily, then planb_window once; returns the backfill id.
    Raises RunFailedError naming every failed day (the window is then not run) or the window.
    Dagster's events go to its instance (the UI); the console gets those at ``log_level`` and up,
    and each step's start and end moves a progress bar (plain lines through ``echo`` off a terminal)."""
    from assets.cli.progress import StepProgress, steps
    from assets.definitions import build_definitions
    from assets.resources import PlanBResource

    # Partitions, jobs and resource all from this config, not the default's.
    defs = build_definitions(PlanBResource(config_path=config_path, data_dir=str(cfg.data_dir)))
    daily_job = defs.resolve_job_def("planb_daily")
    known = set(daily_job.partitions_def.get_partition_keys())
    outside = [day for day in days if day not in known]
    if outside:
        raise RunFailedError(f"no daily partition for {', '.join(outside)}: partitions run from "
                             f"{min(known, default='-')} to {max(known, default='-')} (first_day and last_day in the config)")
    instance = dagster_instance(Path(cfg.data_dir) / "dagster_home")
    for run_id in release_dead_runs(instance):  # a killed earlier run must not hold a pool slot
        echo(f"  run {run_id} was killed before it finished: marked failed, its pool slots freed")
    backfill = uuid.uuid4().hex[:8]
    options = {"instance": instance, "raise_on_error": False, "tags": {**run_tags(), BACKFILL_TAG: backfill},
               "run_config": {"loggers": {"console": {"config": {"log_level": log_level}}}}}
    window_job = defs.resolve_job_def("planb_window")
    failed = {}
    with StepProgress(len(days) * steps(daily_job) + steps(window_job), echo) as progress:
        for day in days:
            progress.say(f"  day {day}: ingest, sample, replay, score")
            with progress.run(instance, f"day {day}", steps(daily_job)) as run_id:
                result = daily_job.execute_in_process(partition_key=day, run_id=run_id, **options)
            if not result.success:
                failed[day] = _why(result)
                progress.say(f"  day {day} failed: {failed[day]}")
        if failed:
            raise RunFailedError(
                f"{len(failed)} of {len(days)} days failed ({'; '.join(f'{d}: {w}' for d, w in failed.items())}); "
                f"projection and snapshot left as they were: fix and run `planb run --from {min(failed)} --to {max(failed)}`")
        progress.say("  window: cost models, projection, publish")
        with progress.run(instance, "window", steps(window_job)) as run_id:
            result = window_job.execute_in_process(run_id=run_id, **options)
    if not result.success:
        published = bool(result.asset_materializations_for_node("published_snapshot"))
        raise RunFailedError(f"the window failed: {_why(result)}; " + (
            "the snapshot was published before it" if published else "the published snapshot is the previous one"))
    return backfill


def cmd_run(args: argparse.Namespace) -> None:
    from scoring.config import load_config

    cfg = load_config(args.config, data_dir=args.data_dir)
    days = day_range(args.first, args.last)
    print(f"Plan B run: {days[0]} to {days[-1]} ({len(days)} days), warehouse in {cfg.data_dir}", flush=True)
    backfill = run_days(cfg, days, config_path=args.config, echo=lambda line: print(line, flush=True))
    print(f"Done: runs tagged {BACKFILL_TAG}={backfill}; snapshot {Path(cfg.data_dir) / 'snapshot.duckdb'}")
