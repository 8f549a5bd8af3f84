"""Stage 6, publish: the read-only snapshot the dashboard and `planb sql` open, with the instance's
latest runs and check results copied in, and the check that it was published whole.

What the Dagster instance knows about recent runs and asset check results goes in as two frames
for the warehouse's ``pipeline_runs`` and ``asset_check_results`` (migration 008), so the
dashboard's Data health page can show them from the snapshot alone. Check results are read from
the latest runs' own events rather than per check key: a run executed in-process (``planb run``,
``planb demo``) has no repository definition to list the keys from, and the instance does not
record a check's partition for checks that declare no partitions (ours), so it comes from the
run's partition tag anyway.
"""

from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.instance import BACKFILL_TAG, WRITER_POOL
from assets.metadata import markdown_preview, savings_metadata
from assets.resources import PlanBResource
from warehouse import check_queries as cq
from warehouse.db import migration_versions, open_snapshot, publish_snapshot
from warehouse.keys import PIPELINE
from warehouse.previews import recommended_savings, table_counts
from warehouse.run_history import write_run_history

RUN_LIMIT = 50  # runs copied to pipeline_runs
CHECK_RUN_LIMIT = 200  # runs whose check evaluations are read for asset_check_results

PARTITION_TAG = "dagster/partition"
DAGSTER_BACKFILL_TAG = "dagster/backfill"  # a backfill launched from the UI

RUN_SCHEMA = {
    "run_id": pl.String, "job_name": pl.String, "status": pl.String, "partition": pl.String,
    "backfill_id": pl.String, "launched_by": pl.String, "created_at": pl.Datetime("us"),
    "started_at": pl.Datetime("us"), "ended_at": pl.Datetime("us"),
}
CHECK_SCHEMA = {
    "asset": pl.String, "check_name": pl.String, "partition": pl.String, "passed": pl.Boolean,
    "severity": pl.String, "blocking": pl.Boolean, "description": pl.String, "run_id": pl.String,
    "evaluated_at": pl.Datetime("us"),
}


def _utc(value: float | datetime | None) -> datetime | None:
    """A naive UTC timestamp (the warehouse's convention) from epoch seconds or an aware datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)


def launched_by(tags: dict[str, str]) -> str:
    """Who started a run, from its tags: ``schedule:NAME``, ``sensor:NAME``, backfill or manual.

    Example:
        >>> launched_by({"dagster/schedule_name": "planb_nightly_schedule"})
        'schedule:planb_nightly_schedule'
        >>> launched_by({"planb/backfill": "1a2b3c4d"}), launched_by({})
        ('backfill', 'manual')
    """
    if "dagster/schedule_name" in tags:
        return f"schedule:{tags['dagster/schedule_name']}"
    if "dagster/sensor_name" in tags:
        return f"sensor:{tags['dagster/sensor_name']}"
    if DAGSTER_BACKFILL_TAG in tags or BACKFILL_TAG in tags:
        return "backfill"
    return "manual"


def _run_records(instance: dg.DagsterInstance, limit: int) -> list:
    # Newest first. The run publishing the snapshot is among them, still STARTED: its end is
    # not known yet when the snapshot is copied.
    return list(instance.get_run_records(limit=limit))


def recent_runs(instance: dg.DagsterInstance, *, limit: int = RUN_LIMIT) -> pl.DataFrame:
    """The latest ``limit`` runs, newest first: one row per run in ``pipeline_runs``' columns.

    Example:
        >>> recent_runs(context.instance).select("job_name", "status", "partition")  # doctest: +SKIP
    """
    return _runs_frame(_run_records(instance, limit))


def _runs_frame(records: Iterable) -> pl.DataFrame:
    rows = []
    for record in records:
        run, tags = record.dagster_run, record.dagster_run.tags
        rows.append({
            "run_id": run.run_id, "job_name": run.job_name, "status": run.status.value,
            "partition": tags.get(PARTITION_TAG),
            "backfill_id": tags.get(DAGSTER_BACKFILL_TAG) or tags.get(BACKFILL_TAG),
            "launched_by": launched_by(dict(tags)), "created_at": _utc(record.create_timestamp),
            "started_at": _utc(record.start_time), "ended_at": _utc(record.end_time),
        })
    return pl.DataFrame(rows, schema=RUN_SCHEMA)


def check_results(instance: dg.DagsterInstance, *, run_limit: int = CHECK_RUN_LIMIT) -> pl.DataFrame:
    """The latest evaluation of each (asset, check, partition) among the latest ``run_limit``
    runs, in ``asset_check_results``' columns. A check skipped because an upstream step failed
    has no evaluation in that run, so its earlier result stays the latest.

    Example:
        >>> check_results(context.instance).filter(~pl.col("passed"))  # doctest: +SKIP
    """
    rows = []
    for record in _run_records(instance, run_limit):
        run = record.dagster_run
        events = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
        ).records
        for event in events:
            entry = event.event_log_entry
            evaluation = entry.dagster_event.event_specific_data
            rows.append({
                "asset": evaluation.asset_key.to_user_string(), "check_name": evaluation.check_name,
                "partition": evaluation.partition or run.tags.get(PARTITION_TAG),
                "passed": evaluation.passed, "severity": evaluation.severity.value,
                "blocking": evaluation.blocking, "description": evaluation.description,
                "run_id": run.run_id, "evaluated_at": _utc(entry.timestamp),
            })
    frame = pl.DataFrame(rows, schema=CHECK_SCHEMA)
    return (
        frame.sort("evaluated_at", descending=True)
        .unique(["asset", "check_name", "partition"], keep="first", maintain_order=True)
    )


@dg.asset(deps=["routing_projection"], kinds={"duckdb"}, pool=WRITER_POOL)
def published_snapshot(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """The read-only copy of the warehouse that the dashboard and `planb sql` open, with the
    instance's latest runs and check results copied in (pipeline_runs, asset_check_results)."""
    cfg = planb.load()
    # Read here, not in the dashboard: it opens only the snapshot, never the Dagster instance.
    runs, checks = recent_runs(context.instance), check_results(context.instance)
    write_run_history(cfg.data_dir, runs, checks)
    path = publish_snapshot(cfg.data_dir)
    with closing(open_snapshot(cfg.data_dir)) as con:
        tables, recommended = table_counts(con), recommended_savings(con, PIPELINE)
    return dg.MaterializeResult(metadata={
        "path": str(path.resolve()), "bytes": path.stat().st_size,
        "dagster/row_count": int(tables["rows"].sum()), "tables": markdown_preview(tables, rows=100),
        "runs_recorded": runs.height, "check_results_recorded": checks.height,
        **savings_metadata(recommended),
    })


@dg.asset_check(asset="published_snapshot",
                description="the snapshot opens read-only, has every migration, and holds the state its "
                "last snapshot_log row describes (published whole, never half-written)")
def snapshot_is_consistent(planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    with closing(open_snapshot(cfg.data_dir)) as con:
        state = cq.snapshot_state(con, PIPELINE)
    problems = []
    missing = sorted(migration_versions() - state["migrations"])
    if missing:
        problems.append(f"migrations {missing} missing")
    if state["logged_rows"] != state["rows"]:
        problems.append(f"{state['rows']} chat_logs rows, its snapshot_log says {state['logged_rows']}")
    if not state["projected"]:
        problems.append("no routing_projection rows")
    return dg.AssetCheckResult(
        passed=not problems, severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(problems) or f"{state['rows']} chat_logs rows, {state['projected']} projection rows",
        metadata={"chat_logs_rows": state["rows"], "projection_rows": state["projected"]})


CHECKS = [snapshot_is_consistent]
