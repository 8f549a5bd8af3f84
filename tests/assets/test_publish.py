"""assets/run_history.py on a real Dagster instance (a tiny partitioned asset with a blocking
check, run three times), and warehouse/run_history.py writing what it reads to a real DuckDB."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.instance import BACKFILL_TAG
from assets.publish import check_results, launched_by, recent_runs
from warehouse.db import warehouse_path
from warehouse.run_history import write_run_history

DAYS = dg.DailyPartitionsDefinition(start_date="2026-11-01", end_date="2026-11-04")


@dg.asset(partitions_def=DAYS)
def day_rows() -> None:
    return None


@dg.asset_check(asset=day_rows, blocking=True)
def day_rows_ok(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    day = context.partition_key
    return dg.AssetCheckResult(passed=day != "2026-11-02", description=f"checked {day}")


@dg.asset(deps=[day_rows])
def window() -> None:
    return None


@dg.asset_check(asset=window)
def window_width() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, description="too wide")


DEFS = dg.Definitions(
    assets=[day_rows, window], asset_checks=[day_rows_ok, window_width],
    jobs=[dg.define_asset_job("daily", selection=[day_rows]), dg.define_asset_job("whole", selection=[window])],
)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """Day 1 passes, day 2 fails its blocking check, day 1 again (its latest result), the window."""
    with dg.instance_for_test(temp_dir=str(tmp_path_factory.mktemp("dagster_home"))) as instance:
        for day in ("2026-11-01", "2026-11-02", "2026-11-01"):
            DEFS.resolve_job_def("daily").execute_in_process(
                partition_key=day, instance=instance, raise_on_error=False, tags={BACKFILL_TAG: "b1"})
        DEFS.resolve_job_def("whole").execute_in_process(instance=instance, raise_on_error=False)
        yield instance


def test_recent_runs_newest_first_with_partition_backfill_and_times(instance) -> None:
    runs = recent_runs(instance)
    assert runs["job_name"].to_list() == ["whole", "daily", "daily", "daily"]
    assert runs["partition"].to_list() == [None, "2026-11-01", "2026-11-02", "2026-11-01"]
    assert runs["status"].to_list() == ["SUCCESS", "SUCCESS", "FAILURE", "SUCCESS"]
    assert runs["backfill_id"].to_list() == [None, "b1", "b1", "b1"]
    assert runs["launched_by"].to_list() == ["manual", "backfill", "backfill", "backfill"]
    assert (runs["ended_at"] >= runs["started_at"]).all()
    assert recent_runs(instance, limit=2).height == 2


def test_check_results_keep_the_latest_per_check_and_partition(instance) -> None:
    checks = check_results(instance).sort("check_name", "partition", nulls_last=True)
    rows = checks.select("asset", "check_name", "partition", "passed", "severity", "blocking",
                         "description").rows()
    assert rows == [
        ("day_rows", "day_rows_ok", "2026-11-01", True, "ERROR", True, "checked 2026-11-01"),
        ("day_rows", "day_rows_ok", "2026-11-02", False, "ERROR", True, "checked 2026-11-02"),
        ("window", "window_width", None, False, "WARN", False, "too wide"),
    ]
    runs = recent_runs(instance)
    latest_day1 = runs.filter(runs["partition"] == "2026-11-01")["run_id"][0]  # newest first
    assert checks.filter(checks["partition"] == "2026-11-01")["run_id"].item() == latest_day1


def test_launched_by() -> None:
    assert launched_by({"dagster/sensor_name": "landing_sensor"}) == "sensor:landing_sensor"
    assert launched_by({"dagster/backfill": "abc"}) == "backfill"


def test_written_tables_are_replaced_whole(instance, tmp_path: Path) -> None:
    runs, checks = recent_runs(instance), check_results(instance)
    assert write_run_history(tmp_path, runs, checks) == (4, 3)
    assert write_run_history(tmp_path, runs.head(1), checks.head(0)) == (1, 0)
    con = duckdb.connect(str(warehouse_path(tmp_path)), read_only=True)
    try:
        assert con.execute("SELECT job_name, status FROM pipeline_runs").fetchall() == [("whole", "SUCCESS")]
        assert con.execute("SELECT count(*) FROM asset_check_results").fetchone() == (0,)
    finally:
        con.close()
