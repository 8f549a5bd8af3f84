"""Numbered lines from a byte stream: every line counted, whatever its bytes or breaks."""

import io

from warehouse.ingestion.lines import line_batches


def _lines(data: bytes, block_bytes: int = 1 << 20) -> list[tuple[int, str, str | None]]:
    rows = []
    for batch in line_batches(io.BytesIO(data), block_bytes=block_bytes):
        d = batch.to_pydict()
        rows += list(zip(d["source_line"], d["line"], d["utf8_error"]))
    return rows


def test_blank_crlf_invalid_utf8_and_no_final_break():
    data = b'{"a":1}\n\n{"b":2}\r\n\xff{"c":3}\n   \nlast'
    rows = _lines(data)
    assert [(n, text) for n, text, _ in rows] == [
        (1, '{"a":1}\n'), (2, "\n"), (3, '{"b":2}\r\n'), (4, '\ufffd{"c":3}\n'), (5, "   \n"), (6, "last\n")]
    assert [n for n, _, error in rows if error] == [4]
    assert "invalid start byte" in rows[3][2]


def test_lines_longer_than_a_block_and_many_blocks():
    data = b"".join(f"line {i} ".encode() + b"x" * (i % 50) + b"\n" for i in range(1, 2001))
    rows = _lines(data, block_bytes=64)
    assert [n for n, _, _ in rows] == list(range(1, 2001))
    assert "".join(text for _, text, _ in rows).encode() == data


def test_byte_order_mark_is_not_part_of_the_first_line():
    assert [text for _, text, _ in _lines(b'\xef\xbb\xbf{"a":1}\n{"b":2}\n')] == ['{"a":1}\n', '{"b":2}\n']
