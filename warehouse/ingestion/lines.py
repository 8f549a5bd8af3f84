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
LINE_SCHEMA = pa.schema([
    ("source_line", pa.int64()),
    ("line", pa.string()),           # with its line break; invalid UTF-8 replaced by U+FFFD
    ("utf8_error", pa.string()),     # NULL, or why the line is not valid UTF-8
])


def _numbered(block, first_line: int, mask: np.ndarray) -> pa.RecordBatch:
    """``block`` (bytes or a memoryview of them) ends with a line break."""
    data = np.frombuffer(block, np.uint8)
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
    return pa.RecordBatch.from_arrays([numbers, lines.cast(pa.string()), errors], schema=LINE_SCHEMA)


def line_batches(stream, *, block_bytes: int = BLOCK_BYTES) -> Iterator[pa.Table]:
    """Numbered lines of a binary stream (anything with ``read(n)``), about ``block_bytes`` at a time.

    Every line is yielded, blank ones included, so ``source_line`` is the 1-based line number.
    The lines of a block are not copied: they stay in the block read, apart from the one line that
    straddles two blocks.

    Example:
        >>> import io
        >>> [line for batch in line_batches(io.BytesIO(b'a\\nb')) for line in batch.to_pydict()["line"]]
        ['a\\n', 'b\\n']
    """
    mask = np.empty(block_bytes, np.bool_)
    first_line, carry = 1, b""
    while True:
        block = stream.read(block_bytes)
        if not block:
            break
        if first_line == 1 and not carry and block.startswith(b"\xef\xbb\xbf"):
            block = block[3:]  # a UTF-8 byte order mark (Windows exports) is not part of line 1
        head = block.find(b"\n") + 1
        if head == 0:  # no line ends in this block: keep reading
            carry += block
            continue
        cut = block.rfind(b"\n") + 1
        if len(block) > len(mask):
            mask = np.empty(len(block), np.bool_)
        parts = [_numbered(carry + block[:head], first_line, mask)]
        if cut > head:
            parts.append(_numbered(memoryview(block)[head:cut], first_line + 1, mask))
        first_line += sum(p.num_rows for p in parts)
        carry = block[cut:]
        yield pa.Table.from_batches(parts)
    if carry:
        tail = carry + b"\n"
        yield pa.Table.from_batches([_numbered(tail, first_line, np.empty(len(tail), np.bool_))])
