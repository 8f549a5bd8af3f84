"""warehouse.db: migrations, the transactional writer and the read-only published snapshot.

Real DuckDB files under tmp_path; nothing is mocked.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.db import (
    NoSnapshotError,
    migrate,
    open_snapshot,
    publish_snapshot,
    read_frame,
    replace_partition,
    replace_rows,
    snapshot_path,
    warehouse_path,
    writer,
)

CHAT_LOG_SCHEMA = {
    "day": pl.Date, "request_id": pl.String, "ts": pl.Datetime("us"), "session_id": pl.String,
    "user_hash": pl.String, "surface": pl.String, "mode": pl.String, "language": pl.String,
    "query": pl.String, "response": pl.String, "model": pl.String, "prompt_tokens": pl.Int32,
    "completion_tokens": pl.Int32, "latency_ms": pl.Float64, "source_file": pl.String,
    "source_line": pl.Int32,
}

DAY1, DAY2 = date(2026, 11, 1), date(2026, 11, 2)
TABLES = {"chat_logs", "rejected_log_rows", "replay_sample", "models", "replays", "replay_batches",
          "agreement", "router_scores", "cost_models", "routing_projection", "snapshot_log",
          "schema_migrations", "scoring_versions", "judge_calls", "ingested_files"}


def _chat_logs(day: date, ids: list[str], query: str = "q") -> pl.DataFrame:
    rows = [
        {"day": day, "request_id": r, "ts": datetime(day.year, day.month, day.day, 8), "session_id": None,
         "user_hash": None, "surface": "chat", "mode": "precise", "language": "en", "query": f"{query} {r}",
         "response": None, "model": None, "prompt_tokens": 3, "completion_tokens": 2, "latency_ms": 1.0,
         "source_file": "x.jsonl", "source_line": i + 1}
        for i, r in enumerate(ids)
    ]
    return pl.DataFrame(rows, schema=CHAT_LOG_SCHEMA)


def _count(con, table: str, where: str = "true", params: list | None = None) -> int:
    return con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params or []).fetchall()[0][0]


def _read_only(path: Path, sql: str):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- migrate ----------------------------------------------------------------------------------


# Every numbered file in warehouse/migrations, in order: (version, name).
MIGRATIONS = sorted(
    (int(path.stem.split("_", 1)[0]), path.stem.split("_", 1)[1])
    for path in (Path(__file__).resolve().parents[2] / "warehouse" / "migrations").glob("[0-9]*_*.sql")
)


def test_migrate_is_idempotent_and_records_versions(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        assert migrate(con) == [v for v, _ in MIGRATIONS] and MIGRATIONS[0] == (1, "initial")
        assert migrate(con) == []
        rows = con.execute("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").fetchall()
        assert [(v, n) for v, n, _ in rows] == MIGRATIONS
        assert rows[0][2] is not None
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert TABLES <= tables
    finally:
        con.close()
    # a new connection to the same file finds everything applied
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        assert migrate(con) == []
        assert _count(con, "schema_migrations") == len(MIGRATIONS)
    finally:
        con.close()


def test_writer_creates_the_folder_and_migrates(tmp_path):
    data_dir = tmp_path / "nested" / "data"
    with writer(data_dir) as con:
        assert _count(con, "chat_logs") == 0
    assert warehouse_path(data_dir).exists()
    assert _read_only(warehouse_path(data_dir), "SELECT version FROM schema_migrations ORDER BY 1") == [(v,) for v, _ in MIGRATIONS]


# --- writer and replace_partition -------------------------------------------------------------


def test_replace_partition_twice_leaves_one_copy(tmp_path):
    with writer(tmp_path) as con:
        assert replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a", "b", "c"])) == 3
        replace_partition(con, "chat_logs", DAY2, _chat_logs(DAY2, ["d"]))
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a", "b", "c"], query="again"))
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a", "b", "c"], query="again"))
        frame = read_frame(con, "SELECT day, request_id, query FROM chat_logs ORDER BY request_id")
    assert frame["request_id"].to_list() == ["a", "b", "c", "d"]
    assert frame.filter(pl.col("day") == DAY1)["query"].to_list() == ["again a", "again b", "again c"]
    assert frame.filter(pl.col("day") == DAY2)["query"].to_list() == ["q d"]  # other day untouched


def test_replace_partition_with_empty_frame_clears_the_day(tmp_path):
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a", "b"]))
        replace_partition(con, "chat_logs", DAY2, _chat_logs(DAY2, ["c"]))
    with writer(tmp_path) as con:
        assert replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, [])) == 0
        assert _count(con, "chat_logs", "day = ?", [DAY1]) == 0
        assert _count(con, "chat_logs", "day = ?", [DAY2]) == 1


def test_replace_rows_matches_columns_by_name(tmp_path):
    frame = pl.DataFrame({"role": ["small"], "name": ["tiny"], "model_key": ["k1"], "backend": ["transformers"],
                          "spec_json": ["{}"]})
    with writer(tmp_path) as con:
        replace_rows(con, "models", frame, "model_key = ?", ["k1"])
        replace_rows(con, "models", frame, "model_key = ?", ["k1"])
        assert con.execute("SELECT model_key, name, role FROM models").fetchall() == [("k1", "tiny", "small")]


def test_failing_writer_block_rolls_back(tmp_path):
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a", "b"]))
    with pytest.raises(RuntimeError, match="step failed"):
        with writer(tmp_path) as con:
            replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["x"]))
            replace_partition(con, "chat_logs", DAY2, _chat_logs(DAY2, ["y"]))
            assert _count(con, "chat_logs") == 2  # visible inside the transaction
            raise RuntimeError("step failed")
    rows = _read_only(warehouse_path(tmp_path), "SELECT request_id FROM chat_logs ORDER BY request_id")
    assert rows == [("a",), ("b",)]


def test_failing_sql_in_writer_rolls_back(tmp_path):
    with pytest.raises(duckdb.Error):
        with writer(tmp_path) as con:
            replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a"]))
            con.execute("INSERT INTO chat_logs (day) VALUES (NULL)")  # NOT NULL columns
    assert _read_only(warehouse_path(tmp_path), "SELECT count(*) FROM chat_logs") == [(0,)]


# --- snapshot ---------------------------------------------------------------------------------


def test_open_snapshot_without_snapshot_raises(tmp_path):
    with pytest.raises(NoSnapshotError, match="no published snapshot"):
        open_snapshot(tmp_path)
    # also when a warehouse exists but was never published
    with writer(tmp_path):
        pass
    with pytest.raises(FileNotFoundError):
        open_snapshot(tmp_path)


def test_publish_then_open_is_read_only(tmp_path):
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a", "b"]))
    target = publish_snapshot(tmp_path)
    assert target == snapshot_path(tmp_path)
    assert not list(tmp_path.glob(".snapshot-*"))  # no temporary file left behind
    con = open_snapshot(tmp_path)
    try:
        assert _count(con, "chat_logs") == 2
        assert con.execute("SELECT days, chat_log_rows FROM snapshot_log").fetchall() == [(1, 2)]
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM chat_logs")
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE scratch (x INTEGER)")
        assert _count(con, "chat_logs") == 2
    finally:
        con.close()


def test_snapshot_is_a_copy_not_the_live_warehouse(tmp_path):
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a"]))
    publish_snapshot(tmp_path)
    with writer(tmp_path) as con:  # written after the publish: not in the snapshot
        replace_partition(con, "chat_logs", DAY2, _chat_logs(DAY2, ["b", "c"]))
    con = open_snapshot(tmp_path)
    try:
        assert _count(con, "chat_logs") == 1
    finally:
        con.close()


def _count_in_fresh_process(path: Path) -> int:
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(con.execute('SELECT count(*) FROM chat_logs').fetchone()[0])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                         timeout=60)
    return int(out.stdout.strip())


def test_old_reader_keeps_working_while_a_new_snapshot_is_published(tmp_path):
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a"]))
    publish_snapshot(tmp_path)
    old = open_snapshot(tmp_path)
    try:
        assert _count(old, "chat_logs") == 1
        with writer(tmp_path) as con:
            replace_partition(con, "chat_logs", DAY2, _chat_logs(DAY2, ["b", "c"]))
        publish_snapshot(tmp_path)
        # the old reader still answers, from the snapshot it opened
        assert _count(old, "chat_logs") == 1
        assert read_frame(old, "SELECT request_id FROM chat_logs")["request_id"].to_list() == ["a"]
        assert _count(old, "snapshot_log") == 1
        # a reader in another process (the dashboard) already sees the new snapshot
        assert _count_in_fresh_process(snapshot_path(tmp_path)) == 3
    finally:
        old.close()
    new = open_snapshot(tmp_path)
    try:
        assert _count(new, "chat_logs") == 3
        assert new.execute("SELECT days, chat_log_rows FROM snapshot_log ORDER BY published_at").fetchall() == [
            (1, 1), (2, 3)]
    finally:
        new.close()
    assert not list(tmp_path.glob(".snapshot-*"))


def test_publish_snapshot_on_empty_data_dir(tmp_path):
    data_dir = tmp_path / "fresh"
    publish_snapshot(data_dir)
    con = open_snapshot(data_dir)
    try:
        assert _count(con, "chat_logs") == 0
        assert con.execute("SELECT days, chat_log_rows FROM snapshot_log").fetchall() == [(0, 0)]
    finally:
        con.close()
