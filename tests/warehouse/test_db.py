"""warehouse.db: migrations, the transactional writer and the read-only published snapshot.

Real DuckDB files under tmp_path; nothing is mocked.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.db import (
    STALE_TMP_S,
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
    applied = _read_only(warehouse_path(data_dir), "SELECT version FROM schema_migrations ORDER BY 1")
    assert applied == [(v,) for v, _ in MIGRATIONS]


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


# --- the snapshot reader is closed to everything but the snapshot (issue 16) -------------------


@pytest.mark.parametrize(
    "statement",
    [
        "ATTACH '{warehouse}' AS w (READ_WRITE)",
        "COPY (SELECT 1) TO '{warehouse}'",
        "COPY chat_logs TO '{elsewhere}'",
        "EXPORT DATABASE '{elsewhere}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')",
        "SELECT * FROM glob('{elsewhere}/*')",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "RESET enable_external_access",
        "LOAD httpfs",
        "INSTALL httpfs",
    ],
)
def test_every_snapshot_connection_refuses_files_network_and_settings(tmp_path, statement):
    """What the dashboard's reader (and every other) gets from DuckDB itself, without planb sql's
    statement check in front."""
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a"]))
    publish_snapshot(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*")), warehouse_path(tmp_path).read_bytes()
    con = open_snapshot(tmp_path)
    try:
        with pytest.raises(duckdb.Error, match="disabled|locked"):
            con.execute(statement.format(warehouse=warehouse_path(tmp_path), elsewhere=elsewhere))
        assert _count(con, "chat_logs") == 1
    finally:
        con.close()
    assert (sorted(p.name for p in tmp_path.rglob("*")), warehouse_path(tmp_path).read_bytes()) == before


# --- publish: temporary copies and permissions (issue 16) ------------------------------------


def _age(path: Path, seconds: float) -> None:
    old = path.stat().st_mtime - seconds
    os.utime(path, (old, old))


def test_publish_removes_a_killed_publishs_copy_only_when_stale_and_only_its_own(tmp_path):
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a"]))
    orphan, fresh = tmp_path / ".snapshot-k1ll3d.tmp", tmp_path / ".snapshot-inflight.tmp"
    others = [tmp_path / "notes.tmp", tmp_path / ".snapshot-keep.txt", tmp_path / "snapshot-old.tmp"]
    for path in [orphan, fresh, *others]:
        path.write_bytes(b"partial copy")
    for path in [orphan, *others]:
        _age(path, STALE_TMP_S + 60)
    publish_snapshot(tmp_path)
    assert not orphan.exists()
    assert fresh.exists()  # may be another publisher's copy in progress
    assert all(path.exists() for path in others)  # not our pattern: never touched
    assert _read_only(snapshot_path(tmp_path), "SELECT count(*) FROM chat_logs") == [(1,)]


_PUBLISH_FOREVER = """
import sys
from warehouse.db import publish_snapshot
while True:
    publish_snapshot(sys.argv[1])
"""


def test_a_publish_killed_mid_copy_leaves_a_copy_the_next_publish_removes(tmp_path):
    with writer(tmp_path) as con:  # a few MB, so the copy takes a moment to catch
        con.execute("CREATE TABLE padding AS SELECT repeat(md5(i::VARCHAR), 20) AS x FROM range(50000) t(i)")
    orphans: list[Path] = []
    for _ in range(20):
        publisher = subprocess.Popen([sys.executable, "-c", _PUBLISH_FOREVER, str(tmp_path)],
                                     cwd=Path(__file__).resolve().parents[2])
        try:
            deadline = time.monotonic() + 60
            while not list(tmp_path.glob(".snapshot-*.tmp")) and time.monotonic() < deadline:
                assert publisher.poll() is None, "the publisher exited"
                time.sleep(0.001)  # the copy takes several ms: no need to spin
            publisher.send_signal(signal.SIGKILL)
        finally:
            publisher.kill()
            publisher.wait()
        orphans = list(tmp_path.glob(".snapshot-*.tmp"))
        if orphans:  # killed between the temporary copy and its rename (else: try again)
            break
    assert orphans, "no publish was caught mid-copy in 20 tries"
    for path in orphans:
        _age(path, STALE_TMP_S + 60)
    publish_snapshot(tmp_path)
    assert not list(tmp_path.glob(".snapshot-*.tmp"))
    assert _read_only(snapshot_path(tmp_path), "SELECT count(*) FROM padding") == [(50000,)]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_the_snapshot_has_the_warehouses_permissions(tmp_path, mode):
    with writer(tmp_path) as con:
        replace_partition(con, "chat_logs", DAY1, _chat_logs(DAY1, ["a"]))
    warehouse_path(tmp_path).chmod(mode)
    publish_snapshot(tmp_path)
    assert stat.S_IMODE(snapshot_path(tmp_path).stat().st_mode) == mode
