"""Ingest log files into ``chat_logs`` and ``rejected_log_rows``, each file once.

Per file: its sha256 is looked up in ``ingested_files`` (a file already ingested is skipped, under
any name) and its format detected. Then batch by batch (a few tens of MB, so memory stays flat
however large the file): one query (``formats.py``, ``normalise.py``, ``redact.py``) stages the
batch as an Arrow table in a scratch in-memory database, a thread ahead of the writer
(``stage.py``); accepted rows are appended to chat_logs and rejected ones to rejected_log_rows
with one INSERT ... SELECT each, and each accepted row's keys are kept aside. At the end, duplicates are found on those keys (the same request id, or the
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

from warehouse.ingestion.dedup import KEY_TABLES, TEMP_TABLES, SeenKeys, dedupe
from warehouse.ingestion.errors import LogInputError
from warehouse.ingestion.redact import KINDS
from warehouse.ingestion.sources import FORMATS, detect_format, list_log_files, sha256
from warehouse.ingestion.stage import Staged, ahead, scratch_connection, stage_file

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
    """Set up the writer's key tables; return the scratch connection batches are staged in."""
    con.execute(f"SET memory_limit = '{settings.memory_limit}'")
    # 24 bytes a row however long the ids: hashes find the candidates, exact values decide
    con.execute(KEY_TABLES)
    return scratch_connection()


def _cleanup(con: duckdb.DuckDBPyConnection) -> None:
    for table in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


_STORED = ", ".join(c for c in CHAT_LOG_COLUMNS if c not in ("source_file", "source_sha256"))
_INSERT_ROWS = (f"INSERT INTO {{table}} ({_STORED}, source_file, source_sha256) "
                f"SELECT {_STORED}, $file, $sha FROM staged_rows WHERE reason IS NULL AND held = {{held}}")


def _store_batch(con, staged: Staged, seen: SeenKeys, report: FileReport, file_order: int, raw_chars: int) -> None:
    """Append a staged batch to the writer's tables (INSERT ... SELECTs over its Arrow table):
    accepted rows to chat_logs, or to held_rows when they may repeat an earlier row
    (``dedup.py``); count what happened into ``report``."""
    staged_rows = staged.rows.append_column("held", seen.maybe_repeats(staged.rows))  # noqa: F841 - read by DuckDB
    for table, held in (("chat_logs", "false"), ("held_rows", "true")):
        con.execute(_INSERT_ROWS.format(table=table, held=held), {"file": report.path, "sha": report.sha256})
    # A file that grew since it was ingested comes back whole under a new sha256: its old bad
    # lines are quarantined already, so only lines not stored before are added.
    con.execute("INSERT INTO rejected_log_rows (day, source_file, source_line, reason, detail, raw) "
                f"SELECT day, $file, source_line, reason, detail, left(raw, {raw_chars}) FROM staged_rows s "
                f"WHERE reason IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rejected_log_rows r WHERE "
                f"r.source_file = $file AND r.source_line = s.source_line AND r.raw = left(s.raw, {raw_chars})) "
                "ORDER BY source_line", {"file": report.path})
    con.execute(f"INSERT INTO ingest_keys SELECT {file_order}, source_line, id_key, session_key "
                "FROM staged_rows WHERE reason IS NULL")
    for reason, records, *counts, days in staged.counts:
        report.records += records
        if reason is not None:
            report.rejected[reason] += records
        report.redacted.update({k: int(n) for k, n in zip(KINDS, counts) if n})
        report.days.update(days or [])


def _stage(con, scratch, seen: SeenKeys, report: FileReport, file_order: int, settings: IngestSettings,
           only_day: date | None = None) -> None:
    con.execute("INSERT INTO ingest_files VALUES (?, ?)", [file_order, report.sha256])
    read, batches = stage_file(scratch, report.path, report.format, salt=settings.salt,
                               max_field_chars=settings.max_field_chars, context_turns=settings.context_turns,
                               only_day=only_day)
    for staged in ahead(batches):
        _store_batch(con, staged, seen, report, file_order, settings.raw_chars)
    for number, text in read.bad_rows:  # CSV rows with the wrong number of cells
        report.records += 1
        report.rejected["wrong_type"] += 1
        con.execute("INSERT INTO rejected_log_rows (day, source_file, source_line, reason, detail, raw) "
                    "SELECT NULL, $file, $line, 'wrong_type', 'CSV row with the wrong number of cells', $raw "
                    "WHERE NOT EXISTS (SELECT 1 FROM rejected_log_rows WHERE source_file = $file "
                    "AND source_line = $line AND raw = $raw)",
                    {"file": report.path, "line": number or 0, "raw": text[: settings.raw_chars]})


def _dedupe(con, reports: list[FileReport], stored: str, params: dict) -> None:
    """Drop this call's duplicates (``dedup.py``); count them and the accepted rows."""
    for order, duplicate, n in dedupe(con, stored, params):
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
        scratch, seen = _prepare(con, settings), SeenKeys()
        for order, report in enumerate(todo):
            _stage(con, scratch, seen, report, order, settings)
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
    scratch, seen = _prepare(con, settings), SeenKeys()
    for order, (path, size, digest, fmt) in enumerate(registered):
        now = sha256(path)
        if now != digest:
            raise LogInputError(f"{path} changed since it was ingested (sha256 {digest[:12]}..., now "
                                f"{now[:12]}...): day {day} cannot be read from it again; restore it")
        report = FileReport(path, digest, size, fmt, "reingested")
        _stage(con, scratch, seen, report, order, settings, only_day=day)
        reports.append(report)
    _dedupe(con, reports, "{t}.day <> $day", {"day": day})
    _cleanup(con)
    scratch.close()
    return reports
