"""warehouse.ingestion on flat JSONL: every record accounted for, bad ones quarantined with their
reason, ids hashed, duplicates dropped and counted, each file once, a re-ingested day once."""

import hashlib
import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest

from warehouse.db import writer
from warehouse.ingestion import IngestSettings, LogInputError, ingest_paths, reingest_day

SALT = "test-salt"
TS = "2026-11-01T08:00:00Z"
SETTINGS = IngestSettings(salt=SALT, max_field_chars=500, raw_chars=120)


def _line(**record) -> bytes:
    return (json.dumps(record) + "\n").encode("utf-8")


def _good(request_id: str, **extra) -> bytes:
    return _line(request_id=request_id, timestamp=TS, query=f"question {request_id}", **extra)


# One of each kind of bad record, between good ones: (bytes, expected outcome). Outcomes:
# "accepted", "skipped" (blank), "duplicate:<kind>", or the rejection reason.
CORPUS: list[tuple[bytes, str]] = [
    (_good("g1", user_id="alice@example.com", surface="chat", mode="precise", prompt_tokens=12,
           completion_tokens=3, latency_ms=250, session_id="s1", response="an answer", model="big"), "accepted"),
    (b"\n", "skipped"),
    (b'{"request_id": "b1", "timestamp": \n', "invalid_json"),
    (b'{"request_id": "b2", "timestamp": "2026-11-01T08:00:00Z", "query": "caf\xe9"}\n', "invalid_utf8"),
    (b"[1, 2, 3]\n", "not_an_object"),
    (_line(request_id="b3", timestamp=TS), "empty_query"),
    (_line(request_id="b4", timestamp=TS, query="   "), "empty_query"),
    (_line(request_id="b5", timestamp="yesterday", query="q"), "bad_timestamp"),
    (_line(request_id="b6", timestamp="", query="empty timestamp"), "bad_timestamp"),  # none at all: undated rule
    (_line(timestamp=TS, query="q"), "missing_request_id"),
    (_good("b7", prompt_tokens="many"), "wrong_type"),
    (_good("b8", completion_tokens=-1), "wrong_type"),
    (_good("b9", prompt_tokens=1.5), "wrong_type"),
    (_good("b10", latency_ms="fast"), "wrong_type"),
    (_good("b11", surface=["chat"]), "wrong_type"),
    (_good("b12", response={"text": "nested"}), "wrong_type"),
    (_good("b13", response="x" * 501), "field_too_large"),
    (_line(request_id="g2", user_id="bob", timestamp=1793520060, query="  epoch query  "), "accepted"),
    (_line(request_id="g1", timestamp=TS, query="a later record with a seen id"), "duplicate:request_id"),
    (_line(request_id="g3", timestamp="2026-11-01T10:30:00+02:00", query="offset", session_id="s9"), "accepted"),
    (_line(request_id="g4", timestamp="2026-11-01T08:30:00Z", query="offset", session_id="s9"),
     "duplicate:session_query"),
    (b"   \t \r\n", "skipped"),
    (_line(request_id=42, timestamp=TS, query="numeric id", prompt_tokens=7.0), "accepted"),
    (_line(request_id="g5", timestamp=TS, user_id="carol", query="write to carol@example.com or call +1 415-555-0100"),
     "accepted"),
    (b'{"request_id": "g6", "timestamp": "2026-11-02T00:00:01Z", "query": "next day"}', "accepted"),  # no final \n
]
REJECTED = {n: o for n, (_, o) in enumerate(CORPUS, 1) if o not in ("accepted", "skipped") and ":" not in o}


def _ingest(data_dir: Path, paths: list[Path], settings: IngestSettings = SETTINGS):
    with writer(data_dir) as con:
        return ingest_paths(con, [str(p) for p in paths], settings)


def _rows(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    with writer(data_dir) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "landing" / "mixed.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"".join(raw for raw, _ in CORPUS))
    return path


@pytest.fixture
def loaded(tmp_path, corpus):
    data = tmp_path / "data"
    (report,) = _ingest(data, [corpus])
    return data, report


def test_every_good_record_loads_and_every_bad_one_is_quarantined_with_its_reason(loaded, corpus):
    data, report = loaded
    accepted = [n for n, (_, o) in enumerate(CORPUS, 1) if o == "accepted"]
    assert [r[0] for r in _rows(data, "SELECT source_line FROM chat_logs ORDER BY source_line")] == accepted
    rejected = _rows(data, "SELECT source_line, reason, source_file FROM rejected_log_rows ORDER BY source_line")
    assert {line: reason for line, reason, _ in rejected} == REJECTED
    assert {f for _, _, f in rejected} == {str(corpus.resolve())}
    assert report.accepted == len(accepted)
    assert dict(report.rejected) == dict(sorted((r, list(REJECTED.values()).count(r)) for r in set(REJECTED.values())))
    assert dict(report.duplicates) == {"request_id": 1, "session_query": 1}
    non_blank = sum(1 for _, o in CORPUS if o != "skipped")
    assert report.records == non_blank == report.accepted + sum(report.rejected.values()) + sum(report.duplicates.values())


def test_rejected_rows_say_why_and_keep_raw_text_truncated(loaded):
    data, _ = loaded
    rows = {r[0]: r[1:] for r in _rows(data, "SELECT source_line, day, detail, raw FROM rejected_log_rows")}
    for line, (day, detail, raw) in rows.items():
        assert detail, line
        assert len(raw) <= SETTINGS.raw_chars and not raw.endswith("\n")
        timestamped = REJECTED[line] not in ("invalid_json", "invalid_utf8", "not_an_object", "bad_timestamp")
        assert (day == date(2026, 11, 1)) if timestamped else day is None, line
    assert rows[4][2] == '{"request_id": "b2", "timestamp": "2026-11-01T08:00:00Z", "query": "caf\ufffd"}'
    assert "invalid continuation byte" in rows[4][1]
    assert rows[11][1] == 'prompt_tokens must be a non-negative integer, got "many"'
    assert rows[15][1].startswith("surface must be a string or a number, got [")
    assert rows[17][1] == "response has 501 characters, over ingest.max_field_chars = 500"


def test_accepted_rows_normalised(loaded):
    data, _ = loaded
    rows = {r[0]: r for r in _rows(data, "SELECT request_id, day, ts, query, surface, mode, session_id, response, "
                                         "model, prompt_tokens, completion_tokens, latency_ms FROM chat_logs")}
    assert set(rows) == {"g1", "g2", "g3", "42", "g5", "g6"}
    assert rows["g1"][1:] == (date(2026, 11, 1), datetime(2026, 11, 1, 8), "question g1", "chat", "precise", "s1",
                              "an answer", "big", 12, 3, 250.0)
    assert rows["g2"][2:4] == (datetime(2026, 11, 1, 8, 1), "epoch query")  # epoch seconds; query stripped
    assert rows["g3"][2] == datetime(2026, 11, 1, 8, 30)  # +02:00 taken to UTC
    assert rows["42"][9] == 7
    assert rows["g6"][1] == date(2026, 11, 2)


def test_user_ids_hashed_and_pii_redacted_before_storage(loaded):
    data, report = loaded
    hashes = dict(_rows(data, "SELECT request_id, user_hash FROM chat_logs"))
    assert hashes["g1"] == hashlib.sha256(f"{SALT}:alice@example.com".encode()).hexdigest()
    assert hashes["g3"] is None
    assert dict(_rows(data, "SELECT request_id, query FROM chat_logs"))["g5"] == "write to [EMAIL] or call [PHONE]"
    stored = json.dumps(_rows(data, "SELECT * FROM chat_logs") + _rows(data, "SELECT * FROM rejected_log_rows"), default=str)
    for secret in ("alice@example.com", "carol@example.com", "415-555-0100", '"bob"'):
        assert secret not in stored
    assert report.redacted == {"email": 1, "phone": 1}


def test_same_file_twice_changes_nothing(tmp_path, loaded, corpus):
    data, _ = loaded
    tables = ("chat_logs", "rejected_log_rows", "ingested_files")
    before = {t: _rows(data, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    copy = tmp_path / "elsewhere.jsonl"
    copy.write_bytes(corpus.read_bytes())
    again = _ingest(data, [corpus, copy])
    assert [(r.status, r.same_as) for r in again] == [("already_ingested", str(corpus.resolve()))] * 2
    assert {t: _rows(data, f"SELECT * FROM {t} ORDER BY ALL") for t in tables} == before
    registered = _rows(data, "SELECT path, size, sha256, accepted, days FROM ingested_files")
    assert registered == [(str(corpus.resolve()), corpus.stat().st_size,
                           hashlib.sha256(corpus.read_bytes()).hexdigest(), 6, [date(2026, 11, 1), date(2026, 11, 2)])]


def test_reingesting_a_day_replaces_it_once(loaded):
    data, _ = loaded
    before = _rows(data, "SELECT * FROM chat_logs ORDER BY ALL")
    rejected_before = _rows(data, "SELECT * FROM rejected_log_rows ORDER BY ALL")
    for _ in range(2):
        with writer(data) as con:
            (report,) = reingest_day(con, date(2026, 11, 1), SETTINGS)
    assert report.status == "reingested" and report.accepted == 5
    assert _rows(data, "SELECT * FROM chat_logs ORDER BY ALL") == before
    assert _rows(data, "SELECT * FROM rejected_log_rows ORDER BY ALL") == rejected_before


def test_reingest_under_a_new_salt_rewrites_the_day_only(loaded):
    data, _ = loaded
    with writer(data) as con:
        reingest_day(con, date(2026, 11, 1), IngestSettings(salt="new", max_field_chars=500, raw_chars=120))
    hashes = dict(_rows(data, "SELECT request_id, user_hash FROM chat_logs"))
    assert hashes["g1"] == hashlib.sha256(b"new:alice@example.com").hexdigest()
    assert _rows(data, "SELECT count(*) FROM chat_logs WHERE day = '2026-11-02'") == [(1,)]


def test_reingest_refuses_a_changed_file(loaded, corpus):
    data, _ = loaded
    corpus.write_bytes(corpus.read_bytes() + _good("late"))
    with writer(data) as con, pytest.raises(LogInputError, match="changed since it was ingested"):
        reingest_day(con, date(2026, 11, 1), SETTINGS)


def test_duplicates_across_files_first_file_wins(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(_good("x") + _good("y") + _good("y"))
    second.write_bytes(_line(request_id="x", timestamp=TS, query="later") + _good("z") + b"oops\n")
    reports = _ingest(tmp_path / "data", [first, second])
    rows = _rows(tmp_path / "data", "SELECT request_id, query, source_file FROM chat_logs ORDER BY request_id")
    assert [(r[0], r[1]) for r in rows] == [("x", "question x"), ("y", "question y"), ("z", "question z")]
    assert rows[0][2] == str(first.resolve())
    assert [dict(r.duplicates) for r in reports] == [{"request_id": 1}, {"request_id": 1}]
    # a later file repeating a stored id is dropped too
    third = tmp_path / "c.jsonl"
    third.write_bytes(_line(request_id="z", timestamp=TS, query="again") + _good("w"))
    (report,) = _ingest(tmp_path / "data", [third])
    assert (report.accepted, dict(report.duplicates)) == (1, {"request_id": 1})


def test_input_errors_name_the_path(tmp_path):
    with pytest.raises(LogInputError, match="does not exist"):
        _ingest(tmp_path / "data", [tmp_path / "nowhere"])
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(LogInputError, match="no log files"):
        _ingest(tmp_path / "data", [tmp_path])


def test_a_file_rewritten_in_place_is_ingested_again(tmp_path):
    path = tmp_path / "today.jsonl"
    path.write_bytes(_good("a1"))
    _ingest(tmp_path / "data", [path])
    path.write_bytes(_good("a2"))  # same size, new content, newer modification time
    future = path.stat().st_mtime_ns + 10**10
    os.utime(path, ns=(future, future))
    (report,) = _ingest(tmp_path / "data", [path])
    assert (report.status, report.accepted) == ("ingested", 1)
    assert [r[0] for r in _rows(tmp_path / "data", "SELECT request_id FROM chat_logs ORDER BY 1")] == ["a1", "a2"]


def test_a_file_that_grew_adds_only_its_new_lines(tmp_path):
    path = tmp_path / "growing.jsonl"
    path.write_bytes(_good("a1") + b'{"request_id": "bad", \n' + _good("a2"))
    _ingest(tmp_path / "data", [path])
    with path.open("ab") as log:  # the day's log goes on: one more good line, one more bad
        log.write(_good("a3") + b"not json\n")
    (report,) = _ingest(tmp_path / "data", [path])
    assert report.status == "ingested"
    assert [r[0] for r in _rows(tmp_path / "data", "SELECT request_id FROM chat_logs ORDER BY 1")] == ["a1", "a2", "a3"]
    # The old bad line stays quarantined once; the new one joins it.
    assert _rows(tmp_path / "data", "SELECT source_line, reason FROM rejected_log_rows ORDER BY 1") == [
        (2, "invalid_json"), (5, "invalid_json")]
