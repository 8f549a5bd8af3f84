"""The reviews store keeps every verdict: two writer processes at once, a writer killed with
SIGKILL mid-save, a reader (the pipeline) holding a read transaction meanwhile; and an imported
table's bad rows are refused one line each, naming row, column and value, while the good land."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from warehouse import reviews
from warehouse.db import writer

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import sys
    from warehouse import reviews
    data_dir, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(count):
        request_id = f"req-{name}-{i}"
        reviews.record(data_dir, reviews.Verdict(request_id, name, "left_better", "right", reviews.utc_now()))
        print(request_id, flush=True)  # only after the commit returned
""")


def _writer(data_dir: Path, name: str, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir), name, str(count)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_store_is_wal_with_full_sync(tmp_path):
    with reviews.connect(tmp_path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_two_writer_processes_at_once_lose_nothing(tmp_path):
    procs = [_writer(tmp_path, name, 150) for name in ("ann", "bob")]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    stored = reviews.read_all(tmp_path)
    assert stored.height == 300
    assert set(stored["request_id"]) == {line for out, _ in outputs for line in out.split()}


@pytest.mark.parametrize("after", [5, 40, 120])
def test_a_writer_killed_mid_save_loses_no_committed_verdict(tmp_path, after):
    proc = _writer(tmp_path, "ann", 100_000)  # writing all the time: the kill lands mid-save
    committed = []
    while len(committed) < after:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        committed.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    committed += [line.strip() for line in proc.stdout.read().split()]  # printed before the kill landed
    stored = set(reviews.read_all(tmp_path)["request_id"])
    assert set(committed) <= stored
    with sqlite3.connect(reviews.reviews_path(tmp_path)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # and the store takes the next verdict as before
    reviews.record(tmp_path, reviews.Verdict("req-next", "bob", "same", None, reviews.utc_now()))
    assert "req-next" in set(reviews.read_all(tmp_path)["request_id"])


def test_a_pipeline_reading_or_holding_the_warehouse_does_not_stop_a_save(tmp_path):
    reviews.record(tmp_path, reviews.Verdict("req-0", "ann", "same", None, reviews.utc_now()))
    reader = sqlite3.connect(reviews.reviews_path(tmp_path), isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM verdicts").fetchone()[0] == 1  # a read transaction held open
    with writer(tmp_path):  # and the warehouse's one writer held, as a pipeline step holds it
        started = time.monotonic()
        proc = _writer(tmp_path, "bob", 20)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert time.monotonic() - started < 60
    assert reader.execute("SELECT count(*) FROM verdicts").fetchone()[0] == 1  # its snapshot, unchanged
    reader.execute("COMMIT")
    reader.close()
    assert reviews.read_all(tmp_path).height == 21


def test_verdicts_are_checked_before_they_are_stored(tmp_path):
    at = datetime(2026, 12, 1, 10)
    for bad, message in ((reviews.Verdict("", "ann", "same", None, at), "column request_id: ''"),
                         (reviews.Verdict("r", "ann", "better", None, at), "column verdict: 'better'"),
                         (reviews.Verdict("r", "ann", "left_better", None, at), "column small_side: empty"),
                         (reviews.Verdict("r", " ", "same", None, at), "column reviewer: ' '")):
        with pytest.raises(reviews.ReviewInputError, match=message):
            reviews.record(tmp_path, bad)
    assert reviews.read_all(tmp_path).is_empty()


def test_an_imported_table_lands_its_good_rows_and_names_each_bad_one(tmp_path):
    table = pl.DataFrame({
        "request_id": ["req-1", "req-2", "req-3", "req-4", "", "req-6"],
        "reviewer": ["ann", "ann", "bob", "bob", "bob", "cy"],
        "verdict": ["Left better", "can't judge", "maybe", "about the same", "same", "right_better"],
        "small_side": ["left", None, "left", None, None, "up"],
        "reviewed_at": ["2026-12-01T10:00:00Z", "2026-12-01T10:01:00", "2026-12-01T10:02:00", "yesterday",
                        "2026-12-01T10:04:00", "2026-12-01T10:05:00"],
        "text": ["the question and answers: never stored"] * 6,
    })
    good, errors = reviews.from_table(table, "labels.csv")
    assert errors == [
        "row 3, column verdict: 'maybe' is not one of left_better, right_better, same, cant_judge, small_better, "
        "large_better",
        "row 4, column reviewed_at: 'yesterday' is not an ISO 8601 time",
        "row 5, column request_id: '' is not a non-empty text of at most 200 characters",
        "row 6, column small_side: 'up' is not left or right (verdict right_better needs it)",
    ]
    assert reviews.add_many(tmp_path, good) == (2, 0)
    assert reviews.add_many(tmp_path, good) == (0, 2)  # the same file again adds nothing
    stored = reviews.read_all(tmp_path)
    assert stored.select("request_id", "verdict", "small_side").rows() == [
        ("req-1", "left_better", "left"), ("req-2", "cant_judge", None)]
    with sqlite3.connect(reviews.reviews_path(tmp_path)) as con:  # ids, names, verdicts, times: no text
        dump = "\n".join(con.iterdump())
    assert "never stored" not in dump


def test_a_table_without_a_needed_column_is_refused_whole(tmp_path):
    with pytest.raises(reviews.ReviewInputError, match="column reviewer missing"):
        reviews.from_table(pl.DataFrame({"request_id": ["r"], "verdict": ["same"], "reviewed_at": ["2026-12-01"]}),
                           "x.csv")


def test_export_and_import_round_trip(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for i, (verdict, side) in enumerate((("left_better", "left"), ("same", None), ("large_better", None))):
        reviews.record(first, reviews.Verdict(f"req-{i}", "ann", verdict, side, datetime(2026, 12, 1, 10, i, 0, 123456)))
    exported = reviews.to_table(first)
    good, errors = reviews.from_table(exported, "export.csv")
    assert not errors and reviews.add_many(second, good) == (3, 0)
    columns = ["request_id", "reviewer", "verdict", "small_side", "reviewed_at"]
    assert reviews.read_all(second).select(columns).equals(reviews.read_all(first).select(columns))


def test_two_reviewers_at_once_are_shown_different_pairs_unless_a_pair_wants_two(tmp_path, monkeypatch):
    queue = [("p1", 1), ("p2", 2), ("p3", 1)]
    assert reviews.claim_next(tmp_path, queue, "ann") == "p1"
    assert reviews.claim_next(tmp_path, queue, "ann") == "p1"  # a rerun keeps her pair
    assert reviews.claim_next(tmp_path, queue, "bob") == "p2"  # p1 is on ann's screen
    assert reviews.claim_next(tmp_path, queue, "cy") == "p2"   # p2 wants two reviewers
    assert reviews.claim_next(tmp_path, queue, "dan") == "p3"
    assert reviews.claim_next(tmp_path, queue, "eve") is None  # every pair has its reviewers on it
    reviews.record(tmp_path, reviews.Verdict("p1", "ann", "same", "left", reviews.utc_now()))
    assert reviews.claim_next(tmp_path, queue, "ann") is None  # p2 is held by two, p3 by dan
    monkeypatch.setattr(reviews, "CLAIM_S", 0)  # dan walked away: his claim lapses
    assert reviews.claim_next(tmp_path, queue, "eve") == "p2"
    assert reviews.claim_next(tmp_path, queue, "ann") == "p2"  # ann has done p1; claims all lapsed
