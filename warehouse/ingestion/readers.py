"""Stream a log file as Arrow batches, each row numbered with the line (or row) it starts on.

JSON-lines formats come as numbered lines (``lines.py``). CSV is read by Arrow's streaming CSV
reader with every cell as bytes (so one bad cell rejects one row, not the file); a row's line is
counted from the line breaks inside the quoted cells before it. A CSV row with the wrong number of
cells is set aside by the reader and comes back as a rejected record. Parquet rows are numbered
from 1 in file order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from warehouse.ingestion.errors import LogInputError
from warehouse.ingestion.formats import FIELDS, TIME_FIELDS
from warehouse.ingestion.lines import line_batches
from warehouse.ingestion.sources import filesystem, open_binary, suffixes

CSV_BLOCK_BYTES = 8 << 20
KNOWN_COLUMNS = {*FIELDS, *TIME_FIELDS}
PARQUET_BATCH_ROWS = 64 * 1024


@dataclass
class Batches:
    """A file's batches, and for CSV and Parquet the kind of each column (``formats.tabular_sql``)."""

    batches: Iterator[pa.RecordBatch]
    columns: dict[str, str] | None = None
    bad_rows: list[tuple[int | None, str]] = field(default_factory=list)  # CSV rows set aside


def _arrow_kind(dtype: pa.DataType) -> str:
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "string"
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "number"
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return "timestamp"
    return "other"


def _parquet(path: str) -> Batches:
    if suffixes(path)[1]:
        raise LogInputError(f"{path}: Parquet files are compressed inside; name it .parquet, not compressed again")
    fs, where = filesystem(path)
    parquet = pq.ParquetFile(fs.open_input_file(where))
    columns = {f.name: _arrow_kind(f.type) for f in parquet.schema_arrow}

    def numbered() -> Iterator[pa.RecordBatch]:
        first = 1
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            numbers = pa.array(np.arange(first, first + batch.num_rows, dtype=np.int64))
            first += batch.num_rows
            yield batch.append_column("source_line", numbers)

    return Batches(numbered(), columns)


def _csv(path: str) -> Batches:
    with open_binary(path) as head_stream:
        first = head_stream.read(1 << 20).split(b"\n", 1)[0].decode("utf-8", errors="replace")
    header = next(csv.reader(io.StringIO(first)), [])
    if not header or any(not name for name in header):
        raise LogInputError(f"{path}: the first line must be a header naming every column")
    if not {name.strip().lower() for name in header} & KNOWN_COLUMNS:
        # a headerless export: its first record would silently become the header (its cells,
        # which may hold PII, are not quoted here)
        raise LogInputError(f"{path}: the first line is not a CSV header (no column named request_id, query or "
                            f"a time field among its {len(header)} cells); add a header row")
    result = Batches(iter(()), {name: "bytes" for name in header})

    def set_aside(row) -> str:
        result.bad_rows.append((row.number, row.text))
        return "skip"

    reader = pacsv.open_csv(
        open_binary(path),
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=set_aside),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in header},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )

    def place(pending: list[int], record: int, rows: int) -> list[int]:
        """The set-aside rows (indexes into bad_rows) that sit among the next ``rows`` good ones:
        Arrow numbers a set-aside row by its record (quoted line breaks not counted)."""
        taken = []
        for i in sorted(pending, key=lambda i: result.bad_rows[i][0] or 0):
            number = result.bad_rows[i][0]
            if number is not None and number <= record + rows + len(taken) + 1:
                taken.append(i)
        return taken

    def numbered() -> Iterator[pa.RecordBatch]:
        # record: the last record's ordinal (the header is 1), line: the physical line the next starts on
        record, line, pending, seen = 1, 2, [], 0
        for batch in reader:
            breaks = np.zeros(batch.num_rows, np.int64)
            for column in batch.columns:
                counts = pc.count_substring(column.cast(pa.large_binary()), b"\n")
                breaks += counts.fill_null(0).to_numpy(zero_copy_only=False)
            pending += range(seen, len(result.bad_rows))  # set aside while this batch was parsed
            seen = len(result.bad_rows)
            taken = place(pending, record, batch.num_rows)
            total = batch.num_rows + len(taken)
            ordinals = np.arange(record + 1, record + 1 + total)
            is_bad = np.isin(ordinals, [result.bad_rows[i][0] for i in taken])
            spans = np.empty(total, np.int64)
            spans[~is_bad] = 1 + breaks
            spans[is_bad] = [result.bad_rows[i][1].count("\n") + 1 for i in taken]
            starts = line + np.concatenate([[0], np.cumsum(spans)[:-1]]).astype(np.int64)
            for i, start in zip(taken, starts[is_bad]):  # the set-aside rows get their physical lines
                result.bad_rows[i] = (int(start), result.bad_rows[i][1])
            pending = [i for i in pending if i not in taken]
            record, line = record + total, line + int(spans.sum())
            yield batch.append_column("source_line", pa.array(starts[~is_bad]))
        for i in sorted(pending, key=lambda i: result.bad_rows[i][0] or 0):  # set aside after the last good row
            text = result.bad_rows[i][1]
            result.bad_rows[i] = (line, text)
            line += text.count("\n") + 1
    result.batches = numbered()
    return result


def read_batches(path: str, fmt: str) -> Batches:
    """The batches of one file in the named format (flat, openai, conversation, csv, parquet)."""
    if fmt == "parquet":
        return _parquet(path)
    if fmt == "csv":
        return _csv(path)
    return Batches(line_batches(open_binary(path)))
