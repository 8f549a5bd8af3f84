"""The warehouse file, its one writer, and the read-only snapshot readers open.

Rules (DESIGN.md, "Warehouse rules"): the pipeline writes ``warehouse.duckdb`` through one
connection per step inside a transaction; after a run it publishes ``snapshot.duckdb`` (copy to
a temporary file, then an atomic rename) and readers only ever open the snapshot, read-only.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

if TYPE_CHECKING:  # polars is loaded by DuckDB's .pl() when a frame is read: `planb sql` needs none
    import polars as pl

T = TypeVar("T")

WAREHOUSE_FILE = "warehouse.duckdb"
SNAPSHOT_FILE = "snapshot.duckdb"
# DuckDB lets one process at a time open a file for writing: a step that finds the warehouse
# held (another run's step committing) waits this long for it before failing.
LOCK_WAIT_S = 600.0
# Publishing copies to a temporary file first (mkstemp: TMP_PREFIX + random + TMP_SUFFIX); one
# untouched this long was left by a killed publish (a copy in progress rewrites it constantly).
TMP_PREFIX, TMP_SUFFIX = ".snapshot-", ".tmp"
STALE_TMP_S = 300.0


class NoSnapshotError(FileNotFoundError):
    """Raised when a reader asks for the snapshot before any run has published one."""


class SnapshotQueryError(ValueError):
    """A user's query on the snapshot was refused or failed; the message is one line."""


class SnapshotTimeLimitError(SnapshotQueryError):
    """A user's query on the snapshot ran past its time limit and was interrupted."""


class SnapshotMemoryLimitError(SnapshotQueryError):
    """A user's query on the snapshot needed more memory than its limit."""


# Every connection to the snapshot gets these (DuckDB, "Securing DuckDB"): no file or network
# access beyond the snapshot itself (ATTACH of a file, COPY, EXPORT, read_csv / read_parquet /
# glob of a path or URL, INSTALL), no extension loaded on demand, and the configuration locked
# last, so no SET / RESET / PRAGMA can give any of it back.
READER_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}
# The settings that close a connection, in the order they are set when they cannot be given at
# connect (open_snapshot with a memory limit).
_CLOSING = ("enable_external_access", "lock_configuration")
# Pragmas that only describe the database (DuckDB parses a setting's "PRAGMA x = y" as SET).
READ_ONLY_PRAGMAS = frozenset({
    "table_info", "storage_info", "show_tables", "show_tables_expanded", "database_list",
    "database_size", "metadata_info", "functions", "collations", "version", "platform",
})
_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_EXPLAIN = re.compile(r"EXPLAIN\s+(?:ANALYZE\s+)?(?:\([^)]*\)\s*)?", re.IGNORECASE)
_PRAGMA = re.compile(r"PRAGMA\s+(\w+)", re.IGNORECASE)


def utc_now() -> datetime:
    """Now in UTC, without a zone: how every stored timestamp is written (DuckDB TIMESTAMP)."""
    return datetime.now(UTC).replace(tzinfo=None)


def warehouse_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / WAREHOUSE_FILE


def snapshot_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / SNAPSHOT_FILE


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in files("warehouse").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d+)_(\w+)\.sql", entry.name)
        if match:
            found.append((int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found)


def migration_versions() -> set[int]:
    """Every migration's number: what a complete warehouse or snapshot records as applied."""
    return {version for version, _, _ in _migrations()}


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the numbered migrations not yet recorded in ``schema_migrations``; returns them."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in _migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        con.execute(sql)
        con.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, current_timestamp)", [version, name]
        )
        con.execute("COMMIT")
        applied.append(version)
    return applied


def connect_writable(path: str | Path, *, wait_s: float = LOCK_WAIT_S) -> duckdb.DuckDBPyConnection:
    """A read-write connection to ``path``, waiting (up to ``wait_s``) while another process
    holds it: two runs' steps that write at once then take turns instead of failing."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    deadline, delay = time.monotonic() + wait_s, 0.05
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as err:
            if "Could not set lock" not in str(err) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(2 * delay, 1.0)


@contextmanager
def writer(data_dir: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The pipeline's connection for one step: migrated, inside one transaction.

    Example:
        >>> with writer("./data") as con:  # doctest: +SKIP
        ...     replace_partition(con, "chat_logs", day, frame)
    """
    con = connect_writable(warehouse_path(data_dir))
    try:
        migrate(con)
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


def replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, where: str, params: list
) -> int:
    """Delete the rows matching ``where`` and insert ``frame`` (columns matched by name).

    Run inside the writer's transaction, so a re-run leaves exactly one copy.
    """
    con.execute(f"DELETE FROM {table} WHERE {where}", params)
    return insert_rows(con, table, frame)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append ``frame`` to ``table`` (columns matched by name); returns the rows written."""
    if frame.height:
        con.register("incoming_rows", frame.to_arrow())
        columns = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows")
        con.unregister("incoming_rows")
    return frame.height


def replace_partition(
    con: duckdb.DuckDBPyConnection, table: str, day: date, frame: pl.DataFrame
) -> int:
    """Replace one day of a partitioned table with ``frame``."""
    return replace_rows(con, table, frame, "day = ?", [day])


def read_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    """Run a query and return a Polars frame (through Arrow)."""
    return con.sql(sql, params=params or None).pl()


def publish_snapshot(data_dir: str | Path) -> Path:
    """Copy the warehouse to the snapshot path atomically; readers of the old one go on.

    The snapshot gets the warehouse file's permission bits, and temporary copies left by a
    publish that was killed (older than ``STALE_TMP_S``) are removed first.
    """
    source = warehouse_path(data_dir)
    target = snapshot_path(data_dir)
    # One connection, held until the copy is in place: no other process can write in between,
    # so the snapshot is the state its snapshot_log row describes.
    con = connect_writable(source)
    try:
        migrate(con)
        con.execute(
            "INSERT INTO snapshot_log SELECT current_timestamp, count(DISTINCT day), count(*) "
            "FROM chat_logs"
        )
        con.execute("CHECKPOINT")  # fold the WAL into the file so one file is the whole state
        remove_stale_snapshot_copies(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TMP_PREFIX, suffix=TMP_SUFFIX)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            shutil.copymode(source, tmp)  # mkstemp makes 0600; readers need the warehouse's mode
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        con.close()
    return target


def remove_stale_snapshot_copies(directory: str | Path, *, older_than_s: float = STALE_TMP_S) -> list[Path]:
    """Remove the temporary copies (``.snapshot-*.tmp``) a killed publish left in ``directory``.

    Only our own name pattern, and only files untouched for ``older_than_s``: a copy being
    written now (another thread's publish) keeps changing its mtime, so it is never taken.

    Example:
        >>> remove_stale_snapshot_copies("./data")  # doctest: +SKIP
        [PosixPath('data/.snapshot-k2j4x9.tmp')]
    """
    removed = []
    cutoff = time.time() - older_than_s
    for path in Path(directory).glob(f"{TMP_PREFIX}*{TMP_SUFFIX}"):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # another publisher removed or renamed it first
    return removed


def open_snapshot(data_dir: str | Path, *, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot (never the live warehouse), closed to
    everything but the snapshot (``READER_CONFIG``): every reader, the dashboard's included,
    opens it here. With ``memory_limit`` (DuckDB's, e.g. "2GB") the connection uses no more
    and spills nothing to disk (no temporary files beside the snapshot): a query that needs
    more fails with DuckDB's OutOfMemoryException.

    Example:
        >>> with closing(open_snapshot("./data")) as con:  # doctest: +SKIP
        ...     con.sql("SELECT count(*) FROM chat_logs").fetchone()
        (400,)
    """
    path = snapshot_path(data_dir)
    if not path.exists():
        raise NoSnapshotError(
            f"no published snapshot at {path}: run `make demo` (or `planb demo`) first"
        )
    if memory_limit is None:
        return duckdb.connect(str(path), read_only=True, config=READER_CONFIG)
    # DuckDB refuses temp_directory once external access is off, so the two settings that close
    # the connection come after it, as statements, before the connection is handed out.
    opened = {key: value for key, value in READER_CONFIG.items() if key not in _CLOSING}
    try:
        con = duckdb.connect(str(path), read_only=True,
                             config={"memory_limit": memory_limit, "temp_directory": "", **opened})
    except duckdb.ConnectionException as err:
        if "different configuration" not in str(err):
            raise
        # DuckDB keeps one configuration per file and process: this process already reads the
        # snapshot (a notebook, a test) with another, whose connection settings are then shared.
        return duckdb.connect(str(path), read_only=True, config=READER_CONFIG)
    except duckdb.Error as err:
        raise SnapshotQueryError(f"memory limit {memory_limit!r}: {_one_line(err)}") from None
    try:
        for key in _CLOSING:
            try:
                con.execute(f"SET {key} = {str(READER_CONFIG[key]).lower()}")
            except duckdb.InvalidInputException:  # another connection of this process closed it first
                if not _closed(con):
                    raise
    except BaseException:
        con.close()
        raise
    return con


def _closed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's external access is off and its configuration locked."""
    return con.execute("SELECT current_setting('enable_external_access') = false "
                       "AND current_setting('lock_configuration') = true").fetchall()[0][0]


def query_snapshot(data_dir: str | Path, sql: str, read: Callable[[duckdb.DuckDBPyConnection, str], T], *,
                   time_limit_s: float | None = None, memory_limit: str | None = None) -> T:
    """Run one user statement on the snapshot, only if it reads (what `planb sql` runs), and
    return what ``read(con, sql)`` makes of it: ``read`` runs the checked ``sql`` on the open
    snapshot's connection (``con.execute(sql)`` to stream its rows, ``con.sql(sql)`` for a
    relation), and nothing else.

    Anything else (ATTACH, COPY, EXPORT, SET / RESET, INSTALL / LOAD, several statements, a
    file or URL) is refused with a one-line ``SnapshotQueryError``, as are DuckDB's own errors.
    With ``time_limit_s`` the statement (and ``read``) is interrupted that many seconds after it
    starts (``SnapshotTimeLimitError``); with ``memory_limit`` DuckDB uses at most that much
    memory and spills nothing (``SnapshotMemoryLimitError``).

    Example:
        >>> query_snapshot("./data", "SELECT count(*) AS n FROM chat_logs",
        ...                lambda con, sql: con.execute(sql).fetchall())  # doctest: +SKIP
        [(400,)]
        >>> query_snapshot("./data", "COPY chat_logs TO 'x.csv'", print)  # doctest: +SKIP
        Traceback (most recent call last):
        warehouse.db.SnapshotQueryError: COPY statements are refused: planb sql only reads ...
    """
    with closing(open_snapshot(data_dir, memory_limit=memory_limit)) as con:
        _guarded(check_read_only, con, sql, memory_limit)
        # a timer thread interrupts the connection's running statement (DuckDB: con.interrupt())
        timer = threading.Timer(time_limit_s, con.interrupt) if time_limit_s else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            return _guarded(read, con, sql, memory_limit)
        except duckdb.InterruptException:
            raise SnapshotTimeLimitError(f"stopped after {time_limit_s:g} s, its time limit") from None
        finally:
            if timer is not None:
                timer.cancel()


def _guarded(call: Callable[[duckdb.DuckDBPyConnection, str], T], con: duckdb.DuckDBPyConnection, sql: str,
             memory_limit: str | None) -> T:
    """``call(con, sql)`` with DuckDB's errors, an interruption aside, as one-line SnapshotQueryErrors."""
    try:
        return call(con, sql)
    except duckdb.InterruptException:
        raise
    except duckdb.OutOfMemoryException as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SnapshotMemoryLimitError(f"stopped: the query needs more memory than its limit "
                                       f"({memory_limit or 'DuckDB default'}): {first}") from None
    except duckdb.PermissionException as err:
        raise SnapshotQueryError(f"{_one_line(err)} (planb sql reads the snapshot only)") from None
    except duckdb.Error as err:
        raise SnapshotQueryError(_one_line(err)) from None


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse ``sql`` unless it is exactly one statement that only reads.

    Allowed: SELECT, WITH, FROM-first, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT with its IN list
    (DuckDB parses all of these as SELECT), EXPLAIN [ANALYZE] of one of them, and the pragmas in
    ``READ_ONLY_PRAGMAS``. The connection's ``READER_CONFIG`` is the real wall; this check gives
    each refusal a clear reason and keeps statements out that DuckDB would run on a read-only
    file (temporary tables, variables, macros).

    Example:
        >>> check_read_only(duckdb.connect(), "SELECT 1; SELECT 2")
        Traceback (most recent call last):
        warehouse.db.SnapshotQueryError: one statement at a time, got 2: planb sql runs a single SELECT
    """
    statements = con.extract_statements(sql)
    if not statements:
        raise SnapshotQueryError("no statement given: planb sql runs a single SELECT")
    if len(statements) > 1:
        raise SnapshotQueryError(
            f"one statement at a time, got {len(statements)}: planb sql runs a single SELECT")
    kind, text = statements[0].type, statements[0].query
    if kind == duckdb.StatementType.SELECT:
        return
    if kind == duckdb.StatementType.EXPLAIN:
        # EXPLAIN ANALYZE runs what it explains: that statement must pass too.
        text = _LEADING_COMMENTS.sub("", text)
        explained = _EXPLAIN.match(text)
        if explained is None:
            raise SnapshotQueryError("write EXPLAIN [ANALYZE] directly before the statement it explains")
        return check_read_only(con, text[explained.end():])
    if kind == duckdb.StatementType.PRAGMA:
        name = _PRAGMA.match(_LEADING_COMMENTS.sub("", text))
        if name and name[1].lower() in READ_ONLY_PRAGMAS:
            return
        raise SnapshotQueryError(
            f"PRAGMA {name[1] if name else ''} is refused: planb sql allows only the read-only pragmas "
            f"{', '.join(sorted(READ_ONLY_PRAGMAS))}")
    hint = " (write PIVOT ... ON column IN (values))" if kind == duckdb.StatementType.MULTI else ""
    raise SnapshotQueryError(
        f"{kind.name} statements are refused{hint}: planb sql only reads (SELECT, WITH, FROM, VALUES, "
        "DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA table_info)")


def _one_line(err: BaseException) -> str:
    """DuckDB's message on one line, without its "LINE 1: ... ^" excerpt."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    cut = next((i for i, line in enumerate(lines) if re.match(r"LINE \d+:", line)), len(lines))
    return " ".join(lines[:cut]) or type(err).__name__
