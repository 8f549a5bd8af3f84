"""Stage a file's batches: read, extract and normalise each one in one DuckDB query in a scratch
in-memory database, as an Arrow table ready to insert, with its counts; the few rows that may
hold PII are then redacted by a second query and patched in.

Staging runs in a thread of its own, a couple of batches ahead of the writer: DuckDB and Arrow
release the GIL, so reading and staging one batch overlaps with inserting the one before on the
other core, and memory stays at a few batches however large the file.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.ingestion.formats import MACROS as FORMAT_MACROS
from warehouse.ingestion.formats import (
    conversation_sql,
    flat_sql,
    openai_sql,
    tabular_sql,
)
from warehouse.ingestion.normalise import REDACTED, Limits, redacted_sql, staged_sql
from warehouse.ingestion.readers import Batches, read_batches
from warehouse.ingestion.redact import KINDS
from warehouse.ingestion.redact import MACROS as REDACT_MACROS

T = TypeVar("T")
# Batches of this many rows let DuckDB scan a batch on every core (it splits Arrow input by batch).
BATCH_ROWS = 16 * 1024


@dataclass
class Staged:
    """One staged batch: its rows (``normalise.staged_sql``'s columns) and, per reason (None for
    accepted), (reason, records, redactions by kind, days)."""

    rows: pa.Table
    counts: list[tuple]


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


def _extract_sql(fmt: str, source: str, columns: dict[str, str] | None, context_turns: int) -> str:
    if fmt in ("csv", "parquet"):
        return tabular_sql(source, columns or {})
    if fmt == "openai":
        return openai_sql(source, context_turns=context_turns)
    if fmt == "conversation":
        return conversation_sql(source, context_turns=context_turns)
    return flat_sql(source)


_COUNTS = "SELECT reason, count(*), list(DISTINCT day) FILTER (day IS NOT NULL) FROM staged_rows GROUP BY reason"
_REDACTIONS = "SELECT reason, " + ", ".join(f"sum(n_{k})" for k in KINDS) + " FROM redacted_rows GROUP BY reason"
_REDACTED_SQL = redacted_sql("flagged_rows")


def _redact(scratch: duckdb.DuckDBPyConnection, staged_rows: pa.Table) -> tuple[pa.Table, dict]:
    """``staged_rows`` with its PII-flagged rows redacted in place (the few columns that changed
    are rebuilt), without the flag; and the redactions by reason, as (email, card, ip, phone)."""
    flagged = staged_rows["pii"].combine_chunks()
    flagged_rows = staged_rows.filter(flagged)
    if flagged_rows.num_rows:
        redacted_rows = scratch.sql(_REDACTED_SQL).to_arrow_table()  # in the flagged rows' order
        for name in (*REDACTED, "session_key"):
            if not redacted_rows[name].equals(flagged_rows[name]):
                patched = pc.replace_with_mask(staged_rows[name], flagged, redacted_rows[name].combine_chunks())
                staged_rows = staged_rows.set_column(staged_rows.schema.get_field_index(name), name, patched)
        redactions = {reason: counts for reason, *counts in scratch.execute(_REDACTIONS).fetchall()}
    else:
        redactions = {}
    return staged_rows.drop_columns(["pii"]), redactions


def stage_file(scratch: duckdb.DuckDBPyConnection, path: str, fmt: str, *, salt: str, max_field_chars: int,
               context_turns: int, only_day: date | None = None) -> tuple[Batches, Iterator[Staged]]:
    """The file's reader (for the CSV rows it sets aside) and its staged batches, lazily; with
    ``only_day``, only that day's rows.

    Example:
        >>> read, batches = stage_file(scratch_connection(), "warehouse/sample_log/search_chat_sample.jsonl",
        ...                            "flat", salt="s", max_field_chars=1000, context_turns=0)
        >>> next(batches).rows.num_rows > 0
        True
    """
    read = read_batches(path, fmt)

    def staged() -> Iterator[Staged]:
        sql = None
        for incoming_batch in read.batches:  # read by DuckDB (a replacement scan)
            if sql is None:
                extracted = _extract_sql(fmt, "incoming_batch", read.columns, context_turns)
                sql = staged_sql(extracted, salt=salt, limits=Limits(max_field_chars))
                if only_day:
                    sql = f"SELECT * FROM ({sql}) WHERE day = $day"
            incoming_batch = pa.Table.from_batches(pa.table(incoming_batch).to_batches(max_chunksize=BATCH_ROWS))
            staged_rows = scratch.sql(sql, params={"day": only_day} if only_day else None).to_arrow_table(BATCH_ROWS)
            counts = scratch.execute(_COUNTS).fetchall()
            rows, redactions = _redact(scratch, staged_rows)
            none = (0,) * len(KINDS)
            yield Staged(rows, [(reason, n, *redactions.get(reason, none), days) for reason, n, days in counts])

    return read, staged()


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
