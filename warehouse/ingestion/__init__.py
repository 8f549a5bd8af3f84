"""Log ingestion: landing files in several formats into ``chat_logs``, bad records quarantined.

Example:
    >>> from warehouse.db import writer
    >>> with writer("data") as con:  # doctest: +SKIP
    ...     for report in ingest_paths(con, ["landing/"], IngestSettings(salt="s")):
    ...         print(report.path, report.accepted, dict(report.rejected))
"""

from warehouse.ingestion.errors import LogInputError
from warehouse.ingestion.load import (
           FileReport,
           IngestSettings,
           ingest_paths,
           reingest_day,
)
from warehouse.ingestion.sources import FORMATS, LogFile, is_url, list_log_files, sha256
from warehouse.ingestion.stats import day_counts, ingested_digests, registered_days

__all__ = ["FORMATS", "FileReport", "IngestSettings", "LogFile", "LogInputError", "day_counts", "ingest_paths",
           "ingested_digests", "is_url", "list_log_files", "registered_days", "reingest_day", "sha256"]
