"""`planb reviews`: export and import as CSV and Parquet round trip; an import's bad rows are
refused one line each (row, column, value) while its good rows land; `sample` runs the review
assets and publishes the snapshot."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: the review warehouse helper
from review_warehouse import at, write_pairs  # noqa: E402

from assets.cli.main import main  # noqa: E402
from warehouse import reviews  # noqa: E402


def planb(data_dir: Path, *args: str) -> None:
    main(["--data-dir", str(data_dir), *args])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_then_import_elsewhere_round_trips(tmp_path, suffix, capsys):
    first, second = tmp_path / "first", tmp_path / "second"
    reviews.record(first, reviews.Verdict("req-1", "ann", "left_better", "right", at(0)))
    reviews.record(first, reviews.Verdict("req-2", "Bø Ünïcode, \"quoted\"", "cant_judge", "left", at(1)))
    out = tmp_path / f"reviews{suffix}"
    planb(first, "reviews", "export", "--out", str(out))
    assert "2 verdicts written" in capsys.readouterr().out
    planb(second, "reviews", "import", str(out))
    assert "2 verdicts imported" in capsys.readouterr().out
    columns = ["request_id", "reviewer", "verdict", "small_side", "reviewed_at"]
    assert reviews.read_all(second).select(columns).equals(reviews.read_all(first).select(columns))
    planb(second, "reviews", "import", str(out))  # again: nothing new
    assert "0 verdicts imported" in capsys.readouterr().out and reviews.read_all(second).height == 2


def test_a_spreadsheet_s_bad_rows_are_named_and_its_good_rows_land(tmp_path, capsys):
    sheet = tmp_path / "labels.csv"
    sheet.write_text("request_id,reviewer,verdict,small_side,reviewed_at,prompt\n"
                     "req-1,ann,Small better,,2026-12-01T10:00:00Z,text\n"
                     "req-2,ann,left better,sideways,2026-12-01T10:01:00Z,text\n"
                     "req-3,ann,About the same,,2026-12-01 10:02,text\n"
                     "req-4,,same,,2026-12-01T10:03:00Z,text\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        planb(tmp_path, "reviews", "import", str(sheet))
    assert stopped.value.code == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "planb reviews import: labels.csv: row 2, column small_side: 'sideways' is not left or right (verdict "
        "left_better needs it)",
        "planb reviews import: labels.csv: row 4, column reviewer: None is not a non-empty text of at most 200 "
        "characters",
    ]
    assert "2 verdicts imported" in captured.out and "2 rows refused" in captured.out
    assert reviews.read_all(tmp_path).select("request_id", "verdict").rows() == [
        ("req-1", "small_better"), ("req-3", "same")]


def test_an_unreadable_or_misnamed_file_is_one_line(tmp_path):
    with pytest.raises(SystemExit, match=r"^planb reviews: .*must end in .csv or .parquet, not '.xlsx'$"):
        planb(tmp_path, "reviews", "export", "--out", str(tmp_path / "x.xlsx"))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(SystemExit, match=r"^planb reviews: .*broken.parquet: not a readable parquet file"):
        planb(tmp_path, "reviews", "import", str(broken))
    with pytest.raises(SystemExit, match="column reviewed_at missing"):
        pl.DataFrame({"request_id": ["r"], "reviewer": ["a"], "verdict": ["same"]}).write_csv(tmp_path / "x.csv")
        planb(tmp_path, "reviews", "import", str(tmp_path / "x.csv"))


def test_sample_draws_reads_in_and_publishes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    write_pairs(tmp_path, days=2)
    reviews.record(tmp_path, reviews.Verdict("req-1101-open-0", "ann", "same", "left", at(0)))
    planb(tmp_path, "reviews", "sample")
    assert "pairs drawn for review" in capsys.readouterr().out
    con = duckdb.connect(str(tmp_path / "snapshot.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM review_sample").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM review_verdicts").fetchone()[0] == 1
    finally:
        con.close()
