"""Each poisoned input next to good files in one ingest call: the good data lands, the bad is
quarantined with its reason (a record in rejected_log_rows, a file in quarantined_files), and
nothing is registered or stored that should not be."""

import gzip
import json
import os
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from warehouse.db import writer
from warehouse.ingestion import IngestSettings, LogInputError, ingest_paths, reingest_day

TS = "2026-11-01T08:00:00Z"
SETTINGS = IngestSettings(salt="s", max_field_chars=500, raw_chars=200)


def _line(**record) -> bytes:
    return (json.dumps(record) + "\n").encode()


def _good(request_id: str, **extra) -> bytes:
    return _line(request_id=request_id, timestamp=TS, query=f"question {request_id}", **extra)


def _ingest(data: Path, paths, settings: IngestSettings = SETTINGS, fmt: str = "auto"):
    with writer(data) as con:
        return ingest_paths(con, [str(p) for p in paths], settings, fmt=fmt)


def _rows(data: Path, sql: str, params=None) -> list[tuple]:
    with writer(data) as con:
        return con.execute(sql, params or []).fetchall()


# A value that cannot be stored rejects its own record only: (record, reason).
BAD_VALUES = [
    (_good("v1", prompt_tokens=3e9), "wrong_type"),
    (_good("v2", prompt_tokens="NaN"), "wrong_type"),
    (_good("v3", completion_tokens="inf"), "wrong_type"),
    (b'{"request_id": "v4", "timestamp": "2026-11-01T08:00:00Z", "query": "q", "prompt_tokens": 1e999}\n', "wrong_type"),
    (_good("v5", prompt_tokens=-5e12), "wrong_type"),
    (_good("v6", latency_ms="NaN"), "wrong_type"),
    (_line(request_id="v7", timestamp=1793520000000000, query="microseconds"), "implausible_timestamp"),
    (_line(request_id="v8", timestamp="10000-01-01T00:00:00Z", query="year 10000"), "implausible_timestamp"),
    (_line(request_id="v9", timestamp="1969-12-31T23:59:59Z", query="1969"), "implausible_timestamp"),
    (_line(request_id="v10", timestamp="9999-12-31T00:00:00Z", query="9999"), "implausible_timestamp"),
    (_line(request_id="v11", timestamp=-1e30, query="far past"), "bad_timestamp"),
]


def _gzip_truncated(path: Path) -> Path:
    data = gzip.compress(b"".join(_good(f"t{i}") for i in range(2000)))
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """Good files, each kind of bad value among good records, and one bad file of each kind."""
    root = tmp_path / "landing"
    (root / "2026" / "11").mkdir(parents=True)
    (root / "a_good.jsonl").write_bytes(_good("g1") + b"".join(r for r, _ in BAD_VALUES) + _good("g2"))
    (root / "2026" / "11" / "b_good_in_subfolder.jsonl.gz").write_bytes(gzip.compress(_good("g3")))
    (root / ".hidden.jsonl").write_bytes(_good("hidden"))  # editors' scratch files are not logs
    _gzip_truncated(root / "c_truncated.jsonl.gz")
    (root / "d_corrupt.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(300))
    with pa.CompressedOutputStream(str(root / "e_zstd_named.jsonl.gz"), "zstd") as out:
        out.write(_good("z1"))
    (root / "f_fake.parquet").write_bytes(b"PAR1 this is not parquet " + _good("p1"))
    (root / "g_headerless.csv").write_text("c-1,2026-11-01T08:00:00Z,s-1,u-1,chat,precise,en,who,Him,m,1,1,5\n")
    (root / "h_loop.jsonl").symlink_to(root / "h_loop.jsonl")
    (root / "i_good.csv").write_text('request_id,timestamp,query\ncsv-1,2026-11-01T09:00:00Z,"a\nquestion"\n')
    return root


@pytest.fixture
def poisoned(tmp_path, landing, monkeypatch):
    # an object store that refuses connections: listing it fails (after the SDK's retries)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    unreachable = "s3://planb-missing/logs/?endpoint_override=127.0.0.1:9&scheme=http&region=us-east-1"
    data = tmp_path / "data"
    reports = _ingest(data, [landing, unreachable])
    return data, {Path(r.path).name if "://" not in r.path else "s3": r for r in reports}


def test_good_files_land_and_bad_files_are_quarantined_with_their_reason(poisoned):
    data, reports = poisoned
    # zstd named .gz: its content decides (issue 26)
    assert {n: r.status for n, r in reports.items() if r.status != "quarantined"} == {
        "a_good.jsonl": "ingested", "b_good_in_subfolder.jsonl.gz": "ingested", "i_good.csv": "ingested",
        "e_zstd_named.jsonl.gz": "ingested"}
    assert {n: r.reason for n, r in reports.items() if r.status == "quarantined"} == {
        "c_truncated.jsonl.gz": "corrupt_compression", "d_corrupt.jsonl.gz": "corrupt_compression",
        "f_fake.parquet": "not_parquet", "g_headerless.csv": "not_csv", "h_loop.jsonl": "unreadable",
        "s3": "unreadable"}
    stored = _rows(data, "SELECT path, reason, detail FROM quarantined_files ORDER BY path")
    assert len(stored) == 6 and all(detail and "\n" not in detail for _, _, detail in stored)
    assert "2026-11-01T08:00:00Z" not in str(stored)  # the headerless CSV's cells are not quoted
    # nothing of a quarantined file is stored or registered
    assert sorted(r[0] for r in _rows(data, "SELECT request_id FROM chat_logs")) == ["csv-1", "g1", "g2", "g3", "z1"]
    registered = {Path(p).name for (p,) in _rows(data, "SELECT path FROM ingested_files")}
    assert registered == {"a_good.jsonl", "b_good_in_subfolder.jsonl.gz", "i_good.csv", "e_zstd_named.jsonl.gz"}
    sources = {Path(p).name for (p,) in _rows(data, "SELECT DISTINCT source_file FROM rejected_log_rows")}
    assert sources == {"a_good.jsonl"}
    # the CSV's line numbers count the quoted line break
    assert _rows(data, "SELECT source_line FROM chat_logs WHERE request_id = 'csv-1'") == [(2,)]


def test_a_bad_value_rejects_its_record_only_and_never_makes_a_day(poisoned):
    data, reports = poisoned
    rejected = _rows(data, "SELECT source_line, reason, day, detail FROM rejected_log_rows ORDER BY 1")
    assert [(line, reason) for line, reason, _, _ in rejected] == [
        (n, reason) for n, (_, reason) in enumerate(BAD_VALUES, start=2)]
    assert all(day in (None, date(2026, 11, 1)) for _, _, day, _ in rejected)
    assert all(day is None for _, reason, day, _ in rejected if reason.endswith("timestamp"))
    assert reports["a_good.jsonl"].days == {date(2026, 11, 1)}
    days = _rows(data, "SELECT DISTINCT unnest(days) FROM ingested_files")
    assert days == [(date(2026, 11, 1),)]
    assert "ingest.earliest_day" in dict((r[0], r[3]) for r in rejected)[8]


def test_a_second_call_does_not_quarantine_the_same_file_twice(poisoned, landing):
    data, _ = poisoned
    reports = _ingest(data, [landing])
    assert sum(r.status == "quarantined" for r in reports) == 5
    assert _rows(data, "SELECT count(*) FROM quarantined_files") == [(6,)]
    (landing / "c_truncated.jsonl.gz").write_bytes(gzip.compress(_good("fixed")))  # replaced whole
    reports = {Path(r.path).name: r for r in _ingest(data, [landing])}
    assert reports["c_truncated.jsonl.gz"].status == "ingested"
    assert ("fixed",) in _rows(data, "SELECT request_id FROM chat_logs")


def test_a_file_that_fails_half_way_takes_its_rows_back(tmp_path, monkeypatch):
    """A truncated .gz read in many small blocks: its first blocks were stored before the error."""
    from functools import partial

    from warehouse.ingestion import readers
    from warehouse.ingestion.lines import line_batches

    monkeypatch.setattr(readers, "line_batches", partial(line_batches, block_bytes=4096))
    bad = _gzip_truncated(tmp_path / "big_truncated.jsonl.gz")
    good = tmp_path / "good.jsonl"
    good.write_bytes(_good("ok"))
    reports = _ingest(tmp_path / "data", [bad, good])
    assert [r.status for r in reports] == ["quarantined", "ingested"]
    assert reports[0].records == 0
    assert _rows(tmp_path / "data", "SELECT request_id FROM chat_logs") == [("ok",)]
    assert _rows(tmp_path / "data", "SELECT count(*) FROM rejected_log_rows") == [(0,)]


def test_a_line_over_32_mb_is_rejected_and_the_rest_kept(tmp_path):
    path = tmp_path / "huge.jsonl"
    path.write_bytes(_good("before") + _line(request_id="huge", timestamp=TS, query="x" * (33 << 20)) + _good("after"))
    (report,) = _ingest(tmp_path / "data", [path])
    assert (report.accepted, dict(report.rejected)) == (2, {"field_too_large": 1})
    assert _rows(tmp_path / "data", "SELECT source_line, length(raw) FROM rejected_log_rows") == [(2, 200)]


def test_a_wrong_format_can_be_redone_with_the_right_one(tmp_path):
    path = tmp_path / "gateway.ndjson"
    path.write_bytes((Path(__file__).parent / "fixtures" / "openai.jsonl").read_bytes())
    data = tmp_path / "data"
    (first,) = _ingest(data, [path], fmt="flat")
    assert first.accepted == 0 and first.rejected == {"wrong_type": 2}
    (again,) = _ingest(data, [path], fmt="flat")
    assert again.status == "already_ingested"
    (redone,) = _ingest(data, [path], fmt="openai")
    assert (redone.status, redone.accepted, sum(redone.rejected.values())) == ("reformatted", 2, 0)
    assert _rows(data, "SELECT count(*) FROM rejected_log_rows") == [(0,)]
    assert _rows(data, "SELECT format FROM ingested_files") == [("openai",)]
    (auto,) = _ingest(data, [path])
    assert auto.status == "already_ingested"


def test_a_grown_file_can_be_read_again_for_a_day(tmp_path):
    path = tmp_path / "growing.jsonl"
    path.write_bytes(_good("a1") + _good("a2"))
    data = tmp_path / "data"
    _ingest(data, [path])
    with path.open("ab") as log:
        log.write(_good("a3"))
    _ingest(data, [path])
    with writer(data) as con:
        reports = reingest_day(con, date(2026, 11, 1), SETTINGS)
    assert [r.accepted for r in reports] == [3]
    assert _rows(data, "SELECT request_id FROM chat_logs ORDER BY 1") == [("a1",), ("a2",), ("a3",)]
    with path.open("ab") as log:  # grown again and not ingested yet: say what to do
        log.write(_good("a4"))
    with pytest.raises(LogInputError, match="ingest it again first"), writer(data) as con:
        reingest_day(con, date(2026, 11, 1), SETTINGS)


def test_many_small_files_land_in_batches_with_progress(tmp_path, monkeypatch):
    from warehouse.ingestion import load

    monkeypatch.setattr(load, "BATCH_FILES", 16)
    root = tmp_path / "many"
    root.mkdir()
    for i in range(40):
        (root / f"f{i:03d}.jsonl").write_bytes(_good(f"m{i}", session_id="s") + (b"{oops\n" if i % 10 == 3 else b""))
    (root / "f020.jsonl").write_bytes(b"\x1f\x8b not gzip but named jsonl: a line of garbage\n")
    lines: list[str] = []
    with writer(tmp_path / "data") as con:
        reports = ingest_paths(con, [str(root)], SETTINGS, progress=lines.append)
    assert len(lines) == 3 and lines[-1].startswith("ingest batch 3/3") and "40/40 files" in lines[-1]
    assert sum(r.accepted for r in reports) == 39
    assert sum(sum(r.rejected.values()) for r in reports) == 5  # 4 "{oops" lines, and f020's line
    assert {r.path.rsplit("/", 1)[-1]: r.accepted for r in reports}["f021.jsonl"] == 1
    lines_by_file = _rows(tmp_path / "data", "SELECT source_file, source_line, reason FROM rejected_log_rows "
                          "ORDER BY source_file")
    assert [(Path(f).name, n) for f, n, _ in lines_by_file] == [
        ("f003.jsonl", 2), ("f013.jsonl", 2), ("f020.jsonl", 1), ("f023.jsonl", 2), ("f033.jsonl", 2)]
    assert _rows(tmp_path / "data", "SELECT count(*) FROM ingested_files") == [(40,)]


def test_planb_ingest_prints_each_file_lands_the_rest_and_exits_1_on_a_quarantined_one(tmp_path, capsys):
    from assets.cli.main import main

    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "lmsys.jsonl").write_bytes((Path(__file__).parent / "fixtures" / "lmsys_chat_1m.jsonl").read_bytes())
    (landing / "broken.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(SystemExit) as stop:
        main(["--data-dir", str(tmp_path / "data"), "ingest", str(landing), "--day", "2026-11-05"])
    assert str(stop.value.code) == "planb ingest: 1 file(s) quarantined (table quarantined_files); the others landed"
    out = capsys.readouterr().out.splitlines()
    assert "broken.jsonl.gz: quarantined (corrupt_compression): " in out[0] and len(out) == 2
    assert "[conversation]: 3 records, 3 accepted" in out[1]
    assert _rows(tmp_path / "data", "SELECT DISTINCT day FROM chat_logs") == [(date(2026, 11, 5),)]
