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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from importlib.resources import files
from pathlib import Path

import duckdb
import polars as pl

WAREHOUSE_FILE = "warehouse.duckdb"
SNAPSHOT_FILE = "snapshot.duckdb"
# DuckDB lets one process at a time open a file for writing: a step that finds the warehouse
# held (another run's step committing) waits this long for it before failing.
LOCK_WAIT_S = 600.0


class NoSnapshotError(FileNotFoundError):
    """Raised when a reader asks for the snapshot before any run has published one."""


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
    """Copy the warehouse to the snapshot path atomically; readers of the old one go on."""
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
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".snapshot-", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        con.close()
    return target


def open_snapshot(data_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot (never the live warehouse)."""
    path = snapshot_path(data_dir)
    if not path.exists():
        raise NoSnapshotError(
            f"no published snapshot at {path}: run `make demo` (or `planb demo`) first"
        )
    return duckdb.connect(str(path), read_only=True)
