"""Ingestion across many batches: duplicates found whichever batch holds them, whether a row was
held back by the key filter or not, and the staging thread's errors and early stops."""

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from warehouse.db import writer
from warehouse.ingestion import IngestSettings, ingest_paths, load, readers, stage
from warehouse.ingestion.dedup import SeenKeys
from warehouse.ingestion.lines import line_batches
from warehouse.ingestion.stage import ahead

TS = "2026-11-01T08:00:00Z"


def _log(path: Path, n: int) -> Path:
    """n records: every 7th repeats the request id of the record 5 before it, every 11th the
    session, time and query of the one 3 before it; every 13th is not JSON."""
    lines = []
    for i in range(n):
        if i % 13 == 12:
            lines.append("{oops")
            continue
        rid = f"r{i - 5}" if i % 7 == 6 else f"r{i}"
        j = i - 3 if i % 11 == 10 else i
        lines.append(json.dumps({"request_id": rid, "timestamp": TS, "session_id": f"s{j}",
                                 "query": f"question {j} mail x{j}@example.com"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _ingest(data: Path, log: Path) -> tuple[list, list, list]:
    with writer(data) as con:
        (report,) = ingest_paths(con, [str(log)], IngestSettings(salt="s"))
        rows = con.execute("SELECT source_line, request_id, query FROM chat_logs ORDER BY source_line").fetchall()
        rejected = con.execute("SELECT source_line, reason FROM rejected_log_rows ORDER BY 1").fetchall()
    counts = [report.records, report.accepted, dict(report.rejected), dict(report.duplicates), dict(report.redacted)]
    return counts, rows, rejected


@pytest.fixture
def small_blocks(monkeypatch):
    """Lines read 1 KiB at a time: a few records a batch."""
    monkeypatch.setattr(readers, "line_batches", functools.partial(line_batches, block_bytes=1024))


def test_many_batches_give_what_one_batch_gives(tmp_path, monkeypatch):
    log = _log(tmp_path / "log.jsonl", 400)
    one = _ingest(tmp_path / "one", log)
    monkeypatch.setattr(readers, "line_batches", functools.partial(line_batches, block_bytes=1024))
    many = _ingest(tmp_path / "many", log)
    assert many == one
    counts, rows, rejected = one
    # the same figures as the code before batches were staged in a thread and rows held back
    assert counts[3] == {"request_id": 49, "session_query": 22} and counts[2] == {"invalid_json": 30}
    assert counts[0] == 400 == counts[1] + 30 + 49 + 22 == len(rows) + len(rejected) + 49 + 22
    assert all("[EMAIL]" in query for _, _, query in rows)


def test_a_filter_that_says_maybe_to_every_key_changes_nothing(tmp_path, monkeypatch, small_blocks):
    log = _log(tmp_path / "log.jsonl", 200)
    exact = _ingest(tmp_path / "exact", log)
    monkeypatch.setattr(load, "SeenKeys", lambda: SeenKeys(log2_bits=3))  # 8 bits: every key collides
    assert _ingest(tmp_path / "held", log) == exact


def test_seen_keys_never_misses_a_key_met_before():
    seen = SeenKeys(log2_bits=20)
    keys = np.random.default_rng(1).integers(0, 2**63, 50_000, dtype=np.uint64)
    assert not seen.check_add(keys[:25_000]).all()
    assert seen.check_add(keys[:25_000]).all()
    assert seen.check_add(np.concatenate([keys[25_000:], keys[25_000:]]))[25_000:].all()


def test_ahead_passes_items_and_errors_and_stops_the_producer():
    assert list(ahead(iter(range(100)), depth=2)) == list(range(100))

    def failing():
        yield 1
        raise ValueError("bad batch")

    with pytest.raises(ValueError, match="bad batch"):
        list(ahead(failing()))
    produced = []

    def endless():
        for i in range(10**9):
            produced.append(i)
            yield i

    for item in ahead(endless(), depth=2):
        if item == 3:
            break
    assert len(produced) < 10  # stopped a few items ahead, not run to the end


def test_redacted_rows_stay_with_their_own_records_across_arrow_batches(tmp_path):
    """Only flagged rows are redacted, by a query of their own, and patched back in place: over
    more rows than one Arrow batch holds, each row keeps its own query, redacted or not."""
    n = 3 * stage.BATCH_ROWS + 17
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"request_id": f"r{i}", "timestamp": TS, "session_id": f"s{i}",
                                       "query": f"question {i} mail x{i}@example.com" if i % 3 == 0 else f"question {i}",
                                       "response": "call +44 20 7946 0018" if i % 5 == 0 else f"answer {i}"}) + "\n"
                       for i in range(n)))
    with writer(tmp_path / "data") as con:
        (report,) = ingest_paths(con, [str(log)], IngestSettings(salt="s"))
        rows = con.execute("SELECT request_id, query, response FROM chat_logs").fetchall()
    assert report.accepted == n == len(rows)
    assert report.redacted == {"email": len(range(0, n, 3)), "phone": len(range(0, n, 5))}
    for request_id, query, response in rows:
        i = int(request_id[1:])
        assert query == (f"question {i} mail [EMAIL]" if i % 3 == 0 else f"question {i}")
        assert response == ("call [PHONE]" if i % 5 == 0 else f"answer {i}")
