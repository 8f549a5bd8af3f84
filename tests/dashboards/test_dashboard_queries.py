"""warehouse.dashboard_queries on a real published snapshot."""

from __future__ import annotations

import inspect
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse import dashboard_queries as queries
from warehouse.db import NoSnapshotError, snapshot_path


def test_routers_sorted_and_distinct(snapshot_dir):
    assert queries.routers(snapshot_dir)["router"].to_list() == ["length", "small_confidence"]


def test_projection_is_one_router_by_threshold(snapshot_dir, sql_row):
    frame = queries.projection(snapshot_dir, "small_confidence")
    assert frame["router"].unique().to_list() == ["small_confidence"]
    assert frame["threshold"].to_list() == pytest.approx([0.1 * i for i in range(11)])
    assert frame.row(3, named=True) == sql_row(snapshot_dir, "small_confidence", 0.3)


@pytest.mark.parametrize(
    ("asked", "nearest"), [(0.0, 0.0), (0.44, 0.4), (0.46, 0.5), (0.99, 1.0), (7.0, 1.0)]
)
def test_projection_at_takes_the_nearest_threshold(snapshot_dir, sql_row, asked, nearest):
    frame = queries.projection_at(snapshot_dir, "length", asked)
    assert frame.height == 1
    assert frame.row(0, named=True) == sql_row(snapshot_dir, "length", nearest)


def test_projection_at_breaks_ties_towards_the_lower_threshold(tmp_path, republish, projection_rows):
    # 0.25 and 0.75 are exact in binary, so 0.5 is a true tie.
    rows = [dict(row, threshold=t) for row, t in zip(projection_rows()[:2], [0.25, 0.75])]
    republish(tmp_path, rows)
    assert queries.projection_at(tmp_path, "length", 0.5)["threshold"].item() == 0.25


def test_user_input_is_bound_not_spliced(snapshot_dir):
    hostile = "length' OR '1'='1"
    assert queries.projection(snapshot_dir, hostile).is_empty()
    assert queries.projection_at(snapshot_dir, hostile, 0.5).is_empty()


def test_snapshot_info_is_the_latest_publish(snapshot_dir, republish, projection_rows):
    first = queries.snapshot_info(snapshot_dir)
    republish(snapshot_dir, projection_rows())
    latest = queries.snapshot_info(snapshot_dir)
    assert latest.height == 1 and latest.columns == ["published_at", "days", "chat_log_rows"]
    assert latest["published_at"].item() >= first["published_at"].item()
    assert latest["chat_log_rows"].item() == 0  # the fixture writes no chat_logs


def test_connections_are_closed_after_each_query(snapshot_dir):
    queries.routers(snapshot_dir)
    queries.projection_at(snapshot_dir, "length", 0.5)
    # DuckDB refuses a read-write connection in a process that still holds a read-only one.
    duckdb.connect(str(snapshot_path(snapshot_dir))).close()


def test_snapshot_version_changes_on_publish(snapshot_dir, republish, projection_rows):
    before = queries.snapshot_version(snapshot_dir)
    republish(snapshot_dir, projection_rows())
    assert before is not None and queries.snapshot_version(snapshot_dir) != before


def test_no_snapshot(tmp_path):
    assert queries.snapshot_version(tmp_path) is None
    with pytest.raises(NoSnapshotError):
        queries.routers(tmp_path)


def test_each_query_is_named_as_its_sql_file():
    functions = {name for name, member in vars(queries).items() if inspect.isfunction(member)
                 and member.__module__ == queries.__name__ and not name.startswith("_")} - {"snapshot_version"}
    assert functions == {path.stem for path in (Path(queries.__file__).parent / "sql").glob("*.sql")}


def test_missing_migrations_are_those_the_snapshot_lacks(snapshot_dir):
    assert queries.missing_migrations(snapshot_dir)["version"].to_list() == []
    con = duckdb.connect(str(snapshot_path(snapshot_dir)))
    con.execute("DELETE FROM schema_migrations WHERE version IN (3, 12)")
    con.close()
    missing = queries.missing_migrations(snapshot_dir)
    assert missing["version"].to_list() == [3, 12] and missing.schema == {"version": pl.Int64}
