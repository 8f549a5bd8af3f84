"""Stream a log file as Arrow batches, each row numbered with the line (or row) it starts on.

JSON-lines formats come as numbered lines (``lines.py``). CSV is read by Arrow's streaming CSV
reader with every cell as bytes (so one bad cell rejects one row, not the file); a row's line is
counted from the line breaks inside the quoted cells before it. A CSV row with the wrong number of
cells is set aside by the reader and comes back as a rejected record. Parquet rows are numbered
from 1 in file order.

A CSV row with an unterminated quote would swallow the rows after it into one cell (Arrow reads
on to the next quote, or the end of the file). Before a CSV file is read, Python's strict CSV
parser looks for such rows: in every file up to SCAN_ALL_BYTES, and in a larger one when its
count of quote characters is odd (a cheap pass in C). A broken row's first line is rejected
(``broken_csv_row``, with its line) and the lines after it are read as rows of their own.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import deque
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
from warehouse.ingestion.sources import UTF8_BOM, filesystem, open_binary, suffixes

CSV_BLOCK_BYTES = 8 << 20
SCAN_ALL_BYTES = 64 << 20  # CSV files up to this size are checked for broken rows whatever their quotes
MAX_BROKEN_ROWS = 1000  # more broken rows than this: not a CSV file, quarantined
BROKEN_DETAIL = ("row starting on line {line} has an unterminated or misplaced quote ({why}): rejected, and the "
                 "lines after it read as rows of their own")
csv.field_size_limit(sys.maxsize)  # the strict scan reads rows of any size (ingest.max_field_chars decides)
KNOWN_COLUMNS = {*FIELDS, *TIME_FIELDS}
PARQUET_BATCH_ROWS = 64 * 1024


@dataclass
class Batches:
    """A file's batches, and for CSV and Parquet the kind of each column (``formats.tabular_sql``)."""

    batches: Iterator[pa.RecordBatch]
    columns: dict[str, str] | None = None
    bad_rows: list[tuple[int | None, str, str | None]] = field(default_factory=list)  # CSV rows set aside
    # (line, text, detail; None: the wrong number of cells)


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


class _Lines:
    """Numbered text lines of a byte stream, with lines pushed back to be read again first."""

    def __init__(self, stream):
        self.stream, self.pending, self.consumed, self.number, self.carry = stream, deque(), [], 0, b""
        self.blocks = self._blocks()

    def _blocks(self) -> Iterator[bytes]:
        while block := self.stream.read(CSV_BLOCK_BYTES):
            yield block

    def _next_line(self) -> tuple[int, str] | None:
        while b"\n" not in self.carry:
            block = next(self.blocks, None)
            if block is None:
                if not self.carry:
                    return None
                line, self.carry = self.carry, b""
                break
            self.carry += block
        else:
            line, self.carry = self.carry.split(b"\n", 1)
            line += b"\n"
        self.number += 1
        return self.number, line.decode("utf-8", errors="replace")

    def __iter__(self):
        return self

    def __next__(self) -> str:
        item = self.pending.popleft() if self.pending else self._next_line()
        if item is None:
            raise StopIteration
        self.consumed.append(item)
        return item[1]


def broken_rows(stream) -> list[tuple[int, str, str]]:
    """(first line, its text, why) of each CSV row of ``stream`` (UTF-8 bytes, header first) that
    Python's strict parser cannot close: an unterminated quote, or a quote followed by more text.
    The lines after a broken row's first are parsed again as rows of their own.

    Example:
        >>> data = b'id,q\\n1,"open\\n2,two\\n3,three\\n'
        >>> [line for line, _, _ in broken_rows(io.BytesIO(data))]
        [2]
    """
    lines, broken = _Lines(stream), []
    reader = csv.reader(lines, strict=True)
    first = True
    while True:
        lines.consumed = []
        try:
            next(reader)
        except StopIteration:
            return broken
        except csv.Error as err:
            if not lines.consumed or "new-line character seen in unquoted field" in str(err) or first:
                first = False
                continue  # a lone carriage return (Arrow reads it as a line break), or a broken header
            (line, text), *after = lines.consumed
            broken.append((line, text, BROKEN_DETAIL.format(line=line, why=err)))
            if len(broken) > MAX_BROKEN_ROWS:
                raise LogInputError(f"more than {MAX_BROKEN_ROWS} CSV rows with unterminated or misplaced quotes: "
                                    "not CSV as this reader knows it (quote cells with \"; double a quote in a cell)") from None
            lines.pending.extendleft(reversed(after))
            reader = csv.reader(lines, strict=True)
        first = False


def _find_broken(path: str) -> list[tuple[int, str, str]]:
    """The broken rows of a CSV file (``broken_rows``): every file up to SCAN_ALL_BYTES is scanned,
    a larger one only when its quote characters are odd in number."""
    with open_binary(path) as stream:
        head = stream.read(SCAN_ALL_BYTES + 1)
        if len(head) <= SCAN_ALL_BYTES:
            return broken_rows(io.BytesIO(head))
        odd = head.count(b'"') & 1
        while block := stream.read(CSV_BLOCK_BYTES):
            odd ^= block.count(b'"') & 1
    if not odd:
        return []
    with open_binary(path) as stream:
        return broken_rows(stream)


class _Patched:
    """A byte stream with some lines replaced (numbered from 1; each replacement ends with a line break)."""

    def __init__(self, stream, replace: dict[int, bytes]):
        self.stream, self.replace, self.line, self.carry, self.closed = stream, replace, 1, b"", False
        self.last = max(replace)

    def read(self, size: int = -1) -> bytes:
        if self.line > self.last:
            out, self.carry = self.carry + self.stream.read(size if size and size > 0 else -1), b""
            return out
        block = self.carry + self.stream.read(CSV_BLOCK_BYTES)
        cut = block.rfind(b"\n") + 1
        if cut == 0 and block:  # no line break yet: read on
            more = self.stream.read(CSV_BLOCK_BYTES)
            if more:
                self.carry = block + more
                return self.read(size)
            cut = len(block)
        self.carry = block[cut:]
        lines = block[:cut].split(b"\n")
        if block[:cut].endswith(b"\n"):
            lines = [part + b"\n" for part in lines[:-1]]
        out = []
        for part in lines:
            out.append(self.replace.get(self.line, part))
            self.line += 1
        return b"".join(out)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True
        self.stream.close()


_MARKER = "\x00planb broken csv row {line}"


def _csv(path: str) -> Batches:
    with open_binary(path) as head_stream:
        first = head_stream.read(1 << 20).removeprefix(UTF8_BOM).split(b"\n", 1)[0].decode("utf-8", errors="replace")
    header = next(csv.reader(io.StringIO(first)), [])
    if not header or any(not name for name in header):
        raise LogInputError(f"{path}: the first line must be a header naming every column")
    if not {name.strip().lower() for name in header} & KNOWN_COLUMNS:
        # a headerless export: its first record would silently become the header (its cells,
        # which may hold PII, are not quoted here)
        raise LogInputError(f"{path}: the first line is not a CSV header (no column named request_id, query or "
                            f"a time field among its {len(header)} cells); add a header row")
    broken = {line: (text, why) for line, text, why in _find_broken(path)}
    result = Batches(iter(()), {name: "bytes" for name in header})
    # a broken row's first line is replaced by a marker with the wrong number of cells, set aside
    cells = "," if len(header) == 1 else ""
    markers = {line: (_MARKER.format(line=line) + cells + "\n").encode() for line in broken}

    def set_aside(row) -> str:
        text = row.text
        if text.startswith("\x00planb broken csv row "):
            line = int(text.removeprefix("\x00planb broken csv row ").rstrip(",\r\n"))
            result.bad_rows.append((row.number, *broken[line]))
        else:
            result.bad_rows.append((row.number, text, None))
        return "skip"

    stream = open_binary(path)
    reader = pacsv.open_csv(
        _Patched(stream, markers) if markers else stream,
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
            spans[is_bad] = [_span(result.bad_rows[i]) for i in taken]
            starts = line + np.concatenate([[0], np.cumsum(spans)[:-1]]).astype(np.int64)
            for i, start in zip(taken, starts[is_bad]):  # the set-aside rows get their physical lines
                result.bad_rows[i] = (int(start), *result.bad_rows[i][1:])
            pending = [i for i in pending if i not in taken]
            record, line = record + total, line + int(spans.sum())
            yield batch.append_column("source_line", pa.array(starts[~is_bad]))
        for i in sorted(pending, key=lambda i: result.bad_rows[i][0] or 0):  # set aside after the last good row
            result.bad_rows[i] = (line, *result.bad_rows[i][1:])
            line += _span(result.bad_rows[i])
    result.batches = numbered()
    return result


def _span(row: tuple) -> int:
    """Physical lines of a set-aside row: a broken row's marker stands for its first line only."""
    return 1 if row[2] is not None else row[1].count("\n") + 1


def read_batches(path: str, fmt: str) -> Batches:
    """The batches of one file in the named format (flat, openai, conversation, csv, parquet)."""
    if fmt == "parquet":
        return _parquet(path)
    if fmt == "csv":
        return _csv(path)
    return Batches(line_batches(open_binary(path)))
