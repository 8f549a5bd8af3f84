"""Ingest log files into ``chat_logs`` and ``rejected_log_rows``, each file once.

Per file: its sha256 is looked up in ``ingested_files`` (a file already ingested is skipped, under
any name) and its format detected. Then batch by batch (a few tens of MB, so memory stays flat
however large the file): the format's SELECT and the normalising one (``formats.py``,
``normalise.py``) stage the batch in a scratch in-memory database, flagged rows are redacted, accepted
rows are appended to chat_logs and rejected ones to rejected_log_rows, and each accepted row's
keys are kept aside. At the end, duplicates are found on those keys (the same request id, or the
same session, timestamp and query, as a row stored before or one earlier in file order) and
deleted, and each file is registered with its counts. All inside the caller's transaction
(``warehouse.db.writer``), so a failure leaves nothing half-done.

``reingest_day`` replaces one day: its rows are deleted and the day's records of the files that
held it are read again (under the current config: salt, limits, redaction), leaving one copy.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date

import duckdb

from warehouse.ingestion.errors import LogInputError
from warehouse.ingestion.formats import MACROS as FORMAT_MACROS
from warehouse.ingestion.formats import conversation_sql, flat_sql, openai_sql, tabular_sql
from warehouse.ingestion.normalise import Limits, redact_staged, staged_sql
from warehouse.ingestion.readers import read_batches
from warehouse.ingestion.redact import KINDS
from warehouse.ingestion.redact import MACROS as REDACT_MACROS
from warehouse.ingestion.sources import FORMATS, detect_format, list_log_files, sha256

CHAT_LOG_COLUMNS = ("day", "request_id", "ts", "session_id", "user_hash", "surface", "mode", "language",
                    "query", "response", "model", "prompt_tokens", "completion_tokens", "latency_ms",
                    "context", "source_file", "source_line", "source_sha256")


@dataclass(frozen=True)
class IngestSettings:
    """What ingestion needs from the config (``scoring.config.IngestConfig`` and ``user_salt``)."""

    salt: str
    max_field_chars: int = 100_000
    raw_chars: int = 2_000
    context_turns: int = 6
    memory_limit: str = "2GB"


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    sha256: str
    size: int
    format: str
    status: str  # ingested, already_ingested (see same_as), reingested
    same_as: str | None = None
    records: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)  # by reason
    duplicates: Counter = field(default_factory=Counter)  # request_id, session_query
    redacted: Counter = field(default_factory=Counter)  # email, card, ip, phone
    days: set[date] = field(default_factory=set)


def _prepare(con: duckdb.DuckDBPyConnection, settings: IngestSettings) -> duckdb.DuckDBPyConnection:
    """Set up the writer's key tables; return the scratch connection batches are staged in.

    Batches are staged in a separate in-memory database, in autocommit: a table replaced inside
    the writer's transaction would keep every earlier version until commit, so memory would grow
    with the input."""
    con.execute(f"SET memory_limit = '{settings.memory_limit}'")
    scratch = duckdb.connect(config={"memory_limit": "1GB"})
    scratch.execute("SET TimeZone = 'UTC'")
    scratch.execute(FORMAT_MACROS)
    scratch.execute(REDACT_MACROS)
    # 24 bytes a row however long the ids: hashes find the candidates, exact values decide
    con.execute("CREATE OR REPLACE TEMP TABLE ingest_keys (file_order INTEGER, source_line BIGINT, "
                "id_key UBIGINT, session_key UBIGINT)")
    con.execute("CREATE OR REPLACE TEMP TABLE ingest_files (file_order INTEGER, source_sha256 VARCHAR)")
    return scratch


def _cleanup(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("ingest_keys", "ingest_files", "dup_candidates", "dropped"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _extract_sql(fmt: str, source: str, columns: dict[str, str] | None, settings: IngestSettings) -> str:
    if fmt in ("csv", "parquet"):
        return tabular_sql(source, columns or {})
    if fmt == "openai":
        return openai_sql(source, context_turns=settings.context_turns)
    if fmt == "conversation":
        return conversation_sql(source, context_turns=settings.context_turns)
    return flat_sql(source)


def _store_batch(con, scratch, report: FileReport, file_order: int, only_day: date | None, raw_chars: int) -> None:
    """Move the scratch connection's staged ``batch_rows`` into the writer's tables; count what
    happened into ``report``."""
    redact_staged(scratch, "batch_rows")
    day = "AND day = $day" if only_day else ""
    params = {"day": only_day} if only_day else {}
    # Read by DuckDB from this local variable (a replacement scan): a view registered inside the
    # writer's transaction would keep every batch alive until commit.
    staged_batch = scratch.sql(f"FROM batch_rows WHERE true {day}", params=params).to_arrow_table()  # noqa: F841
    columns = ", ".join(CHAT_LOG_COLUMNS)
    con.execute(f"INSERT INTO chat_logs ({columns}) SELECT {columns.replace('source_sha256', '$sha')} "
                "FROM staged_batch WHERE reason IS NULL", {"sha": report.sha256})
    con.execute("INSERT INTO rejected_log_rows (day, source_file, source_line, reason, detail, raw) "
                f"SELECT day, source_file, source_line, reason, detail, left(raw, {raw_chars}) FROM staged_batch "
                "WHERE reason IS NOT NULL ORDER BY source_line")
    con.execute(f"INSERT INTO ingest_keys SELECT {file_order}, source_line, hash(request_id), "
                "CASE WHEN session_id IS NOT NULL THEN hash(session_id, ts, query) END "
                "FROM staged_batch WHERE reason IS NULL")
    sums = ", ".join(f"sum(n_{k})" for k in KINDS)
    for reason, records, *counts, days in scratch.execute(
            f"SELECT reason, count(*), {sums}, list(DISTINCT day) FILTER (day IS NOT NULL) "
            f"FROM batch_rows WHERE true {day} GROUP BY reason", params).fetchall():
        report.records += records
        if reason is not None:
            report.rejected[reason] += records
        report.redacted.update({k: int(n) for k, n in zip(KINDS, counts) if n})
        report.days.update(days or [])


def _stage(con, scratch, report: FileReport, file_order: int, settings: IngestSettings,
           only_day: date | None = None) -> None:
    con.execute("INSERT INTO ingest_files VALUES (?, ?)", [file_order, report.sha256])
    read = read_batches(report.path, report.format)
    limits = Limits(settings.max_field_chars)
    sql = None
    for batch in read.batches:
        if sql is None:
            extracted = _extract_sql(report.format, "incoming_batch", read.columns, settings)
            sql = "CREATE OR REPLACE TEMP TABLE batch_rows AS " + staged_sql(
                extracted, source_file=report.path, salt=settings.salt, limits=limits)
        scratch.register("incoming_batch", batch)
        scratch.execute(sql)
        scratch.unregister("incoming_batch")
        _store_batch(con, scratch, report, file_order, only_day, settings.raw_chars)
    for number, text in read.bad_rows:  # CSV rows with the wrong number of cells
        report.records += 1
        report.rejected["wrong_type"] += 1
        con.execute("INSERT INTO rejected_log_rows (day, source_file, source_line, reason, detail, raw) "
                    "VALUES (NULL, ?, ?, 'wrong_type', 'CSV row with the wrong number of cells', ?)",
                    [report.path, number or 0, text[: settings.raw_chars]])


# Only keys seen twice among the new rows, or already stored, can be duplicates: aggregates over
# the keys' hashes find those few, and only they are looked up and ranked on their exact values
# (a window over every new row would sort them all). {stored} selects, with alias {t}, the rows
# stored before this call.
_CANDIDATES = """
    CREATE OR REPLACE TEMP TABLE dup_candidates AS
    WITH twice_id AS (SELECT id_key FROM ingest_keys GROUP BY id_key HAVING count(*) > 1),
    twice_session AS (SELECT session_key FROM ingest_keys WHERE session_key IS NOT NULL
                      GROUP BY session_key HAVING count(*) > 1),
    stored_id AS (SELECT DISTINCT hash(request_id) AS id_key FROM chat_logs c
                  WHERE {stored_c} AND hash(request_id) IN (SELECT id_key FROM ingest_keys)),
    stored_session AS (SELECT DISTINCT hash(session_id, ts, query) AS session_key FROM chat_logs c
                       WHERE {stored_c} AND session_id IS NOT NULL
                         AND hash(session_id, ts, query) IN (SELECT session_key FROM ingest_keys)),
    candidates AS (
        SELECT * FROM ingest_keys
        WHERE id_key IN (SELECT id_key FROM twice_id) OR id_key IN (SELECT id_key FROM stored_id)
           OR session_key IN (SELECT session_key FROM twice_session)
           OR session_key IN (SELECT session_key FROM stored_session)
    )
    SELECT k.file_order, f.source_sha256, k.source_line, c.request_id, c.session_id, c.ts, c.query,
           EXISTS (SELECT 1 FROM chat_logs s WHERE {stored_s} AND s.request_id = c.request_id) AS stored_id
    FROM candidates k JOIN ingest_files f USING (file_order)
    JOIN chat_logs c ON c.source_sha256 = f.source_sha256 AND c.source_line = k.source_line
                    AND hash(c.request_id) = k.id_key
"""
_DROPPED = """
    CREATE OR REPLACE TEMP TABLE dropped AS
    WITH by_id AS (
        SELECT *, stored_id OR row_number() OVER (PARTITION BY request_id
                                                  ORDER BY file_order, source_line, request_id) > 1 AS dup_id
        FROM dup_candidates
    ), judged AS (
        SELECT *, CASE
            WHEN dup_id THEN 'request_id'
            WHEN session_id IS NOT NULL AND (
                EXISTS (SELECT 1 FROM chat_logs s WHERE {stored_s} AND s.session_id = b.session_id
                        AND s.ts = b.ts AND s.query = b.query)
                OR row_number() OVER (PARTITION BY dup_id, session_id, ts, query
                                      ORDER BY file_order, source_line, request_id) > 1)
            THEN 'session_query' END AS duplicate
        FROM by_id b
    )
    SELECT file_order, source_sha256, source_line, request_id, duplicate FROM judged WHERE duplicate IS NOT NULL
"""


def _dedupe(con, reports: list[FileReport], stored: str, params: dict) -> None:
    """Delete this call's rows that duplicate a stored row or an earlier new one; count them."""
    stored_c, stored_s = stored.format(t="c"), stored.format(t="s")
    con.execute(_CANDIDATES.format(stored_c=stored_c, stored_s=stored_s), params)
    con.execute(_DROPPED.format(stored_s=stored_s), params)
    con.execute("DELETE FROM chat_logs c USING dropped d WHERE c.source_sha256 = d.source_sha256 "
                "AND c.source_line = d.source_line AND c.request_id = d.request_id")
    for order, duplicate, n in con.execute("SELECT file_order, duplicate, count(*) FROM dropped GROUP BY ALL").fetchall():
        reports[order].duplicates[duplicate] = n
    for report in reports:
        report.accepted = report.records - sum(report.rejected.values()) - sum(report.duplicates.values())


def _register(con, report: FileReport) -> None:
    con.execute(
        "INSERT INTO ingested_files (path, size, sha256, format, ingested_at, records, accepted, rejected, "
        "duplicates, redacted, days) VALUES (?, ?, ?, ?, now() AT TIME ZONE 'UTC', ?, ?, ?, ?, ?, ?)",
        [report.path, report.size, report.sha256, report.format, report.records, report.accepted,
         sum(report.rejected.values()), sum(report.duplicates.values()), json.dumps(dict(report.redacted)),
         sorted(report.days)],
    )


def ingest_paths(con: duckdb.DuckDBPyConnection, paths: Sequence[str], settings: IngestSettings, *,
                 fmt: str = "auto") -> list[FileReport]:
    """Ingest every log file under ``paths`` (files or folders) not ingested before; one report a file.

    Example:
        >>> with writer("data") as con:  # doctest: +SKIP
        ...     reports = ingest_paths(con, ["landing/"], IngestSettings(salt="s"))
    """
    if fmt != "auto" and fmt not in FORMATS:
        raise LogInputError(f"unknown format {fmt!r}: one of auto, {', '.join(FORMATS)}")
    files = [f for p in paths for f in list_log_files(p)]
    known = dict(con.execute("SELECT sha256, path FROM ingested_files").fetchall())
    # A file at a registered path, of the registered size, not modified since it was ingested, is
    # that file: it is not read again to hash it (a landing folder is listed on every run).
    unchanged = {(path, size): (digest, when.replace(tzinfo=UTC).timestamp()) for path, size, digest, when
                 in con.execute("SELECT path, size, sha256, max(ingested_at) FROM ingested_files GROUP BY ALL").fetchall()}
    reports, todo = [], []
    for f in files:
        digest, ingested = unchanged.get((f.path, f.size), (None, None))
        if digest is None or f.mtime_ns is None or f.mtime_ns / 1e9 > ingested:
            digest = sha256(f.path)
        report = FileReport(f.path, digest, f.size, fmt, "ingested")
        if digest in known:
            report.status, report.same_as = "already_ingested", known[digest]
        else:
            report.format = detect_format(f.path) if fmt == "auto" else fmt
            known[digest] = f.path
            todo.append(report)
        reports.append(report)
    if todo:
        scratch = _prepare(con, settings)
        for order, report in enumerate(todo):
            _stage(con, scratch, report, order, settings)
        _dedupe(con, todo, "NOT list_contains($shas, coalesce({t}.source_sha256, ''))",
                {"shas": [r.sha256 for r in todo]})
        for report in todo:
            _register(con, report)
        _cleanup(con)  # on an error the writer rolls back and closes: temp tables go with it
        scratch.close()
    return reports


def reingest_day(con: duckdb.DuckDBPyConnection, day: date, settings: IngestSettings) -> list[FileReport]:
    """Replace ``day`` in chat_logs and rejected_log_rows with that day's records of the registered
    files that hold it, read again; a file changed since it was ingested is an error."""
    registered = con.execute("SELECT path, size, sha256, format FROM ingested_files WHERE list_contains(days, ?) "
                             "ORDER BY ingested_at, path", [day]).fetchall()
    con.execute("DELETE FROM chat_logs WHERE day = ?", [day])
    con.execute("DELETE FROM rejected_log_rows WHERE day = ?", [day])
    reports = []
    scratch = _prepare(con, settings)
    for order, (path, size, digest, fmt) in enumerate(registered):
        now = sha256(path)
        if now != digest:
            raise LogInputError(f"{path} changed since it was ingested (sha256 {digest[:12]}..., now "
                                f"{now[:12]}...): day {day} cannot be read from it again; restore it")
        report = FileReport(path, digest, size, fmt, "reingested")
        _stage(con, scratch, report, order, settings, only_day=day)
        reports.append(report)
    _dedupe(con, reports, "{t}.day <> $day", {"day": day})
    _cleanup(con)
    scratch.close()
    return reports
