"""Conversation exports as they come (LMSYS-Chat-1M with no time at all, WildChat, Chatbot Arena's
``tstamp``), the time fields exports use, the rule for records without any, and CSV files
without a header."""

import io
import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest

from warehouse.db import writer
from warehouse.ingestion import IngestSettings, ingest_paths
from warehouse.ingestion.lines import line_batches
from warehouse.ingestion.load import undated_day

FIXTURES = Path(__file__).parent / "fixtures"
SETTINGS = IngestSettings(salt="s", context_turns=2)


def _load(tmp_path: Path, paths: list[Path], settings: IngestSettings = SETTINGS):
    with writer(tmp_path / "data") as con:
        reports = ingest_paths(con, [str(p) for p in paths], settings)
        rows = con.execute("SELECT request_id, ts, day, session_id, model, query, response, user_hash "
                           "FROM chat_logs ORDER BY request_id").fetchall()
        rejected = con.execute("SELECT source_file, reason FROM rejected_log_rows").fetchall()
    return reports, rows, rejected


def test_the_three_public_export_shapes_load_without_a_rejection(tmp_path):
    names = ["chatbot_arena.jsonl", "lmsys_chat_1m.jsonl", "wildchat_1m.jsonl"]
    settings = IngestSettings(salt="s", undated_day=date(2026, 11, 5))
    reports, rows, rejected = _load(tmp_path, [FIXTURES / n for n in names], settings)
    assert [r.format for r in reports] == ["conversation"] * 3 and rejected == []
    by_id = {r[0]: r for r in rows}
    assert len(rows) == 3 + 3 + 1  # one row per user turn
    # Arena: question_id, conversation_a answered by model_a, tstamp in epoch seconds, judge hashed
    arena = by_id["7e6d5c4b3a2940f8e7d6c5b4a3928170:2"]
    assert (arena[4], arena[5], arena[6]) == ("oasst-pythia-12b", "and an insect?", "Six.")
    assert arena[1] == datetime(2026, 11, 6, 10, 0) and arena[7] is not None
    # LMSYS-Chat-1M has no time: the configured day
    lmsys = [r for r in rows if r[0].startswith("5c1e") or r[0].startswith("9a8b")]
    assert len(lmsys) == 3 and {r[2] for r in lmsys} == {date(2026, 11, 5)}
    # WildChat: the user turn's time is null, the conversation's is used
    (wild,) = [r for r in rows if r[0].startswith("0f1e")]
    assert (wild[1], wild[4], wild[6]) == (datetime(2026, 11, 3, 9, 15, 42), "gpt-3.5-turbo-0301", "2, 3 and 5.")


@pytest.mark.parametrize("field, value, expected", [
    ("tstamp", 1793520000.5, datetime(2026, 11, 1, 8, 0, 0, 500000)),
    ("created_at", "2026-11-01T09:30:00+01:00", datetime(2026, 11, 1, 8, 30)),
    ("time", "2026-11-01 08:00:00", datetime(2026, 11, 1, 8)),
    ("date", "2026-11-01", datetime(2026, 11, 1)),
])
def test_common_time_fields_are_recognised(tmp_path, field, value, expected):
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"request_id": "r", field: value, "query": "q"}) + "\n")
    _, rows, rejected = _load(tmp_path, [path])
    assert rejected == [] and rows[0][1] == expected


def test_records_without_any_time_take_the_files_day(tmp_path):
    named = tmp_path / "chats-2026-11-03.jsonl"
    plain = tmp_path / "chats.jsonl"
    for path in (named, plain):
        path.write_text(json.dumps({"request_id": path.stem, "query": "q"}) + "\n")
    stamp = datetime(2026, 11, 4, 12).timestamp()
    os.utime(plain, (stamp, stamp))
    _, rows, rejected = _load(tmp_path, [named, plain])
    assert rejected == [] and {r[0]: r[2] for r in rows} == {"chats-2026-11-03": date(2026, 11, 3),
                                                               "chats": date(2026, 11, 4)}
    # the rule's order: the configured day, a plausible date in the name, the file's day, today
    settings = IngestSettings(salt="s")
    assert undated_day("x/logs_20261102.jsonl", None, settings, date(2026, 12, 1)) == date(2026, 11, 2)
    assert undated_day("x/logs_2026-13-45.jsonl", None, settings, date(2026, 12, 1)) == date(2026, 12, 1)
    assert undated_day("x/logs-2031-01-01.jsonl", 0, settings, date(2026, 12, 1)) == date(1970, 1, 1)
    assert undated_day("x/a.jsonl", None, IngestSettings(salt="s", undated_day=date(2026, 11, 9)),
                       date(2026, 12, 1)) == date(2026, 11, 9)


def test_a_headerless_csv_is_refused_and_a_csv_with_a_header_lands(tmp_path):
    headerless = tmp_path / "a.csv"
    headerless.write_text("r-1,2026-11-01T08:00:00Z,who wrote hamlet\nr-2,2026-11-01T08:01:00Z,why\n")
    with_header = tmp_path / "b.csv"
    with_header.write_text('Request_ID,tstamp,Query\nr-3,1793520000,"two\nlines"\nr-4,1793520000,x,extra\n'
                           "r-5,1793520000,last\n")
    reports, rows, rejected = _load(tmp_path, [headerless, with_header])
    assert (reports[0].status, reports[0].reason) == ("quarantined", "not_csv")
    assert "not a CSV header" in reports[0].detail and "hamlet" not in reports[0].detail
    assert [r[0] for r in rows] == ["r-3", "r-5"] and [reason for _, reason in rejected] == ["wrong_type"]
    with writer(tmp_path / "data") as con:
        lines = con.execute("SELECT request_id, source_line FROM chat_logs ORDER BY 1").fetchall()
        bad = con.execute("SELECT source_line, detail FROM rejected_log_rows").fetchall()
    assert lines == [("r-3", 2), ("r-5", 5)] and bad == [(4, "CSV row with 4 cells, the header has 3")]


def test_a_line_over_the_limit_is_read_past_not_kept():
    data = b"a\n" + b"x" * 5000 + b"\nb\n" + b"y" * 3000
    rows = []
    for batch in line_batches(io.BytesIO(data), block_bytes=1024, max_line_bytes=2048):
        d = batch.to_pydict()
        rows += list(zip(d["source_line"], [len(x) for x in d["line"]], d["oversize"]))
    assert [n for n, _, _ in rows] == [1, 2, 3, 4] and rows[0][1] == rows[2][1] == 2
    assert 2048 < rows[1][1] < 5001  # its start, as read when it passed the limit
    assert rows[1][2].startswith("line has 5,001 bytes, over the 2,048-byte limit")
    assert rows[3][2].startswith("line has 3,000 bytes") and rows[0][2] is None
