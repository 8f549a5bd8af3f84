"""Stage 1, ingest: landing files into chat_logs once each, one partition a UTC day, a sensor on
the landing folder, and the checks that guard chat_logs (the day's rows and schema, its
rejected share)."""

import hashlib
import json
from contextlib import closing

import dagster as dg
from pydantic import Field

from assets.instance import WRITER_POOL
from assets.metadata import check_result, markdown_preview
from assets.resources import PlanBResource, ingest_landing, ingest_settings, partition_day
from warehouse import check_queries as cq
from warehouse.db import NoSnapshotError, open_snapshot, writer
from warehouse.ingestion import (
    FileReport,
    LogInputError,
    day_counts,
    ingest_paths,
    ingested_digests,
    is_url,
    list_log_files,
    reingest_day,
    sha256,
)
from warehouse.previews import day_rows

REJECTED_SHARE_CHECK = "rejected_share_within_limit"


def _files_table(reports: list[FileReport]) -> dg.MetadataValue:
    import polars as pl

    rows = [{"file": r.path.rsplit("/", 1)[-1], "format": r.format, "status": r.status, "accepted": r.accepted,
             "duplicates": sum(r.duplicates.values()), "rejected": json.dumps(dict(r.rejected)),
             "redacted": json.dumps(dict(r.redacted)), "quarantined": r.reason or ""} for r in reports]
    return markdown_preview(pl.DataFrame(rows), rows=100) if rows else dg.MetadataValue.md("no files")


@dg.asset(kinds={"duckdb"}, pool=WRITER_POOL)
def landing_files(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Every file of the landing folder ingested once (table ingested_files: path, size, sha256):
    its records go to chat_logs, whatever their days, and its bad records to rejected_log_rows."""
    reports = ingest_landing(planb.load(), progress=context.log.info)
    new = [r for r in reports if r.status in ("ingested", "reformatted")]
    quarantined = [r for r in reports if r.status == "quarantined"]
    days = sorted({d.isoformat() for r in new for d in r.days})
    context.log.info(f"{len(new)} new of {len(reports)} landing files, {len(quarantined)} quarantined; "
                     f"days {', '.join(days) or 'none'}")
    for r in quarantined:
        context.log.warning(f"quarantined {r.path}: {r.reason} ({r.detail})")
    return dg.MaterializeResult(metadata={
        "new_files": len(new), "files": len(reports), "days": dg.MetadataValue.json(days),
        "quarantined_files": len(quarantined),
        "dagster/row_count": sum(r.accepted for r in new),
        "rejected": sum(sum(r.rejected.values()) for r in new),
        "duplicates_removed": sum(sum(r.duplicates.values()) for r in new),
        "per_file": _files_table(reports),
    })


class ChatLogsConfig(dg.Config):
    reingest: bool = Field(
        False, description="read the day again from the landing files that hold it (under the current salt, "
        "limits and redaction), replacing its rows; otherwise only new landing files are ingested",
    )


@dg.asset(
    deps=[landing_files], kinds={"duckdb"}, pool=WRITER_POOL,
    check_specs=[dg.AssetCheckSpec(REJECTED_SHARE_CHECK, asset="chat_logs", blocking=True,
                                   description="the day's rejected records are at most ingest.max_rejected_share "
                                   "of its records")],
)
def chat_logs(context: dg.AssetExecutionContext, planb: PlanBResource, config: ChatLogsConfig) -> dg.MaterializeResult:
    """Normalised, PII-redacted, user-hashed, deduplicated search-chat requests of one UTC day
    (table chat_logs); the records that cannot be read are in rejected_log_rows with their reason."""
    cfg = planb.load()
    day = partition_day(context)
    settings = ingest_settings(cfg)
    with writer(cfg.data_dir) as con:
        reports = ingest_paths(con, [str(cfg.landing_dir)], settings, fmt=cfg.ingest.format, progress=context.log.info)
        fresh = any(day in r.days for r in reports if r.status in ("ingested", "reformatted"))
        if config.reingest and not fresh:
            reports = reingest_day(con, day, settings)
        accepted, rejected = day_counts(con, day)
        preview = day_rows(con, "chat_logs", day)
    records = accepted + sum(rejected.values())
    share = sum(rejected.values()) / records if records else 0.0
    limit = cfg.ingest.max_rejected_share
    check = dg.AssetCheckResult(
        check_name=REJECTED_SHARE_CHECK, passed=share <= limit,
        metadata={"rejected_share": share, "limit": limit, "rejected_by_reason": dg.MetadataValue.json(rejected)},
        description=f"{share:.2%} of {records} records of {day} rejected (limit {limit:.2%})",
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": accepted, "rejected_rows": sum(rejected.values()),
            "rejected_by_reason": dg.MetadataValue.json(rejected),
            "files_read": len([r for r in reports if r.status != "already_ingested"]),
            "per_file": _files_table([r for r in reports if r.status != "already_ingested"]),
            "preview": markdown_preview(preview),
        },
        check_results=[check],
    )


ingest_job = dg.define_asset_job("planb_ingest", selection=dg.AssetSelection.assets(landing_files),
                                 description="ingest the landing folder's new files")


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_sensor(context: dg.SensorEvaluationContext, planb: PlanBResource):
    """Starts planb_ingest when a file appears in the landing folder or changes (size or time),
    unless the published snapshot holds its bytes as ingested (the demo's files, on the first tick).
    The run skips files whose sha256 was ingested before, so a touched file loads nothing twice."""
    cfg = planb.load()
    try:
        files = list_log_files(cfg.landing_dir)
    except LogInputError as err:
        return dg.SkipReason(str(err))
    current = {f.path: [f.size, f.mtime_ns] for f in files}
    seen = json.loads(context.cursor) if context.cursor else {}
    new = sorted(path for path, stamp in current.items() if seen.get(path) != stamp)
    if not new:
        return dg.SkipReason(f"no new or changed files in {cfg.landing_dir}")
    context.update_cursor(json.dumps(current))
    new = [path for path in new if path not in _published_as_ingested(cfg.data_dir, new)]
    if not new:
        return dg.SkipReason(f"the new or changed files in {cfg.landing_dir} were ingested already (same sha256)")
    run_key = hashlib.sha256(json.dumps([[p, current[p]] for p in new]).encode()).hexdigest()[:32]
    return dg.RunRequest(run_key=run_key, tags={"planb/new_files": str(len(new))})


def _published_as_ingested(data_dir, paths: list[str]) -> set[str]:
    """The local files among ``paths`` whose bytes the published snapshot records as ingested from
    them: on the UI's first tick after `planb demo`, no run for the files the demo ingested. None
    without a snapshot (the run then skips what the warehouse has)."""
    try:
        with closing(open_snapshot(data_dir)) as con:
            digests = ingested_digests(con)
    except NoSnapshotError:
        return set()
    return {path for path in paths if not is_url(path) and path in digests and sha256(path) == digests[path]}


@dg.asset_check(asset="chat_logs", blocking=True, pool=WRITER_POOL,
                description="the day has at least checks.min_day_rows accepted rows, and each row keeps "
                "the normalised schema's rules: a unique request id, a non-empty query, a timestamp on "
                "its day, its source file and line")
def chat_logs_rows_and_schema(context: dg.AssetCheckExecutionContext, planb: PlanBResource) -> dg.AssetCheckResult:
    cfg = planb.load()
    day = partition_day(context)
    with writer(cfg.data_dir) as con:
        counts = cq.chat_logs_day(con, day)
    problems = [f"{counts[k]} {label}" for k, label in (
        ("duplicate_ids", "request ids seen twice"), ("empty_queries", "empty queries"),
        ("off_day_timestamps", f"timestamps not on {day}"), ("no_source", "rows without source line"))
        if counts[k]]
    if counts["rows"] < cfg.checks.min_day_rows:
        problems.insert(0, f"{counts['rows']} accepted rows for {day} ({counts['rejected']} rejected), "
                        f"fewer than checks.min_day_rows = {cfg.checks.min_day_rows}: did its logs arrive?")
    return check_result(problems, counts, f"{counts['rows']} rows for {day}, schema rules kept")


CHECKS = [chat_logs_rows_and_schema]
