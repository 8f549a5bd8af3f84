"""Ingest log files into ``chat_logs`` and ``rejected_log_rows``, each file once.

Per file: its sha256 is looked up in ``ingested_files`` (a file already ingested is skipped, under
any name, unless ``--format`` names another format than it was read with: then it is read again,
replacing what it gave) and its format detected. Then batch by batch (a few tens of MB, so memory
stays flat however large the file): one query (``formats.py``, ``normalise.py``, ``redact.py``)
stages the batch as an Arrow table in a scratch in-memory database, a thread ahead of the writer
(``stage.py``); accepted rows are appended to chat_logs and rejected ones to rejected_log_rows
with one INSERT ... SELECT each, and each accepted row's keys are kept aside. Small JSON-lines
files are staged many at a time (one query for a batch of files, not one each), with a progress
line per batch. At the end, duplicates are found on the keys (the same request id, or the same
session, timestamp and query, as a row stored before or one earlier in file order) and deleted,
and each file is registered with its counts. All inside the caller's transaction
(``warehouse.db.writer``).

A file that cannot be read as a whole (corrupt compression, not Parquet, a CSV without a header,
a symlink loop, an unreachable URL) is quarantined (``quarantined_files``): what it had staged is
taken back out, it is not registered, and the other files of the call land.

``reingest_day`` replaces one day: its rows are deleted and the day's records of the files that
held it are read again (under the current config: salt, limits, redaction), leaving one copy.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow as pa

from warehouse.db import utc_now
from warehouse.ingestion.dedup import KEY_TABLES, TEMP_TABLES, SeenKeys, dedupe
from warehouse.ingestion.errors import LogInputError
from warehouse.ingestion.files import READ_ERRORS, FileReport, IngestSettings, log, quarantine, undated_day
from warehouse.ingestion.normalise import Limits
from warehouse.ingestion.pii import redact_text
from warehouse.ingestion.redact import KINDS
from warehouse.ingestion.sources import (
    FORMATS,
    LogFile,
    compression_of,
    detect_format,
    is_url,
    list_log_files,
    read_small,
    sha256,
    shown_path,
    suffixes,
)
from warehouse.ingestion.stage import (
    FileToStage,
    Staged,
    ahead,
    lines_of_files,
    read_whole,
    scratch_connection,
    stage_bad_csv_rows,
    stage_batches,
    stage_file,
    staged_query,
    whole,
)

CHAT_LOG_COLUMNS = ("day", "request_id", "ts", "session_id", "user_hash", "surface", "mode", "language",
                    "query", "response", "model", "prompt_tokens", "completion_tokens", "latency_ms",
                    "context", "source_file", "source_line", "source_sha256")
LINE_FORMATS = ("flat", "openai", "conversation")
# Files this small (JSON lines) are read whole and staged many at a time: per file the cost is
# then a read and a sha256, not a query each (10,000 one-line files: 17 minutes before).
SMALL_FILE_BYTES = 1 << 20
BATCH_FILES = 2500
BATCH_BYTES = 32 << 20
KEPT_BYTES = 64 << 20  # small files' bytes kept from hashing to staging, at most
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
                f"SELECT {_STORED}, source_file, source_sha256 FROM staged_rows JOIN ingest_files USING (file_order) "
                "WHERE reason IS NULL AND held = {held}")
# a batch of one file (a large file's many batches): its path as a parameter, no join
_INSERT_FILE_ROWS = (f"INSERT INTO {{table}} ({_STORED}, source_file, source_sha256) "
                     f"SELECT {_STORED}, $file, $sha FROM staged_rows WHERE reason IS NULL AND held = {{held}}")
# A file that grew since it was ingested comes back whole under a new sha256: its old bad lines
# are quarantined already, so only lines not stored before are added.
_INSERT_REJECTED = (
    "INSERT INTO rejected_log_rows (day, source_file, source_line, reason, detail, raw, source_sha256) "
    "SELECT {day}, f.source_file, s.source_line, {reason}, s.detail, left(s.raw, {n}), f.source_sha256 "
    "FROM {table} s JOIN ingest_files f USING (file_order) WHERE {where} NOT EXISTS (SELECT 1 FROM rejected_log_rows r "
    "WHERE r.source_file = f.source_file AND r.source_line = s.source_line AND r.raw = left(s.raw, {n})) "
    "ORDER BY file_order, source_line")


class _Call:
    """One ingest call's state: the writer, scratch database, Bloom filter and the reports by order."""

    def __init__(self, con, settings: IngestSettings, reports: list[FileReport], only_day: date | None = None,
                 contents: dict[int, bytes] | None = None):
        self.con, self.settings, self.reports, self.only_day = con, settings, reports, only_day
        self.contents = contents or {}  # small files' bytes read while hashing them, by order
        self.scratch, self.seen = _prepare(con, settings), SeenKeys()
        started = utc_now()
        self.today = started.date()
        # the future starts a day past the run (clocks of the machines that logged drift)
        self.limits = Limits(settings.max_field_chars, earliest=datetime.combine(settings.earliest_day, datetime.min.time()),
                             latest=started + timedelta(days=1))
        files = pa.table({"file_order": pa.array(range(len(reports)), pa.int32()),  # noqa: F841 - read by DuckDB
                          "source_sha256": [r.sha256 for r in reports], "source_file": [r.path for r in reports]})
        con.execute("INSERT INTO ingest_files SELECT * FROM files")

    def file(self, order: int) -> FileToStage:
        report = self.reports[order]
        day = undated_day(report.path, report.mtime_ns, self.settings, self.today)
        return FileToStage(order, report.read_path or report.path, report.format,
                           datetime.combine(day, datetime.min.time()))

    def store(self, staged: Staged, order: int | None = None) -> None:
        """Append a staged batch to the writer's tables (INSERT ... SELECTs over its Arrow table):
        accepted rows to chat_logs, or to held_rows when they may repeat an earlier row
        (``dedup.py``); count what happened into the reports. ``order``: the one file the batch is of."""
        con = self.con
        staged_rows = staged.rows.append_column("held", self.seen.maybe_repeats(staged.rows))  # noqa: F841 - DuckDB
        for table, held in (("chat_logs", "false"), ("held_rows", "true")):
            if order is None:
                con.execute(_INSERT_ROWS.format(table=table, held=held))
            else:
                report = self.reports[order]
                con.execute(_INSERT_FILE_ROWS.format(table=table, held=held), {"file": report.path, "sha": report.sha256})
        con.execute(_INSERT_REJECTED.format(day="s.day", reason="s.reason", n=self.settings.raw_chars,
                                            table="staged_rows", where="s.reason IS NOT NULL AND"))
        con.execute("INSERT INTO ingest_keys SELECT file_order, source_line, id_key, session_key "
                    "FROM staged_rows WHERE reason IS NULL")
        for order, reason, records, *counts, days in staged.counts:
            report = self.reports[order]
            report.records += records
            if reason is not None:
                report.rejected[reason] += records
            report.redacted.update({k: int(n) for k, n in zip(KINDS, counts) if n})
            report.days.update(days or [])

    def take_back(self, order: int) -> None:
        """Remove what a file that failed half-way had stored in this call, and reset its counts."""
        report = self.reports[order]
        for table in ("chat_logs", "held_rows", "rejected_log_rows"):
            self.con.execute(f"DELETE FROM {table} WHERE source_sha256 = ?", [report.sha256])
        self.con.execute("DELETE FROM ingest_keys WHERE file_order = ?", [order])
        report.records, report.rejected, report.redacted, report.days = 0, Counter(), Counter(), set()

    def stage_one(self, order: int) -> None:
        """Stage and store one file, batch by batch; its CSV rows with the wrong number of cells too."""
        s = self.settings
        read, batches = stage_file(self.scratch, self.file(order), salt=s.salt, limits=self.limits,
                                   context_turns=s.context_turns, only_day=self.only_day)
        for staged in ahead(batches):
            self.store(staged, order)
        if read.bad_rows and self.only_day is None:  # they have no day: only a whole-file read stores them
            bad, counts = stage_bad_csv_rows(self.scratch, read.bad_rows, order, list(read.columns or {}), salt=s.salt)
            self.con.register("bad_csv_rows", bad)
            self.con.execute(_INSERT_REJECTED.format(day="NULL::DATE", reason="s.reason", n=s.raw_chars,
                                                     table="bad_csv_rows", where=""))
            self.con.unregister("bad_csv_rows")
            report = self.reports[order]
            report.records += len(read.bad_rows)
            report.rejected.update(Counter(bad["reason"].to_pylist()))
            report.redacted.update({k: n for k, n in zip(KINDS, counts) if n})

    def stage_many(self, orders: list[int]) -> list[int]:
        """Stage small JSON-lines files of one format together; returns the orders staged (a file
        that cannot be read is quarantined, and one query for all of them, else each alone)."""
        contents, staged, files = [], [], []
        for order in orders:
            try:
                file = self.file(order)
                contents.append(whole(self.contents.pop(order)) if order in self.contents else read_whole(file.path))
                staged.append(order)
                files.append(file)
            except READ_ERRORS as err:
                quarantine(self.con, self.reports[order], err)
        if not staged:
            return []
        s = self.settings
        sql = staged_query(self.reports[staged[0]].format, None, salt=s.salt, limits=self.limits,
                           context_turns=s.context_turns, only_day=self.only_day)
        try:
            results = list(stage_batches(self.scratch, sql, [lines_of_files(contents, files)], self.only_day,
                                         salt=s.salt))
        except duckdb.Error:  # one of them trips the query: stage each alone, to find it
            return [order for order in staged if self.stage_alone(order)]
        for result in results:
            self.store(result)
        return staged

    def stage_alone(self, order: int) -> bool:
        """Stage one file; on a read error take its rows back and quarantine it (False)."""
        try:
            self.stage_one(order)
            return True
        except READ_ERRORS as err:
            self.take_back(order)
            quarantine(self.con, self.reports[order], err)
            return False

    def close(self) -> None:
        _cleanup(self.con)  # on an error the writer rolls back and closes: temp tables go with it
        self.scratch.close()


def _small(path: str, size: int, fmt: str, compression: str | None = None) -> bool:
    """Read whole and staged with others: an uncompressed JSON-lines file (a compressed one could
    unfold to any size; ``compression``: what its first bytes say) of at most SMALL_FILE_BYTES."""
    return fmt in LINE_FORMATS and size <= SMALL_FILE_BYTES and not suffixes(path)[1] and not compression


def _batches(reports: list[FileReport]) -> list[list[int]]:
    """File orders in batches: runs of small JSON-lines files of one format together (up to
    BATCH_FILES files and BATCH_BYTES), every other file alone. Each batch pays a fixed cost
    (planning the staging query, redaction, inserts), so batches are as large as memory allows."""
    batches: list[list[int]] = []
    size = 0
    for order, report in enumerate(reports):
        last = batches[-1] if batches else None
        first = reports[last[0]] if last else None
        if (_small(report.path, report.size, report.format, report.compression) and last and len(last) < BATCH_FILES
                and size + report.size <= BATCH_BYTES
                and _small(first.path, first.size, first.format, first.compression)
                and first.format == report.format):
            last.append(order)
            size += report.size
        else:
            batches.append([order])
            size = report.size
    return batches


def _stage_all(call: _Call, progress: Callable[[str], None]) -> list[FileReport]:
    """Stage every file of the call, in batches, with a progress line per batch; returns the
    reports of the files staged (the others are quarantined)."""
    done, total, began = [], len(call.reports), time.monotonic()
    batches = _batches(call.reports)
    for number, orders in enumerate(batches, 1):
        staged = call.stage_many(orders) if len(orders) > 1 else [o for o in orders if call.stage_alone(o)]
        done.extend(staged)
        if len(batches) > 1:
            reports = [call.reports[o] for o in done]
            progress(f"ingest batch {number}/{len(batches)}: {len(staged)} of {len(orders)} files "
                     f"({sum(1 for r in call.reports if r.status == 'quarantined')} quarantined so far); "
                     f"{orders[-1] + 1:,}/{total:,} files, {sum(r.records for r in reports):,} records, "
                     f"{sum(sum(r.rejected.values()) for r in reports):,} rejected, "
                     f"{time.monotonic() - began:.1f} s")
    return [call.reports[o] for o in done]


def _dedupe(con, reports: list[FileReport], all_reports: list[FileReport], stored: str, params: dict) -> None:
    """Drop this call's duplicates (``dedup.py``); count them and the accepted rows."""
    for order, duplicate, n in dedupe(con, stored, params):
        all_reports[order].duplicates[duplicate] = n
    for report in reports:
        report.accepted = report.records - sum(report.rejected.values()) - sum(report.duplicates.values())


def _register(con, reports: list[FileReport]) -> None:
    """Register the files ingested, in one INSERT (10,000 small files: not 10,000 statements)."""
    if not reports:
        return
    registered = pa.table({  # noqa: F841 - read by DuckDB
        "path": [r.path for r in reports], "size": pa.array([r.size for r in reports], pa.int64()),
        "sha256": [r.sha256 for r in reports], "format": [r.format for r in reports],
        "records": pa.array([r.records for r in reports], pa.int64()),
        "accepted": pa.array([r.accepted for r in reports], pa.int64()),
        "rejected": pa.array([sum(r.rejected.values()) for r in reports], pa.int64()),
        "duplicates": pa.array([sum(r.duplicates.values()) for r in reports], pa.int64()),
        "redacted": [json.dumps(dict(r.redacted)) for r in reports],
        "days": pa.array([sorted(r.days) for r in reports], pa.list_(pa.date32())),
    })
    con.execute("INSERT INTO ingested_files (path, size, sha256, format, ingested_at, records, accepted, rejected, "
                "duplicates, redacted, days) SELECT path, size, sha256, format, now() AT TIME ZONE 'UTC', records, "
                "accepted, rejected, duplicates, redacted, days FROM registered")


def _forget(con, digest: str, path: str) -> None:
    """Take back everything a registered file gave, to read it again under another format."""
    con.execute("DELETE FROM chat_logs WHERE source_sha256 = ?", [digest])
    con.execute("DELETE FROM rejected_log_rows WHERE source_sha256 = ? OR (source_sha256 IS NULL AND source_file = ?)",
                [digest, path])
    con.execute("DELETE FROM ingested_files WHERE sha256 = ?", [digest])


def _listed(con, paths: Sequence[str], fmt: str) -> tuple[list[LogFile], list[FileReport]]:
    """Every file under ``paths``; an object-storage path that cannot be listed is quarantined
    (a local path that does not exist, or holds no log file, is an error: a typo, not bad input)."""
    files, quarantined = [], []
    for path in paths:
        try:
            files.extend(list_log_files(path))
        except LogInputError as err:
            if not is_url(str(path)):
                raise
            quarantined.append(quarantine(con, FileReport(shown_path(str(path)), None, 0, fmt, "quarantined"), err,
                                          "unreadable"))
    return files, quarantined


def ingest_paths(con: duckdb.DuckDBPyConnection, paths: Sequence[str], settings: IngestSettings, *,
                 fmt: str = "auto", progress: Callable[[str], None] | None = None) -> list[FileReport]:
    """Ingest every log file under ``paths`` (files or folders) not ingested before; one report a
    file (quarantined files included). ``progress`` gets a line per batch of files (default: the
    ``planb.ingest`` logger).

    Example:
        >>> with writer("data") as con:  # doctest: +SKIP
        ...     reports = ingest_paths(con, ["landing/"], IngestSettings(salt="s"))
    """
    if fmt != "auto" and fmt not in FORMATS:
        raise LogInputError(f"unknown format {fmt!r}: one of auto, {', '.join(FORMATS)}")
    files, reports = _listed(con, paths, fmt)
    known = {digest: (path, registered) for digest, path, registered
             in con.execute("SELECT sha256, path, format FROM ingested_files").fetchall()}
    # A local file is always hashed: one replaced in place with the same size and modification time
    # (cp -p, rsync -t, unzip) is another file. An object in a bucket cannot keep an old modification
    # time when replaced, so one at a registered path and size, not modified since, is not read again.
    latest = {path: (size, digest, when.replace(tzinfo=UTC).timestamp()) for path, size, digest, when
              in con.execute("SELECT arg_max(path, ingested_at), arg_max(size, ingested_at), "
                             "arg_max(sha256, ingested_at), max(ingested_at) FROM ingested_files GROUP BY path")
              .fetchall()}
    todo, taken, contents, kept = [], set(), {}, 0
    for f in files:
        report = FileReport(redact_text(f.path), None, f.size, fmt, "ingested", mtime_ns=f.mtime_ns)
        if report.path != f.path:  # PII in a file's name: stored and shown redacted, read where it is
            report.read_path = f.path
        reports.append(report)
        if f.error:
            quarantine(con, report, f.error, f.reason)
            continue
        try:
            size, digest, ingested = latest.get(f.path, (None, None, None))
            content = None
            if not is_url(f.path) or size != f.size or f.mtime_ns is None or f.mtime_ns / 1e9 > ingested:
                if _small(f.path, f.size, "flat") and not is_url(f.path):  # opened once: hash, format, lines
                    content = read_small(f.path)
                    report.sha256 = hashlib.sha256(content).hexdigest()
                else:
                    report.sha256 = sha256(f.path)
            else:
                report.sha256 = digest
            if digest is not None and report.sha256 != digest:  # the same path, another content
                report.replaces = digest
            digest = report.sha256
            if digest in taken or (digest in known and (fmt in ("auto", known[digest][1]))):
                report.status, report.same_as = "already_ingested", known.get(digest, (f.path,))[0]
                continue
            if digest in known:  # named another format than it was read with: read it again
                _forget(con, digest, known[digest][0])
                report.status = "reformatted"
            if content is not None:
                report.compression = compression_of(f.path, content[:4])
            report.format = detect_format(f.path, content) if fmt == "auto" else fmt
            if content is not None and kept < KEPT_BYTES and _small(report.path, report.size, report.format,
                                                                    report.compression):
                contents[len(todo)], kept = content, kept + len(content)
        except READ_ERRORS as err:
            quarantine(con, report, err)
            continue
        taken.add(digest)
        todo.append(report)
    if todo:
        call = _Call(con, settings, todo, contents=contents)
        staged = _stage_all(call, progress or log.info)
        # stored before the call: not from a file of this call (a table, not a list: 10,000 files)
        _dedupe(con, staged, todo, "coalesce({t}.source_sha256, '') NOT IN (SELECT source_sha256 FROM ingest_files)", {})
        _register(con, staged)
        call.close()
    return reports


def reingest_day(con: duckdb.DuckDBPyConnection, day: date, settings: IngestSettings) -> list[FileReport]:
    """Replace ``day`` in chat_logs and rejected_log_rows with that day's records of the registered
    files that hold it, read again. A file registered more than once (it grew, and was ingested
    again whole) is read in its latest version; a file changed since that is an error."""
    registered = con.execute(
        "SELECT path, size, sha256, format FROM ingested_files f WHERE list_contains(days, ?) "
        "AND ingested_at = (SELECT max(ingested_at) FROM ingested_files g WHERE g.path = f.path) "
        "ORDER BY ingested_at, path", [day]).fetchall()
    con.execute("DELETE FROM chat_logs WHERE day = ?", [day])
    con.execute("DELETE FROM rejected_log_rows WHERE day = ?", [day])
    reports = []
    for path, size, digest, fmt in registered:
        if redact_text(path) != path or "[EMAIL]" in path or "[PHONE]" in path or "[CARD]" in path or "[IP]" in path:
            raise LogInputError(f"{path}: the file's name held PII and is stored redacted, so it cannot be found "
                                f"again by name: ingest the file again (planb ingest PATH), then re-read {day}")
        now = sha256(path)
        if now != digest:
            raise LogInputError(f"{path} changed since it was ingested (sha256 {digest[:12]}..., now "
                                f"{now[:12]}...): ingest it again first (planb ingest {path}), then re-read {day}")
        mtime_ns = next((f.mtime_ns for f in list_log_files(path)), None)  # its undated day, as at first
        reports.append(FileReport(path, digest, size, fmt, "reingested", mtime_ns=mtime_ns))
    if not reports:
        return []
    call = _Call(con, settings, reports, only_day=day)
    for order in range(len(reports)):
        call.stage_one(order)
    _dedupe(con, reports, reports, "{t}.day <> $day", {"day": day})
    call.close()
    return reports
