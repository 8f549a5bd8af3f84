"""Stage a file's batches: read, extract and normalise each one in one DuckDB query in a scratch
in-memory database, as an Arrow table ready to insert, with its counts; the few rows that may
hold PII are then redacted by a second query and patched in.

Staging runs in a thread of its own, a couple of batches ahead of the writer: DuckDB and Arrow
release the GIL, so reading and staging one batch overlaps with inserting the one before on the
other core, and memory stays at a few batches however large the file.
"""

from __future__ import annotations

import csv
import io
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.ingestion.formats import MACROS as FORMAT_MACROS
from warehouse.ingestion.formats import (
    conversation_sql,
    flat_sql,
    openai_sql,
    tabular_sql,
)
from warehouse.ingestion.errors import LogInputError
from warehouse.ingestion.lines import LINE_SCHEMA, numbered_lines
from warehouse.ingestion.normalise import REDACTED, Limits, redacted_sql, staged_sql
from warehouse.ingestion.readers import Batches, read_batches
from warehouse.ingestion.redact import KINDS, redact_select
from warehouse.ingestion.redact import MACROS as REDACT_MACROS
from warehouse.ingestion.sources import is_url, open_binary

T = TypeVar("T")
# Batches of this many rows let DuckDB scan a batch on every core (it splits Arrow input by batch).
BATCH_ROWS = 16 * 1024


@dataclass
class Staged:
    """One staged batch: its rows (``normalise.staged_sql``'s columns) and, per file and reason
    (None for accepted), (file order, reason, records, redactions by kind, days)."""

    rows: pa.Table
    counts: list[tuple]


@dataclass(frozen=True)
class FileToStage:
    """A file of a staged batch: its order in the call (``file_order``), path, format and the time
    its records without one get (``undated_ts``)."""

    order: int
    path: str
    fmt: str
    undated_ts: datetime


def scratch_connection(memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """An in-memory database in autocommit for staging: nothing staged outlives its batch (in the
    writer's transaction every batch would stay alive until commit).

    Example:
        >>> scratch_connection().execute("SELECT planb_luhn_ok('4111 1111 1111 1111')").fetchone()
        (True,)
    """
    scratch = duckdb.connect(config={"memory_limit": memory_limit})
    scratch.execute("SET TimeZone = 'UTC'")
    scratch.execute(FORMAT_MACROS)
    scratch.execute(REDACT_MACROS)
    return scratch


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _extract_sql(fmt: str, source: str, columns: dict[str, str] | None, context_turns: int) -> str:
    if fmt in ("csv", "parquet"):
        return tabular_sql(source, columns or {})
    if fmt == "openai":
        return openai_sql(source, context_turns=context_turns)
    if fmt == "conversation":
        return conversation_sql(source, context_turns=context_turns)
    return flat_sql(source)


_COUNTS = ("SELECT file_order, reason, count(*), list(DISTINCT day) FILTER (day IS NOT NULL) FROM staged_rows "
           "GROUP BY ALL")
_REDACTIONS = ("SELECT file_order, reason, " + ", ".join(f"sum(n_{k})" for k in KINDS) +
               " FROM redacted_rows GROUP BY ALL")
_REDACTED_SQL = redacted_sql("flagged_rows")


def _redact(scratch: duckdb.DuckDBPyConnection, staged_rows: pa.Table) -> tuple[pa.Table, dict]:
    """``staged_rows`` with its PII-flagged rows redacted in place (the few columns that changed
    are rebuilt), without the flag; and the redactions by (file order, reason), as (email, card, ip, phone)."""
    flagged = staged_rows["pii"].combine_chunks()
    flagged_rows = staged_rows.filter(flagged)
    if flagged_rows.num_rows:
        redacted_rows = scratch.sql(_REDACTED_SQL).to_arrow_table()  # in the flagged rows' order
        for name in (*REDACTED, "session_key"):
            if not redacted_rows[name].equals(flagged_rows[name]):
                patched = pc.replace_with_mask(staged_rows[name], flagged, redacted_rows[name].combine_chunks())
                staged_rows = staged_rows.set_column(staged_rows.schema.get_field_index(name), name, patched)
        redactions = {(order, reason): counts for order, reason, *counts in scratch.execute(_REDACTIONS).fetchall()}
    else:
        redactions = {}
    return staged_rows.drop_columns(["pii"]), redactions


def _with_file(batch: pa.RecordBatch | pa.Table, file: FileToStage) -> pa.Table:
    """The batch with its file's order and undated time as columns (one value each, repeated)."""
    table = pa.table(batch)
    n = table.num_rows
    return (table.append_column("file_order", pa.repeat(pa.scalar(file.order, pa.int32()), n))
            .append_column("undated_ts", pa.repeat(pa.scalar(file.undated_ts, pa.timestamp("us")), n)))


def staged_query(fmt: str, columns: dict[str, str] | None, *, salt: str, limits: Limits, context_turns: int,
                 only_day: date | None = None) -> str:
    """The one SELECT that stages a batch named ``incoming_batch`` of the format (``formats.py``,
    ``normalise.py``); with ``only_day``, only that day's rows (parameter ``$day``)."""
    sql = staged_sql(_extract_sql(fmt, "incoming_batch", columns, context_turns), salt=salt, limits=limits)
    return f"SELECT * FROM ({sql}) WHERE day = $day" if only_day else sql


def stage_batches(scratch: duckdb.DuckDBPyConnection, sql: str, batches: Iterable[pa.Table],
                  only_day: date | None = None) -> Iterator[Staged]:
    """Each batch (with ``file_order`` and ``undated_ts`` columns) staged by ``sql``
    (``staged_query``), its PII-flagged rows redacted, with its counts per file and reason."""
    for incoming_batch in batches:  # noqa: B007 - read by DuckDB (a replacement scan)
        incoming_batch = pa.Table.from_batches(incoming_batch.to_batches(max_chunksize=BATCH_ROWS))  # noqa: F841
        staged_rows = scratch.sql(sql, params={"day": only_day} if only_day else None).to_arrow_table(BATCH_ROWS)
        counts = scratch.execute(_COUNTS).fetchall()
        rows, redactions = _redact(scratch, staged_rows)
        none = (0,) * len(KINDS)
        yield Staged(rows, [(order, reason, n, *redactions.get((order, reason), none), days)
                            for order, reason, n, days in counts])


def stage_file(scratch: duckdb.DuckDBPyConnection, file: FileToStage, *, salt: str, limits: Limits,
               context_turns: int, only_day: date | None = None) -> tuple[Batches, Iterator[Staged]]:
    """The file's reader (for the CSV rows it sets aside) and its staged batches, lazily; with
    ``only_day``, only that day's rows.

    Example:
        >>> file = FileToStage(0, "warehouse/sample_log/search_chat_sample.jsonl", "flat", datetime(2026, 11, 1))
        >>> read, batches = stage_file(scratch_connection(), file, salt="s", limits=Limits(1000), context_turns=0)
        >>> next(batches).rows.num_rows > 0
        True
    """
    read = read_batches(file.path, file.fmt)
    sql = staged_query(file.fmt, read.columns, salt=salt, limits=limits, context_turns=context_turns,
                       only_day=only_day)
    return read, stage_batches(scratch, sql, (_with_file(b, file) for b in read.batches), only_day)


def read_whole(path: str) -> bytes:
    """A small uncompressed file's bytes as ``whole`` gives them."""
    return whole(open_binary(path).read() if is_url(path) else _read_local(path))


def whole(data: bytes) -> bytes:
    """A small file's bytes ending with a line break, without a byte order mark.

    Example:
        >>> whole(b"\\xef\\xbb\\xbf{}")
        b'{}\\n'
    """
    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    return data if not data or data.endswith(b"\n") else data + b"\n"


def _read_local(path: str) -> bytes:
    try:
        with open(path.removeprefix("file://"), "rb") as local:
            return local.read()
    except OSError as err:
        raise LogInputError(f"cannot read {path}: {' '.join(str(err).split())}") from None


def lines_of_files(contents: list[bytes], files: list[FileToStage]) -> pa.Table:
    """The numbered lines of many small files as one table, split at every line break in one pass
    (``lines.py``), each row with its own file's line number, ``file_order`` and ``undated_ts``.

    Example:
        >>> files = [FileToStage(0, "a.jsonl", "flat", datetime(2026, 11, 1)), FileToStage(1, "b.jsonl", "flat",
        ...          datetime(2026, 11, 2))]
        >>> table = lines_of_files([b"x\\ny\\n", b"z\\n"], files)
        >>> table["source_line"].to_pylist(), table["file_order"].to_pylist()
        ([1, 2, 1], [0, 0, 1])
    """
    counts = np.array([c.count(b"\n") for c in contents], np.int64)
    block = b"".join(contents)
    table = pa.Table.from_batches([numbered_lines(block, 1, np.empty(len(block), np.bool_))]) if block else \
        LINE_SCHEMA.empty_table()
    firsts = np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    lines = np.arange(1, table.num_rows + 1, dtype=np.int64) - firsts
    orders = np.repeat(np.array([f.order for f in files], np.int32), counts)
    undated = np.repeat(np.array([f.undated_ts for f in files], "datetime64[us]"), counts)
    return (table.set_column(0, "source_line", pa.array(lines)).append_column("file_order", pa.array(orders))
            .append_column("undated_ts", pa.array(undated)))


def stage_bad_csv_rows(scratch: duckdb.DuckDBPyConnection, rows: list[tuple[int | None, str]], order: int,
                       header: list[str], *, salt: str) -> tuple[pa.Table, tuple[int, ...]]:
    """CSV rows with the wrong number of cells as rejected rows (source_line, file_order, reason,
    detail, raw), their user id hashed (the cell at the header's user_id position, a best guess
    in a row whose cells do not line up) and PII redacted; and the redactions by kind."""
    at = [n.lower() for n in header].index("user_id") if "user_id" in [n.lower() for n in header] else None
    lines, raws, users, details = [], [], [], []
    for number, text in rows:
        cells = next(csv.reader(io.StringIO(text)), [])
        lines.append(number or 0)
        raws.append(text.rstrip("\r\n"))
        users.append(cells[at] if at is not None and at < len(cells) and len(cells[at]) >= 3 else None)
        details.append(f"CSV row with {len(cells)} cells, the header has {len(header)}")
    bad_rows = pa.table({"source_line": pa.array(lines, pa.int64()), "raw": raws,  # noqa: F841 - read by DuckDB
                         "user_id": pa.array(users, pa.string()), "detail": details})
    hashed = f"sha256({_sql_str(salt + ':')} || user_id)"
    sql = redact_select(f"(SELECT source_line, {order}::INTEGER AS file_order, detail, CASE WHEN user_id IS NULL "
                        f"THEN raw ELSE replace(raw, user_id, {hashed}) END AS raw FROM bad_rows)",
                        ["raw"], ["source_line", "file_order", "detail"])
    redacted = scratch.sql(sql).to_arrow_table()
    counts = tuple(int(pc.sum(redacted[f"n_{k}"]).as_py() or 0) for k in KINDS)
    return redacted.select(["source_line", "file_order", "detail", "raw"]), counts


def ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """``items``, produced in a thread up to ``depth`` ahead of the consumer; an error in the
    producer is raised here, and a consumer that stops early stops the producer.

    Example:
        >>> list(ahead(range(5)))
        [0, 1, 2, 3, 4]
    """
    slots: queue.Queue = queue.Queue(depth)
    stop, done = threading.Event(), object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((done, None))
        except BaseException as err:  # noqa: BLE001 - handed to the consumer, raised there
            slots.put((done, err))

    worker = threading.Thread(target=produce, name="ingest-stage", daemon=True)
    worker.start()
    try:
        while True:
            item, err = slots.get()
            if err is not None:
                raise err
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # let a producer blocked on a full queue see the stop
            try:
                slots.get(timeout=0.1)
            except queue.Empty:
                pass
        worker.join()
