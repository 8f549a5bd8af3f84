"""The landing sensor starts ingestion for new files (and only those), chat_logs' partition runs
carry the rejected-share check, and a re-ingested day stays one copy; `planb ingest` prints the
counts per file. Real Dagster, real DuckDB, real files."""

import json
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.cli.main import main
from assets.definitions import build_definitions
from assets.ingest import REJECTED_SHARE_CHECK, chat_logs, landing_sensor
from assets.partitions import partitioned
from assets.resources import PlanBResource
from warehouse.db import publish_snapshot

DAY = "2026-11-01"


def _record(i: int, **extra) -> str:
    return json.dumps({"request_id": f"r{i}", "timestamp": f"{DAY}T08:{i % 60:02d}:00Z", "query": f"q {i}", **extra})


@pytest.fixture
def setup(tmp_path, planb_config):
    landing = tmp_path / "landing"
    landing.mkdir()
    config = planb_config(tmp_path, landing, ingest={"max_rejected_share": 0.25})
    planb = PlanBResource(config_path=str(config))
    return landing, tmp_path / "data", planb, dg.DagsterInstance.ephemeral()


def _tick(planb, instance, cursor):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"planb": planb})
    result = landing_sensor(context)
    return result, context.cursor


def _count(data: Path, sql: str) -> int:
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_sensor_sees_a_new_file_and_ingests_it(setup):
    landing, data, planb, instance = setup
    job = build_definitions(planb).resolve_job_def("planb_ingest")

    result, cursor = _tick(planb, instance, None)
    assert isinstance(result, dg.SkipReason) and "no log files" in result.skip_message

    (landing / "a.jsonl").write_text("\n".join(_record(i) for i in range(5)) + "\n")
    request, cursor = _tick(planb, instance, cursor)
    assert isinstance(request, dg.RunRequest)
    assert job.execute_in_process(instance=instance, tags=request.tags).success
    assert _count(data, "SELECT count(*) FROM chat_logs") == 5

    result, cursor = _tick(planb, instance, cursor)
    assert isinstance(result, dg.SkipReason) and "no new or changed files" in result.skip_message

    (landing / "b.jsonl").write_text("\n".join(_record(i) for i in range(5, 8)) + "\n")
    second, cursor = _tick(planb, instance, cursor)
    assert isinstance(second, dg.RunRequest) and second.run_key != request.run_key
    run = job.execute_in_process(instance=instance, tags=second.tags)
    assert run.success
    materialization = run.asset_materializations_for_node("landing_files")[0]
    assert materialization.metadata["new_files"].value == 1
    assert _count(data, "SELECT count(*) FROM chat_logs") == 8

    # touched (new time), same bytes: the sensor starts a run, the run ingests nothing twice
    os.utime(landing / "a.jsonl", ns=(1, 1))
    third, cursor = _tick(planb, instance, cursor)
    assert isinstance(third, dg.RunRequest)
    assert job.execute_in_process(instance=instance, tags=third.tags).success
    assert _count(data, "SELECT count(*) FROM chat_logs") == 8
    assert _count(data, "SELECT count(*) FROM ingested_files") == 2


def test_the_sensor_starts_nothing_for_files_the_snapshot_holds_as_ingested(setup):
    """`planb demo` ingests and publishes; the UI's sensor, on its first tick (no cursor), must not
    start an ingest run for those same files, but does for one whose bytes changed since."""
    landing, data, planb, instance = setup
    job = build_definitions(planb).resolve_job_def("planb_ingest")
    (landing / "a.jsonl").write_text("\n".join(_record(i) for i in range(5)) + "\n")
    (landing / "b.jsonl").write_text("\n".join(_record(i) for i in range(5, 8)) + "\n")
    assert job.execute_in_process(instance=instance).success
    request, _ = _tick(planb, instance, None)
    assert isinstance(request, dg.RunRequest)  # no snapshot yet: the run itself skips what is known
    publish_snapshot(data)

    result, cursor = _tick(planb, instance, None)
    assert isinstance(result, dg.SkipReason) and "ingested already" in result.skip_message

    (landing / "b.jsonl").write_text("\n".join(_record(i) for i in range(5, 9)) + "\n")
    request, cursor = _tick(planb, instance, cursor)
    assert isinstance(request, dg.RunRequest) and request.tags["planb/new_files"] == "1"


def _materialize_day(planb, instance, *, reingest: bool = False):
    return dg.materialize(partitioned([chat_logs], planb.load()), partition_key=DAY, instance=instance,
                          resources={"planb": planb},
                          run_config={"ops": {"chat_logs": {"config": {"reingest": reingest}}}},
                          raise_on_error=False)


def _check(result) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == REJECTED_SHARE_CHECK]
    return evaluation


def test_day_partition_check_and_reingest(setup):
    landing, data, planb, instance = setup
    lines = [_record(i) for i in range(6)] + ['{"request_id": "bad", "timestamp": "' + DAY + 'T09:00:00Z"}']
    (landing / "day.jsonl").write_text("\n".join(lines) + "\n")
    first = _materialize_day(planb, instance)
    assert first.success and _check(first).passed  # 1 of 7 rejected: under 25%
    assert first.asset_materializations_for_node("chat_logs")[0].metadata["dagster/row_count"].value == 6

    (landing / "more.jsonl").write_text("\n".join(
        [json.dumps({"request_id": f"b{i}", "timestamp": f"{DAY}T10:00:00Z", "query": ""}) for i in range(3)]) + "\n")
    second = _materialize_day(planb, instance)
    assert not _check(second).passed  # 4 of 10 rejected
    assert not second.success  # the check blocks: nothing downstream of this day runs
    assert _check(second).metadata["rejected_share"].value == pytest.approx(0.4)

    before = _count(data, "SELECT count(*) FROM chat_logs") + _count(data, "SELECT count(*) FROM rejected_log_rows")
    for _ in range(2):
        assert _check(_materialize_day(planb, instance, reingest=True)).metadata["rejected_share"].value == pytest.approx(0.4)
    assert _count(data, "SELECT count(*) FROM chat_logs") == 6
    assert _count(data, "SELECT count(*) FROM chat_logs") + _count(data, "SELECT count(*) FROM rejected_log_rows") == before


def test_planb_ingest_prints_counts_per_file(setup, capsys, tmp_path):
    landing, _data, planb, _ = setup
    (landing / "a.jsonl").write_text(_record(1, user_id="u1") + "\n" + _record(1) + "\n{oops\n")
    argv = ["--config", planb.config_path, "ingest", str(landing)]
    main(argv)
    out = capsys.readouterr().out
    assert "a.jsonl [flat]: 3 records, 1 accepted, 1 duplicates (request_id 1), 1 rejected (invalid_json 1)" in out
    main(argv)
    assert "already ingested" in capsys.readouterr().out
