"""A byte stream as Arrow batches of numbered lines, streamed in blocks of a fixed size.

Why not DuckDB's CSV reader for lines: it drops lines that are not valid UTF-8 from the result
and reads "\\r\\n" inside a "\\n" file as two rows, so row numbers stop being line numbers. Here
each block is split at its newlines by NumPy, the lines become an Arrow string array over the
block's own buffer (no copy), and UTF-8 is validated per block by Arrow; only a block that fails
is walked line by line, to name the bad lines.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

BLOCK_BYTES = 32 << 20
# A longer line is rejected whole (line_too_large) without being held in memory: a line holding
# every text field at ingest.max_field_chars (100,000 characters, escaped) is under 8 MB.
MAX_LINE_BYTES = 64 << 20
_KEPT_BYTES = 64 << 10  # of a line too large: the start kept as its raw text
LINE_SCHEMA = pa.schema([
    ("source_line", pa.int64()),
    ("line", pa.string()),           # with its line break; invalid UTF-8 replaced by U+FFFD
    ("utf8_error", pa.string()),     # NULL, or why the line is not valid UTF-8
    ("oversize", pa.string()),       # NULL, or the size of a line over the limit (its start is kept)
])


def numbered_lines(block, first_line: int, mask: np.ndarray) -> pa.RecordBatch:
    """The lines of ``block`` (bytes or a memoryview of them, ending with a line break), numbered
    from ``first_line``; ``mask`` is scratch space (grown here when too small)."""
    data = np.frombuffer(block, np.uint8)
    if len(data) > len(mask):  # a line carried over from earlier blocks can outgrow one block
        mask = np.empty(len(data), np.bool_)
    np.equal(data, 10, out=mask[: len(data)])
    ends = np.flatnonzero(mask[: len(data)]) + 1
    offsets = np.empty(len(ends) + 1, np.int64)
    offsets[0] = 0
    offsets[1:] = ends
    count = len(ends)
    numbers = pa.array(np.arange(first_line, first_line + count, dtype=np.int64))
    lines = pa.Array.from_buffers(pa.large_string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(block)])
    try:
        lines.validate(full=True)
        errors = pa.nulls(count, pa.string())
    except pa.ArrowInvalid:  # rare: find the lines at fault, keep the others as they are
        texts, messages = [], []
        for raw in bytes(block).split(b"\n")[:count]:
            try:
                texts.append(raw.decode("utf-8") + "\n")
                messages.append(None)
            except UnicodeDecodeError as err:
                texts.append(raw.decode("utf-8", errors="replace") + "\n")
                messages.append(str(err))
        lines, errors = pa.array(texts, pa.large_string()), pa.array(messages, pa.string())
    return pa.RecordBatch.from_arrays([numbers, lines.cast(pa.string()), errors, pa.nulls(count, pa.string())],
                                      schema=LINE_SCHEMA)


def _oversize(kept: bytes, size: int, line: int, limit: int) -> pa.RecordBatch:
    """One row for a line of ``size`` bytes over ``limit``, of which ``kept`` is the start."""
    text = kept.decode("utf-8", errors="replace") + "\n"
    detail = f"line has {size:,} bytes, over the {limit:,}-byte limit; its first {len(kept):,} bytes are kept"
    return pa.RecordBatch.from_arrays([pa.array([line], pa.int64()), pa.array([text]), pa.nulls(1, pa.string()),
                                       pa.array([detail])], schema=LINE_SCHEMA)


def line_batches(stream, *, block_bytes: int = BLOCK_BYTES, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[pa.Table]:
    """Numbered lines of a binary stream (anything with ``read(n)``), about ``block_bytes`` at a time.

    Every line is yielded, blank ones included, so ``source_line`` is the 1-based line number.
    The lines of a block are not copied: they stay in the block read, apart from the one line that
    straddles two blocks. A line longer than ``max_line_bytes`` (at least ``block_bytes``) comes as
    its first 64 KiB with ``oversize`` saying why, and the rest of it is read past, not kept.

    Example:
        >>> import io
        >>> [line for batch in line_batches(io.BytesIO(b'a\\nb')) for line in batch.to_pydict()["line"]]
        ['a\\n', 'b\\n']
    """
    max_line_bytes = max(max_line_bytes, block_bytes)
    mask = np.empty(0, np.bool_)  # grown to the largest block met (a small file needs a small one)
    first_line, carry = 1, b""
    skipped: list | None = None  # [kept start, bytes so far] of a line over the limit being read past
    while True:
        block = stream.read(block_bytes)
        if not block:
            break
        if first_line == 1 and not carry and skipped is None and block.startswith(b"\xef\xbb\xbf"):
            block = block[3:]  # a UTF-8 byte order mark (Windows exports) is not part of line 1
        if len(block) > len(mask):
            mask = np.empty(len(block), np.bool_)
        parts, start = [], 0
        if carry or skipped is not None:  # finish the line begun in earlier blocks
            head = block.find(b"\n") + 1
            if head == 0:  # no line ends in this block: keep reading
                if skipped is not None:
                    skipped[1] += len(block)
                else:
                    carry += block
                    if len(carry) > max_line_bytes:
                        skipped, carry = [carry[:_KEPT_BYTES], len(carry)], b""
                continue
            if skipped is not None:
                parts.append(_oversize(skipped[0], skipped[1] + head, first_line, max_line_bytes))
                skipped = None
            elif len(carry) + head > max_line_bytes:
                parts.append(_oversize(carry[:_KEPT_BYTES], len(carry) + head, first_line, max_line_bytes))
            else:
                parts.append(numbered_lines(carry + block[:head], first_line, mask))
            carry, start, first_line = b"", head, first_line + 1
        cut = block.rfind(b"\n") + 1
        if cut > start:
            parts.append(numbered_lines(memoryview(block)[start:cut], first_line, mask))
            first_line += parts[-1].num_rows
        carry = block[max(cut, start):]
        if parts:
            yield pa.Table.from_batches(parts)
    if skipped is not None:
        yield pa.Table.from_batches([_oversize(skipped[0], skipped[1], first_line, max_line_bytes)])
    elif carry:
        tail = carry + b"\n"
        yield pa.Table.from_batches([numbered_lines(tail, first_line, np.empty(len(tail), np.bool_))])
