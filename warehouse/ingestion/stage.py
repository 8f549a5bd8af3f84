"""Stage a file's batches: read, extract and normalise each one in one DuckDB query in a scratch
in-memory database, as an Arrow table ready to insert, with its counts; the few rows that may
hold PII are then redacted by a second query and patched in.

Staging runs in a thread of its own, a couple of batches ahead of the writer: DuckDB and Arrow
release the GIL, so reading and staging one batch overlaps with inserting the one before on the
other core, and memory stays at a few batches however large the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import queue
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.ingestion.errors import LogInputError
from warehouse.ingestion.formats import MACROS as FORMAT_MACROS
from warehouse.ingestion.formats import (
    conversation_sql,
    flat_sql,
    openai_sql,
    tabular_sql,
)
from warehouse.ingestion.lines import LINE_SCHEMA, numbered_lines
from warehouse.ingestion.normalise import IDENTIFIERS, REDACTED, Limits, staged_sql
from warehouse.ingestion.pii import normalised, redact_text, redact_texts
from warehouse.ingestion.readers import Batches, read_batches
from warehouse.ingestion.redact import KINDS
from warehouse.ingestion.redact import MACROS as REDACT_MACROS
from warehouse.ingestion.sources import as_utf8, is_url, open_binary

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
# the dedup keys of the redacted rows, as normalise.staged_sql computes them
_KEYS_SQL = ("SELECT CASE WHEN reason IS NULL THEN hash(request_id) END AS id_key, "
             "CASE WHEN reason IS NULL AND session_id IS NOT NULL THEN hash(session_id, ts, query) END AS session_key "
             "FROM redacted_rows")
_USER_IN_RAW = re.compile(r'("(?:user_id|user|judge)"\s*:\s*")([^"\\]{3,})(")')
_HASHED = re.compile(r"[0-9a-f]{64}")


def _hide_users(raw: str, salt: str) -> str:
    """A raw line's user id, found again once its escapes are undone (``\\u00e9``), hashed."""
    def hashed(match: re.Match) -> str:
        user = match.group(2)
        if _HASHED.fullmatch(user):
            return match.group(0)
        return match.group(1) + hashlib.sha256(f"{salt}:{user}".encode()).hexdigest() + match.group(3)
    return _USER_IN_RAW.sub(hashed, raw)


def _redact(scratch: duckdb.DuckDBPyConnection, staged_rows: pa.Table, salt: str) -> tuple[pa.Table, dict]:
    """``staged_rows`` with its PII-flagged rows redacted in place (``pii.py``: normalised first,
    maintained detectors), their dedup keys computed again, without the flag; and the redactions by
    (file order, reason), as (email, card, ip, phone)."""
    flagged = staged_rows["pii"].combine_chunks()
    flagged_rows = staged_rows.filter(flagged)
    if not flagged_rows.num_rows:
        return staged_rows.drop_columns(["pii"]), {}
    orders, reasons = flagged_rows["file_order"].to_pylist(), flagged_rows["reason"].to_pylist()
    found = [Counter() for _ in range(flagged_rows.num_rows)]
    columns = {}
    for name in (*REDACTED, *IDENTIFIERS):
        values = flagged_rows[name].to_pylist()
        redacted = []
        for i, value in enumerate(values):
            if value and name == "raw":
                value = _hide_users(normalised(value), salt)
            redacted.append(redact_text(value, salt if name in IDENTIFIERS else None, found[i]))
        if redacted != values:
            columns[name] = pa.array(redacted, flagged_rows.schema.field(name).type)
    for name, values in columns.items():
        flagged_rows = flagged_rows.set_column(flagged_rows.schema.get_field_index(name), name, values)
    redacted_rows = flagged_rows.select(["reason", "request_id", "session_id", "ts", "query"])  # noqa: F841 - DuckDB
    keys = scratch.sql(_KEYS_SQL).to_arrow_table()
    for name, values in (*columns.items(), ("id_key", keys["id_key"]), ("session_key", keys["session_key"])):
        at = staged_rows.schema.get_field_index(name)
        values = pa.array(values).cast(staged_rows.schema.field(name).type)
        patched = pc.replace_with_mask(staged_rows[name], flagged, values)
        staged_rows = staged_rows.set_column(at, name, patched)
    redactions: dict = {}
    for order, reason, counts in zip(orders, reasons, found):
        total = redactions.setdefault((order, reason), [0] * len(KINDS))
        for k, kind in enumerate(KINDS):
            total[k] += counts[kind]
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
                  only_day: date | None = None, *, salt: str) -> Iterator[Staged]:
    """Each batch (with ``file_order`` and ``undated_ts`` columns) staged by ``sql``
    (``staged_query``), its PII-flagged rows redacted, with its counts per file and reason."""
    for incoming_batch in batches:  # noqa: B007 - read by DuckDB (a replacement scan)
        incoming_batch = pa.Table.from_batches(incoming_batch.to_batches(max_chunksize=BATCH_ROWS))  # noqa: F841
        staged_rows = scratch.sql(sql, params={"day": only_day} if only_day else None).to_arrow_table(BATCH_ROWS)
        counts = scratch.execute(_COUNTS).fetchall()
        rows, redactions = _redact(scratch, staged_rows, salt)
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
    return read, stage_batches(scratch, sql, (_with_file(b, file) for b in read.batches), only_day, salt=salt)


def read_whole(path: str) -> bytes:
    """A small uncompressed file's bytes as ``whole`` gives them."""
    return whole(open_binary(path).read() if is_url(path) else _read_local(path))


def whole(data: bytes) -> bytes:
    """A small file's bytes as UTF-8 (``sources.as_utf8``: UTF-16 by its byte order mark) ending with a
    line break, without a byte order mark.

    Example:
        >>> whole(b"\\xef\\xbb\\xbf{}"), whole("{}".encode("utf-16"))
        (b'{}\\n', b'{}\\n')
    """
    data = as_utf8(data)
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


def stage_bad_csv_rows(scratch: duckdb.DuckDBPyConnection, rows: list[tuple[int | None, str, str | None]],
                       order: int, header: list[str], *, salt: str) -> tuple[pa.Table, tuple[int, ...]]:
    """CSV rows set aside by the reader as rejected rows (source_line, file_order, reason, detail,
    raw): ``wrong_type`` for a row with the wrong number of cells, ``broken_csv_row`` for one with
    an unterminated quote (its detail given, ``readers.broken_rows``); their user id hashed (the
    cell at the header's user_id position, a best guess in a row whose cells do not line up) and
    PII redacted; and the redactions by kind."""
    at = [n.lower() for n in header].index("user_id") if "user_id" in [n.lower() for n in header] else None
    lines, raws, users, details, reasons = [], [], [], [], []
    for number, text, why in rows:
        cells = next(csv.reader(io.StringIO(text)), [])
        lines.append(number or 0)
        raws.append(text.rstrip("\r\n"))
        users.append(cells[at] if at is not None and at < len(cells) and len(cells[at]) >= 3 else None)
        details.append(why or f"CSV row with {len(cells)} cells, the header has {len(header)}")
        reasons.append("broken_csv_row" if why else "wrong_type")
    hidden = [raw if user is None else raw.replace(user, hashlib.sha256(f"{salt}:{user}".encode()).hexdigest())
              for raw, user in zip(raws, users)]
    redacted, found = redact_texts(hidden)
    counts = tuple(sum(c[k] for c in found) for k in KINDS)
    return pa.table({"source_line": pa.array(lines, pa.int64()),
                     "file_order": pa.array([order] * len(lines), pa.int32()),
                     "reason": reasons, "detail": details, "raw": pa.array(redacted, pa.string())}), counts


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
