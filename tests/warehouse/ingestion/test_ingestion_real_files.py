"""Files as real tools write them (issue 26): a name that is not UTF-8, Excel's BOM CSV, CRLF,
UTF-16 by its BOM, a CSV row with an unterminated quote, a file's type from its content, and a
file replaced in place with the same size and modification time."""

import gzip
import io
import json
import os
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.cli.main import main
from warehouse.db import writer
from warehouse.ingestion import IngestSettings, ingest_paths, reingest_day
from warehouse.ingestion.readers import broken_rows

TS = "2026-11-01T08:00:00Z"
SETTINGS = IngestSettings(salt="s")


def _good(request_id: str) -> str:
    return json.dumps({"request_id": request_id, "timestamp": TS, "query": f"question {request_id}"}) + "\n"


def _ingest(data: Path, paths):
    with writer(data) as con:
        return ingest_paths(con, [str(p) for p in paths], SETTINGS)


def _rows(data: Path, sql: str) -> list[tuple]:
    with writer(data) as con:
        return con.execute(sql).fetchall()


def test_a_file_name_with_invalid_utf8_bytes_is_quarantined_by_its_bytes_and_the_rest_lands(tmp_path, capsys):
    land = tmp_path / "land"
    land.mkdir()
    for i in range(20):
        (land / f"ok{i:02d}.jsonl").write_text(_good(f"r{i}"))
    with open(os.path.join(os.fsencode(land), b"caf\xe9.jsonl"), "wb") as bad:
        bad.write(_good("latin1").encode())
    with pytest.raises(SystemExit, match="1 file\\(s\\) quarantined"):
        main(["--data-dir", str(tmp_path / "data"), "ingest", str(land)])
    out = capsys.readouterr().out
    assert "caf\\xe9.jsonl: quarantined (bad_file_name)" in out
    assert _rows(tmp_path / "data", "SELECT count(*) FROM chat_logs") == [(20,)]
    (path, reason), = _rows(tmp_path / "data", "SELECT path, reason FROM quarantined_files")
    assert path == f"{land}/caf\\xe9.jsonl" and reason == "bad_file_name"
    # named on the command line alone: the same
    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path / "data"), "ingest", os.fsdecode(os.fsencode(land) + b"/caf\xe9.jsonl")])
    assert _rows(tmp_path / "data", "SELECT count(*) FROM quarantined_files") == [(1,)]


def test_excel_bom_csv_crlf_and_utf16_files_are_read(tmp_path):
    land = tmp_path / "land"
    land.mkdir()
    csv_text = ("request_id,timestamp,query\r\nc1,2026-11-01T08:00:00Z,hello\r\n"
                "c2,2026-11-01T08:00:00Z,\"two\r\nlines\"\r\n")
    (land / "excel.csv").write_bytes(b"\xef\xbb\xbf" + csv_text.replace("c1", "e1").replace("c2", "e2").encode())
    (land / "powershell.csv").write_bytes(csv_text.replace("c1", "p1").replace("c2", "p2").encode("utf-16"))
    (land / "crlf.jsonl").write_bytes((_good("j1") + _good("j2")).replace("\n", "\r\n").encode())
    (land / "utf16.jsonl").write_bytes((_good("u1") + _good("u2")).encode("utf-16"))
    (land / "utf16_be.jsonl.gz").write_bytes(gzip.compress((_good("b1") + _good("b2")).encode("utf-16-be")
                                                           .join([b"\xfe\xff", b""])))
    big = "".join(_good(f"big{i}") for i in range(30_000)).encode("utf-16-le")  # over the small-file size
    (land / "utf16_large.jsonl").write_bytes(b"\xff\xfe" + big)
    reports = _ingest(tmp_path / "data", [land])
    assert all(r.status == "ingested" and not r.rejected for r in reports), [(r.path, r.rejected) for r in reports]
    ids = {r for (r,) in _rows(tmp_path / "data", "SELECT request_id FROM chat_logs")}
    assert {"e1", "e2", "p1", "p2", "j1", "j2", "u1", "u2", "b1", "b2", "big0", "big29999"} <= ids
    assert len(ids) == 30_010
    assert _rows(tmp_path / "data", "SELECT query FROM chat_logs WHERE request_id = 'p2'") == [("two\r\nlines",)]
    assert _rows(tmp_path / "data", "SELECT source_line FROM chat_logs WHERE request_id = 'u2'") == [(2,)]


CSV_HEAD = "request_id,timestamp,query\n"


@pytest.mark.parametrize(("rows", "kept", "broken"), [
    # an unterminated quote that runs to the end of the file
    ('c1,2026-11-01T08:00:00Z,"unterminated\nc2,2026-11-01T08:00:00Z,two\nc3,2026-11-01T08:00:00Z,three\n',
     ["c2", "c3"], [2]),
    # one closed by a later row's quote (which Arrow would read as one merged row of three cells)
    ('c1,2026-11-01T08:00:00Z,"open\nc2,2026-11-01T08:00:00Z,"two"\nc3,2026-11-01T08:00:00Z,three\n',
     ["c2", "c3"], [2]),
    # two of them (an even number of quotes)
    ('c1,2026-11-01T08:00:00Z,"open\nc2,2026-11-01T08:00:00Z,two\nc3,2026-11-01T08:00:00Z,"again\n'
     'c4,2026-11-01T08:00:00Z,four\n', ["c2", "c4"], [2, 4]),
    # a quote inside an unquoted cell is text, and a quoted line break is a cell's
    ('c1,2026-11-01T08:00:00Z,a 5" screen\nc2,2026-11-01T08:00:00Z,"two\nlines"\nc3,2026-11-01T08:00:00Z,x\n',
     ["c1", "c2", "c3"], []),
])
def test_a_broken_csv_row_is_rejected_with_its_line_and_the_rows_after_it_kept(tmp_path, rows, kept, broken):
    path = tmp_path / "export.csv"
    path.write_text(CSV_HEAD + rows)
    (report,) = _ingest(tmp_path / "data", [path])
    assert sorted(r for (r,) in _rows(tmp_path / "data", "SELECT request_id FROM chat_logs")) == kept
    stored = _rows(tmp_path / "data", "SELECT source_line, reason, detail, raw FROM rejected_log_rows ORDER BY 1")
    assert [(line, reason) for line, reason, _, _ in stored] == [(n, "broken_csv_row") for n in broken]
    assert all(f"line {line}" in detail and raw.startswith("c") for line, _, detail, raw in stored)
    assert report.records == len(kept) + len(broken) and report.accepted == len(kept)
    if broken:  # the row after a broken one keeps its own line
        assert _rows(tmp_path / "data", "SELECT source_line FROM chat_logs WHERE request_id = 'c2'") == [(3,)]


def test_broken_rows_of_a_large_file_are_found_by_an_odd_count_of_quotes(tmp_path, monkeypatch):
    from warehouse.ingestion import readers

    monkeypatch.setattr(readers, "SCAN_ALL_BYTES", 100)
    path = tmp_path / "big.csv"
    path.write_text(CSV_HEAD + "".join(f"c{i},{TS},q{i}\n" for i in range(50)) + f'x,{TS},"open\n'
                    + "".join(f"d{i},{TS},q{i}\n" for i in range(5)))
    (report,) = _ingest(tmp_path / "data", [path])
    assert (report.accepted, dict(report.rejected)) == (55, {"broken_csv_row": 1})
    assert _rows(tmp_path / "data", "SELECT source_line FROM rejected_log_rows") == [(52,)]


def test_broken_rows_reports_each_and_refuses_a_file_of_them():
    assert broken_rows(io.BytesIO(b'a,b\n1,"x\n2,y\n')) == [
        (2, '1,"x\n', "row starting on line 2 has an unterminated or misplaced quote (unexpected end of data): "
                      "rejected, and the lines after it read as rows of their own")]
    assert broken_rows(io.BytesIO(b'a,b\r\n1,"x\r\ny"\r\n2,z\r\n')) == []


def test_a_files_type_comes_from_its_content(tmp_path):
    land = tmp_path / "land"
    land.mkdir()
    pq.write_table(pa.table({"request_id": ["pq1"], "timestamp": [TS], "query": ["q"]}), land / "parquet.jsonl")
    (land / "json_lines.csv").write_text(_good("j1"))
    (land / "gzip_named_plain.jsonl").write_bytes(gzip.compress(_good("g1").encode()))
    with pa.CompressedOutputStream(str(land / "zstd_named_gz.jsonl.gz"), "zstd") as out:
        out.write(_good("z1").encode())
    reports = {Path(r.path).name: r for r in _ingest(tmp_path / "data", [land])}
    assert {n: (r.status, r.format, r.accepted) for n, r in reports.items()} == {
        "parquet.jsonl": ("ingested", "parquet", 1), "json_lines.csv": ("ingested", "flat", 1),
        "gzip_named_plain.jsonl": ("ingested", "flat", 1), "zstd_named_gz.jsonl.gz": ("ingested", "flat", 1)}
    assert _rows(tmp_path / "data", "SELECT count(*) FROM rejected_log_rows") == [(0,)]


def test_a_file_replaced_with_the_same_size_and_mtime_is_known_by_its_content(tmp_path, capsys):
    path = tmp_path / "x.jsonl"
    path.write_text(_good("r1"))
    data = tmp_path / "data"
    _ingest(data, [path])
    stat = path.stat()
    path.write_text(_good("r2"))  # the same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # cp -p, rsync -t, unzip
    # --reingest-day first: it says what to do, and that one way works
    with pytest.raises(SystemExit, match="changed since it was ingested.*planb ingest"):
        main(["--data-dir", str(data), "ingest", "--reingest-day", "2026-11-01"])
    main(["--data-dir", str(data), "ingest", str(path)])
    assert "changed since it was ingested as sha256" in capsys.readouterr().out
    assert sorted(r for (r,) in _rows(data, "SELECT request_id FROM chat_logs")) == ["r1", "r2"]
    with writer(data) as con:  # and the day can be read again now: from the file as it is
        (report,) = reingest_day(con, date(2026, 11, 1), SETTINGS)
    assert report.accepted == 1
    assert _rows(data, "SELECT request_id FROM chat_logs") == [("r2",)]
    (again,) = _ingest(data, [path])
    assert again.status == "already_ingested"
