"""warehouse.ingest: every line accounted for, ids hashed, input errors named."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from warehouse.ingest import (
    CHAT_LOG_SCHEMA,
    RAW_LIMIT,
    REJECTED_SCHEMA,
    LogInputError,
    log_files,
    parse_log_file,
    parse_logs,
    parse_timestamp,
)

SALT = "test-salt"
TS = "2026-11-01T08:00:00Z"
EPOCH_0800 = int(datetime(2026, 11, 1, 8, tzinfo=timezone.utc).timestamp())


def _line(**record) -> bytes:
    return (json.dumps(record) + "\n").encode("utf-8")


def _good(request_id: str, **extra) -> bytes:
    return _line(request_id=request_id, timestamp=TS, query=f"question {request_id}", **extra)


# line number -> (bytes, expected outcome). Outcome: "accepted", "duplicate", "skipped" (blank)
# or the rejection reason.
LINES: list[tuple[bytes, str]] = [
    (_good("r1", user_id="alice@example.com", surface="chat", mode="precise", prompt_tokens=12,
           completion_tokens=3, latency_ms=250, session_id="s1", response="an answer", model="big"),
     "accepted"),                                                                               # 1
    (b"\n", "skipped"),                                                                         # 2
    (b'{"request_id": "r9", "timestamp": \n', "invalid_json"),                                  # 3
    (b'{"request_id": "r8", "timestamp": "2026-11-01T08:00:00Z", "query": "caf\xe9"}\n',
     "invalid_utf8"),                                                                           # 4
    (b"[1, 2, 3]\n", "not_an_object"),                                                          # 5
    (_line(request_id="r7", timestamp=TS), "empty_query"),                                      # 6
    (_line(request_id="r6", timestamp=TS, query="   "), "empty_query"),                         # 7
    (_line(request_id="r5", timestamp="yesterday", query="q"), "bad_timestamp"),               # 8
    (_line(timestamp=TS, query="q"), "missing_request_id"),                                     # 9
    (_line(request_id="", timestamp=TS, query="q"), "missing_request_id"),                      # 10
    (_good("r4", prompt_tokens="12"), "wrong_type"),                                            # 11
    (_good("r3b", completion_tokens=-1), "wrong_type"),                                         # 12
    (_good("r3c", prompt_tokens=1.5), "wrong_type"),                                            # 13
    (_good("r3d", latency_ms="fast"), "wrong_type"),                                            # 14
    (_good("r3e", surface=["chat"]), "wrong_type"),                                             # 15
    (_line(request_id="r2", timestamp=EPOCH_0800 + 60, query="  epoch query  ", user_id="bob"),
     "accepted"),                                                                               # 16
    (_line(request_id="r1", timestamp=TS, query="a later duplicate"), "duplicate"),             # 17
    (b"   \t \r\n", "skipped"),                                                                 # 18
    (_line(request_id="r3", timestamp="2026-11-01T10:30:00+02:00", query="offset"), "accepted"),  # 19
    (b'"just a string"\n', "not_an_object"),                                                    # 20
    (_line(request_id="r10", query="no timestamp"), "bad_timestamp"),                           # 21
    (_line(request_id=42, timestamp=TS, query="numeric id", prompt_tokens=7.0), "accepted"),    # 22
]
REJECTED_DAY_KNOWN = {"empty_query", "missing_request_id", "wrong_type"}


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(raw for raw, _ in LINES))
    return path


@pytest.fixture
def parsed(log_path):
    return parse_log_file(log_path, salt=SALT)


def test_every_line_accounted_for(parsed, log_path):
    expected_accepted = [n for n, (_, o) in enumerate(LINES, 1) if o == "accepted"]
    expected_rejected = {n: o for n, (_, o) in enumerate(LINES, 1) if o not in {"accepted", "duplicate", "skipped"}}
    non_blank = [n for n, (_, o) in enumerate(LINES, 1) if o != "skipped"]

    assert parsed.accepted["source_line"].to_list() == expected_accepted
    assert dict(zip(parsed.rejected["source_line"], parsed.rejected["reason"])) == expected_rejected
    assert parsed.rejected["source_line"].n_unique() == parsed.rejected.height
    assert parsed.duplicates == 1
    assert parsed.accepted.height + parsed.rejected.height + parsed.duplicates == len(non_blank)
    assert set(parsed.accepted["source_file"]) == {str(log_path)}
    assert set(parsed.rejected["source_file"]) == {str(log_path)}


def test_schemas(parsed):
    assert parsed.accepted.schema == pl.Schema(CHAT_LOG_SCHEMA)
    assert parsed.rejected.schema == pl.Schema(REJECTED_SCHEMA)


def test_rejected_rows_carry_day_detail_and_raw(parsed):
    for row in parsed.rejected.iter_rows(named=True):
        if row["reason"] in REJECTED_DAY_KNOWN:
            assert row["day"] == date(2026, 11, 1), row
        else:  # no readable timestamp (or record) to take a day from
            assert row["day"] is None, row
        assert row["detail"]
        assert not row["raw"].endswith("\n")
    by_line = {r["source_line"]: r for r in parsed.rejected.iter_rows(named=True)}
    assert by_line[4]["raw"] == '{"request_id": "r8", "timestamp": "2026-11-01T08:00:00Z", "query": "caf\ufffd"}'
    assert by_line[11]["detail"] == "prompt_tokens must be a non-negative integer, got '12'"
    assert by_line[3]["raw"] == '{"request_id": "r9", "timestamp": '


def test_accepted_rows_normalised(parsed):
    rows = {r["request_id"]: r for r in parsed.accepted.iter_rows(named=True)}
    assert set(rows) == {"r1", "r2", "r3", "42"}
    r1 = rows["r1"]
    assert r1["day"] == date(2026, 11, 1)
    assert r1["ts"] == datetime(2026, 11, 1, 8, 0)
    assert r1["query"] == "question r1"
    assert (r1["surface"], r1["mode"], r1["session_id"], r1["response"], r1["model"]) == (
        "chat", "precise", "s1", "an answer", "big")
    assert (r1["prompt_tokens"], r1["completion_tokens"], r1["latency_ms"]) == (12, 3, 250.0)
    # epoch seconds, and the query stripped
    assert rows["r2"]["ts"] == datetime(2026, 11, 1, 8, 1)
    assert rows["r2"]["query"] == "epoch query"
    # +02:00 offset converted to UTC
    assert rows["r3"]["ts"] == datetime(2026, 11, 1, 8, 30)
    assert rows["r3"]["user_hash"] is None
    assert rows["42"]["prompt_tokens"] == 7


def test_duplicates_keep_the_first_record(parsed):
    r1 = parsed.accepted.filter(pl.col("request_id") == "r1")
    assert r1.height == 1
    assert r1["source_line"][0] == 1
    assert r1["query"][0] == "question r1"
    assert parsed.accepted["request_id"].n_unique() == parsed.accepted.height


def test_user_ids_hashed_never_stored_raw(parsed):
    rows = {r["request_id"]: r for r in parsed.accepted.iter_rows(named=True)}
    assert rows["r1"]["user_hash"] == hashlib.sha256(f"{SALT}:alice@example.com".encode()).hexdigest()
    assert rows["r2"]["user_hash"] == hashlib.sha256(f"{SALT}:bob".encode()).hexdigest()
    assert "user_id" not in parsed.accepted.columns
    text = parsed.accepted.select(pl.col(pl.String)).write_csv()
    assert "alice" not in text and "bob" not in text


def test_user_hash_depends_on_salt(log_path):
    a = parse_log_file(log_path, salt="one").accepted.filter(pl.col("request_id") == "r1")["user_hash"][0]
    b = parse_log_file(log_path, salt="two").accepted.filter(pl.col("request_id") == "r1")["user_hash"][0]
    assert a != b


def test_rejected_rows_do_not_store_raw_user_ids(tmp_path):
    path = tmp_path / "pii.jsonl"
    path.write_bytes(_line(request_id="r1", timestamp=TS, query="", user_id="carol@example.com"))
    parsed = parse_log_file(path, salt=SALT)
    assert parsed.rejected.height == 1
    assert "carol@example.com" not in parsed.rejected.select(pl.col(pl.String)).write_csv()


def test_raw_is_truncated(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"{" + b"x" * 5000 + b"\n")
    parsed = parse_log_file(path, salt=SALT)
    assert parsed.rejected["reason"].to_list() == ["invalid_json"]
    assert len(parsed.rejected["raw"][0]) == RAW_LIMIT


def test_file_without_trailing_newline(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(_good("a") + _good("b").rstrip(b"\n"))
    assert parse_log_file(path, salt=SALT).accepted["request_id"].to_list() == ["a", "b"]


@pytest.mark.parametrize(
    "bad_value",
    [
        pytest.param(b"Infinity", id="infinity"),
        pytest.param(b"NaN", id="nan"),
        pytest.param(b"10000000000", id="over-int32"),
    ],
)
def test_bad_token_count_values_reject_one_line(tmp_path, bad_value):
    path = tmp_path / "x.jsonl"
    path.write_bytes(
        _good("a")
        + b'{"request_id": "b", "timestamp": "2026-11-01T08:00:00Z", "query": "q", "prompt_tokens": '
        + bad_value + b"}\n"
        + _good("c")
    )
    parsed = parse_log_file(path, salt=SALT)
    assert parsed.accepted["request_id"].to_list() == ["a", "c"]
    assert parsed.rejected["reason"].to_list() == ["wrong_type"]
    assert parsed.rejected["source_line"].to_list() == [2]


def test_only_blank_lines(tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n\n  \n")
    parsed = parse_log_file(path, salt=SALT)
    assert parsed.accepted.is_empty() and parsed.rejected.is_empty() and parsed.duplicates == 0


def test_parse_logs_across_files_first_file_wins(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(_good("x") + _good("y") + _good("y"))
    second.write_bytes(_line(request_id="x", timestamp=TS, query="later") + _good("z") + b"oops\n")
    parsed = parse_logs([first, second], salt=SALT)
    assert parsed.accepted["request_id"].to_list() == ["x", "y", "z"]
    assert parsed.accepted.filter(pl.col("request_id") == "x")["source_file"][0] == str(first)
    assert parsed.duplicates == 2  # y within a.jsonl, x across files
    assert parsed.rejected["source_file"].to_list() == [str(second)]


# --- log_files --------------------------------------------------------------------------------


def test_log_files_missing_path(tmp_path):
    with pytest.raises(LogInputError, match="does not exist"):
        log_files(tmp_path / "nowhere")


def test_log_files_empty_folder(tmp_path):
    with pytest.raises(LogInputError, match="no log files"):
        log_files(tmp_path)


def test_log_files_folder_without_log_suffixes(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(LogInputError, match="no log files"):
        log_files(tmp_path)


def test_log_files_empty_file(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(_good("a"))
    (tmp_path / "b.jsonl").write_bytes(b"")
    with pytest.raises(LogInputError, match="b.jsonl is empty"):
        log_files(tmp_path)
    with pytest.raises(LogInputError, match="is empty"):
        log_files(tmp_path / "b.jsonl")


def test_log_files_sorted_and_filtered(tmp_path):
    for name in ("c.ndjson", "a.jsonl", "b.json", "readme.txt"):
        (tmp_path / name).write_bytes(_good(name))
    (tmp_path / "sub.jsonl").mkdir()
    assert [p.name for p in log_files(tmp_path)] == ["a.jsonl", "b.json", "c.ndjson"]
    assert log_files(tmp_path / "a.jsonl") == [tmp_path / "a.jsonl"]


# --- parse_timestamp --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-01T08:00:00Z", datetime(2026, 11, 1, 8, 0)),
        ("2026-11-01T08:00:00+00:00", datetime(2026, 11, 1, 8, 0)),
        ("2026-11-01T10:30:00+02:30", datetime(2026, 11, 1, 8, 0)),
        ("2026-11-01T03:00:00-05:00", datetime(2026, 11, 1, 8, 0)),
        ("2026-11-01T23:30:00-02:00", datetime(2026, 11, 2, 1, 30)),  # the UTC day moves
        ("2026-11-01T08:00:00.250Z", datetime(2026, 11, 1, 8, 0, 0, 250_000)),
        ("  2026-11-01T08:00:00Z ", datetime(2026, 11, 1, 8, 0)),
        ("2026-11-01T08:00:00", datetime(2026, 11, 1, 8, 0)),  # naive: taken as UTC
        (EPOCH_0800, datetime(2026, 11, 1, 8, 0)),
        (EPOCH_0800 + 0.5, datetime(2026, 11, 1, 8, 0, 0, 500_000)),
        (0, datetime(1970, 1, 1)),
    ],
)
def test_parse_timestamp(value, expected):
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is None


@pytest.mark.parametrize("value", [True, None, [2026], "yesterday", "", "2026-13-01T00:00:00Z"])
def test_parse_timestamp_rejects(value):
    with pytest.raises(ValueError):
        parse_timestamp(value)
