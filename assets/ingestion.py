"""chat_logs: the landing folder's log records for one UTC day, normalised; bad rows quarantined."""

import dagster as dg
import polars as pl

from assets.partitions import daily_partitions
from assets.resources import PlanBResource, partition_day
from warehouse.db import replace_partition, replace_rows, writer
from warehouse.ingest import log_files, parse_logs


@dg.asset(partitions_def=daily_partitions, group_name="ingest", kinds={"duckdb"})
def chat_logs(context: dg.AssetExecutionContext, planb: PlanBResource) -> dg.MaterializeResult:
    """Normalised, user-hashed, deduplicated search-chat requests of one day (table chat_logs);
    every line that cannot be read goes to rejected_log_rows with its reason."""
    cfg = planb.load()
    day = partition_day(context)
    files = log_files(cfg.landing_dir)
    parsed = parse_logs(files, salt=cfg.user_salt)
    rows = parsed.accepted.filter(pl.col("day") == day)
    rejected = parsed.rejected.filter(pl.col("day") == day)
    undated = parsed.rejected.filter(pl.col("day").is_null())
    with writer(cfg.data_dir) as con:
        replace_partition(con, "chat_logs", day, rows)
        replace_partition(con, "rejected_log_rows", day, rejected)
        # Rows with no readable day belong to no partition: each ingest replaces them per file.
        names = [str(f) for f in files]
        replace_rows(con, "rejected_log_rows", undated,
                     "day IS NULL AND list_contains(?, source_file)", [names])
    reasons = rejected["reason"].value_counts().sort("reason")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows.height,
            "rejected_rows": rejected.height,
            "rejected_without_day": undated.height,
            "duplicates_removed": parsed.duplicates,
            "files": len(files),
            "rejected_by_reason": dg.MetadataValue.json(dict(reasons.iter_rows())),
        }
    )
