"""Every supported format loads from its fixture (tests/warehouse/ingestion/fixtures) into the one schema,
plain, gzip- or zstd-compressed, detected by itself or named."""

import gzip
import shutil
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from warehouse.db import writer
from warehouse.ingestion import IngestSettings, LogInputError, ingest_paths

FIXTURES = Path(__file__).parent / "fixtures"
SETTINGS = IngestSettings(salt="s", context_turns=2)
COLUMNS = ("request_id", "ts", "session_id", "surface", "mode", "language", "query", "response", "model",
           "prompt_tokens", "completion_tokens", "latency_ms", "context", "source_line")


def _load(tmp_path: Path, path: Path, fmt: str = "auto"):
    with writer(tmp_path / "data") as con:
        (report,) = ingest_paths(con, [str(path)], SETTINGS, fmt=fmt)
        rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM chat_logs ORDER BY source_line, request_id").fetchall()
        rejected = con.execute("SELECT source_line, reason FROM rejected_log_rows").fetchall()
    return report, [dict(zip(COLUMNS, row)) for row in rows], rejected


def _zstd(source: Path, target: Path) -> Path:
    with pa.CompressedOutputStream(str(target), "zstd") as out:
        out.write(source.read_bytes())
    return target


FLAT_ROWS = [
    ("f-1", datetime(2026, 11, 1, 8), "who wrote hamlet", "William Shakespeare.", 12, 1),
    ("f-2", datetime(2026, 11, 1, 8, 1), "mail me at [EMAIL]", "Sent.", 9, 2),
    ("f-3", datetime(2026, 11, 1, 23, 30), "capital of france", None, None, 3),
]


@pytest.mark.parametrize("compress", ["none", "gzip", "zstd"])
def test_flat_jsonl(tmp_path, compress):
    path = FIXTURES / "flat.jsonl"
    if compress == "gzip":
        path = tmp_path / "flat.jsonl.gz"
        path.write_bytes(gzip.compress((FIXTURES / "flat.jsonl").read_bytes()))
    elif compress == "zstd":
        path = _zstd(FIXTURES / "flat.jsonl", tmp_path / "flat.jsonl.zst")
    report, rows, rejected = _load(tmp_path, path)
    assert report.format == "flat" and rejected == []
    assert [(r["request_id"], r["ts"], r["query"], r["response"], r["prompt_tokens"], r["source_line"])
            for r in rows] == FLAT_ROWS
    assert rows[0]["latency_ms"] == 310.0 and rows[0]["surface"] == "chat" and rows[0]["context"] is None
    assert report.redacted == {"email": 1}


def test_csv_with_a_multiline_cell_keeps_line_numbers(tmp_path):
    report, rows, rejected = _load(tmp_path, FIXTURES / "flat.csv")
    assert report.format == "csv" and rejected == []
    assert [(r["request_id"], r["source_line"]) for r in rows] == [("c-1", 2), ("c-2", 4), ("c-3", 5)]
    assert rows[0]["response"] == "William\nShakespeare." and rows[0]["prompt_tokens"] == 12
    assert rows[1]["query"] == "call [PHONE], please" and rows[1]["session_id"] is None
    assert rows[1]["prompt_tokens"] is None  # an empty cell is a missing value


def test_csv_bad_rows_are_rejected_one_by_one(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"request_id,timestamp,query,prompt_tokens\n"
                     b"a,2026-11-01T08:00:00Z,fine,3\n"
                     b"b,2026-11-01T08:00:00Z,caf\xe9,3\n"
                     b"c,2026-11-01T08:00:00Z,too,many,cells\n"
                     b"d,2026-11-01T08:00:00Z,not a count,lots\n"
                     b"e,2026-11-01T08:00:00Z,fine again,4\n")
    _, rows, rejected = _load(tmp_path, path)
    assert [r["request_id"] for r in rows] == ["a", "e"]
    assert sorted(rejected) == [(3, "invalid_utf8"), (4, "wrong_type"), (5, "wrong_type")]
    assert [r["source_line"] for r in rows] == [2, 6]


def test_parquet_typed_columns(tmp_path):
    table = pacsv.read_csv(FIXTURES / "flat.csv")  # typed: ints, timestamps with time zone, strings
    path = tmp_path / "flat.parquet"
    pq.write_table(table, path)
    report, rows, rejected = _load(tmp_path, path)
    assert report.format == "parquet" and rejected == []
    assert [(r["request_id"], r["ts"], r["prompt_tokens"], r["source_line"]) for r in rows] == [
        ("c-1", datetime(2026, 11, 1, 8), 12, 1), ("c-2", datetime(2026, 11, 1, 9), None, 2),
        ("c-3", datetime(2026, 11, 2, 10), 7, 3)]


def test_openai_chat_completions_log(tmp_path):
    report, rows, rejected = _load(tmp_path, FIXTURES / "openai.jsonl")
    assert report.format == "openai" and rejected == []
    first, second = rows
    assert (first["request_id"], first["ts"], first["model"], first["query"], first["response"]) == (
        "chatcmpl-1", datetime(2026, 11, 1, 8), "gpt-4o-2024-08-06", "and when?", "Around 1600.")
    assert (first["prompt_tokens"], first["completion_tokens"], first["latency_ms"], first["session_id"]) == (
        31, 4, 420.0, "s-7")
    # the two messages before the last user message (context_turns = 2)
    assert first["context"] == ('[{"role":"user","content":"who wrote hamlet"},'
                                '{"role":"assistant","content":"Shakespeare."}]')
    assert (second["query"], second["response"], second["context"]) == ("capital of france", "Paris.", None)


@pytest.mark.parametrize("fixture", ["lmsys.jsonl", "wildchat.jsonl"])
def test_conversation_datasets_one_request_per_user_turn(tmp_path, fixture):
    report, rows, rejected = _load(tmp_path, FIXTURES / fixture)
    assert report.format == "conversation" and rejected == [] and len(rows) == 2
    first, second = rows
    assert first["request_id"].endswith(":1") and second["request_id"].endswith(":2")
    assert first["session_id"] == second["session_id"] == first["request_id"][:-2]
    assert first["context"] is None
    assert second["context"].startswith('[{"role":"user"') and second["source_line"] == 1
    if fixture == "wildchat.jsonl":  # per-turn timestamps win; the IP is redacted in context too
        assert (first["ts"], second["ts"]) == (datetime(2026, 11, 1, 13, 0, 5), datetime(2026, 11, 1, 13, 1))
        assert "[IP]" in first["query"] and "[IP]" in second["context"] and second["response"] is None
        assert report.redacted == {"ip": 2}
    else:
        assert (second["query"], second["response"]) == ("when was it written?", "Around 1600.")


def test_context_keeps_at_most_the_configured_turns(tmp_path):
    turns = ",".join(f'{{"role": "{r}", "content": "t{i}"}}' for i, r in enumerate(["user", "assistant"] * 4))
    path = tmp_path / "long.jsonl"
    path.write_text(f'{{"conversation_id": "c", "timestamp": "2026-11-01T00:00:00Z", "conversation": [{turns}]}}\n')
    _, rows, _ = _load(tmp_path, path)
    assert [r["query"] for r in rows] == ["t0", "t2", "t4", "t6"]
    assert rows[3]["context"] == '[{"role":"user","content":"t4"},{"role":"assistant","content":"t5"}]'


def test_unknown_role_and_bad_content_quarantine_the_conversation(tmp_path):
    path = tmp_path / "conv.jsonl"
    path.write_text(
        '{"conversation_id": "ok", "timestamp": "2026-11-01T00:00:00Z", "conversation": [{"role": "user", "content": "hi"}]}\n'
        '{"conversation_id": "r", "timestamp": "2026-11-01T00:00:00Z", "conversation": [{"role": "wizard", "content": "hi"}]}\n'
        '{"conversation_id": "t", "timestamp": "2026-11-01T00:00:00Z", "conversation": [{"role": "user", "content": 5}]}\n'
        '{"conversation_id": "n", "timestamp": "2026-11-01T00:00:00Z", "conversation": [{"role": "assistant", "content": "?"}]}\n'
    )
    _, rows, rejected = _load(tmp_path, path)
    assert [r["request_id"] for r in rows] == ["ok:1"]
    assert sorted(rejected) == [(2, "unknown_role"), (3, "wrong_type"), (4, "empty_query")]


def test_format_named_overrides_detection(tmp_path):
    path = tmp_path / "export.ndjson"
    shutil.copy(FIXTURES / "openai.jsonl", path)
    report, rows, _ = _load(tmp_path, path, fmt="flat")  # read as flat records: "response" is an object
    assert report.format == "flat" and rows == [] and report.rejected == {"wrong_type": 2}
    with pytest.raises(LogInputError, match="unknown format"):
        _load(tmp_path, path, fmt="xml")
