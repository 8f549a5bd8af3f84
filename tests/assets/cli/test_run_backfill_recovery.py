"""`planb run --from --to` as a backfill: three days land once each; a run killed in the middle of
a replay, and a run stopped by a blocking check, leave the warehouse and the published snapshot
consistent, and the next run completes (real models, real Dagster instance, real DuckDB, real
processes)."""

import hashlib
import os
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.cli.main import main
from assets.definitions import CHECKS, DAILY_ASSETS
from assets.instance import BACKFILL_TAG

BACKFILL = ("2026-11-01", "2026-11-02", "2026-11-03")
KILLED_DAY, LATE_DAY = "2026-11-04", "2026-11-05"
DAILY = ("chat_logs", "replay_sample", "small_replays", "large_replays", "agreement", "router_scores")
PARTITIONED = {"chat_logs": "request_id", "replay_sample": "request_id", "replays": "request_id, model_key",
               "agreement": "request_id, scoring_version", "router_scores": "request_id, router"}

# One day through `planb run`'s code in its own process, logging each committed replay chunk.
RUN_DAY = """
import sys
from assets.cli.run import run_days
from scoring.config import load_config
config, day = sys.argv[1:]
run_days(load_config(config), [day], config_path=config, log_level="INFO")
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory, bundled_log, landing, bundled_model, planb_config):
    root = tmp_path_factory.mktemp("backfill")

    def land(name: str, days) -> Path:
        """One more file of the landing folder: at most 40 requests of each of ``days``."""
        return landing(root, bundled_log(days, per_day=40), name)

    small = bundled_model("small")
    # The small model plays both roles (the large one's template differs): the flow is the same
    # and the CPU time small; test_run_end_to_end runs the real pair.
    models = {"small": {**small, "max_new_tokens": 4},
              "large": {**small, "name": "smollm2-as-large", "role": "large", "max_new_tokens": 4,
                        "template": {"kind": "chat", "system": "Answer briefly."}}}
    config = planb_config(root, land("first.jsonl", BACKFILL), models=models, sample={"per_day": 4},
                          replay={"chunk_size": 3}, projection={"bootstrap": 100, "min_sample_for_interval": 5})
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    try:
        main(["--config", str(config), "run", "--from", BACKFILL[0], "--to", BACKFILL[-1]])
        yield root, config, land
    finally:
        mp.undo()


def _snapshot(root: Path):
    return duckdb.connect(str(root / "data" / "snapshot.duckdb"), read_only=True)


def _digest(root: Path) -> str:
    return hashlib.sha256((root / "data" / "snapshot.duckdb").read_bytes()).hexdigest()


def _assert_consistent(con, days) -> None:
    """Every day landed once in every partitioned table, scored and projected; the snapshot is
    the state its log row describes."""
    for table, key in PARTITIONED.items():
        found = con.execute(f"SELECT day::VARCHAR, count(*), count(DISTINCT ({key})) FROM {table} "
                            "GROUP BY day ORDER BY day").fetchall()
        assert [d for d, _, _ in found] == sorted(days), table
        assert all(n == distinct for _, n, distinct in found), f"{table} holds a day twice"
    unscored = con.execute("SELECT count(*) FROM replay_sample s ANTI JOIN agreement a "
                           "USING (day, request_id)").fetchone()[0]
    assert unscored == 0
    projected = con.execute("SELECT DISTINCT segment FROM routing_projection WHERE segment_by = 'day' "
                            "ORDER BY 1").fetchall()
    assert [p[0] for p in projected] == sorted(days)
    logged = con.execute("SELECT chat_log_rows FROM snapshot_log ORDER BY published_at DESC LIMIT 1").fetchone()
    assert logged[0] == con.execute("SELECT count(*) FROM chat_logs").fetchone()[0]


def test_three_day_backfill_lands_each_partition_once(setup):
    root, _, _ = setup
    with _snapshot(root) as con:
        _assert_consistent(con, BACKFILL)
        per_day = con.execute("SELECT count(*) FROM chat_logs GROUP BY day").fetchall()
        assert [n for (n,) in per_day] == [40, 40, 40]
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        first_window = instance.get_runs(filters=dg.RunsFilter(job_name="planb_window"))[-1]
        runs = instance.get_runs(filters=dg.RunsFilter(tags={BACKFILL_TAG: first_window.tags[BACKFILL_TAG]}))
        ids = {r.run_id for r in runs}
        assert sorted(r.tags["dagster/partition"] for r in runs if r.job_name == "planb_daily") == list(BACKFILL)
        assert [r.job_name for r in runs if r.job_name != "planb_daily"] == ["planb_window"]
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        for asset in DAILY:  # one materialization of each partition, and each day's check passed
            events = [e for e in instance.fetch_materializations(dg.AssetKey(asset), limit=100).records
                      if e.run_id in ids]
            assert sorted(e.partition_key for e in events) == list(BACKFILL), asset
        daily_ids = {r.run_id for r in runs if r.job_name == "planb_daily"}
        daily = {key for asset in DAILY_ASSETS for key in asset.keys}
        for key in (key for check in CHECKS for key in check.check_keys if key.asset_key in daily):
            checks = [c for c in instance.event_log_storage.get_asset_check_execution_history(key, limit=20)
                      if c.run_id in ids]
            assert {c.run_id for c in checks if c.status.value == "SUCCEEDED"} == daily_ids, key
            assert not [c for c in checks if c.status.value == "FAILED"], key


def test_every_asset_reports_rows_previews_and_savings(setup):
    root, _, _ = setup
    from assets.definitions import DAILY_ASSETS, WINDOW_ASSETS

    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        for asset in (*DAILY_ASSETS, *WINDOW_ASSETS):
            key = asset.key
            (record,) = instance.fetch_materializations(key, limit=1).records
            meta = record.asset_materialization.metadata
            assert any(isinstance(v, dg.MarkdownMetadataValue) and v.value.strip() for v in meta.values()), key
            if key.to_user_string() != "agreement_validation":  # it reports precision and recall instead
                assert meta["dagster/row_count"].value > 0, key
    replays = _latest(root, "small_replays")
    assert replays["device_seconds"].value > 0 or replays["day_device_seconds"].value > 0
    for asset in ("routing_projection", "published_snapshot"):
        assert "savings_at_recommended" in _latest(root, asset)


def _latest(root: Path, asset: str) -> dict:
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        return instance.fetch_materializations(dg.AssetKey(asset), limit=1).records[0].asset_materialization.metadata


def test_failed_runs_leave_warehouse_and_snapshot_consistent_and_the_next_run_completes(setup, repo_root,
                                                                                        kill_when_logged):
    root, config, land = setup
    before = _digest(root)

    # 1. A run killed in the middle of a replay.
    land("killed_day.jsonl", {KILLED_DAY})
    # `planb run`'s code for the day in its own process, killed once a replay committed a chunk
    kill_when_logged([sys.executable, "-c", RUN_DAY, str(config), KILLED_DAY], root / "killed.log",
                     "committed chunk 1 of", cwd=repo_root, env={**os.environ, "DAGSTER_HOME": str(root / "dagster_home")})
    assert _digest(root) == before  # the snapshot readers open is untouched
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        sampled = con.execute("SELECT count(*) FROM replay_sample WHERE day = ?", [KILLED_DAY]).fetchone()[0]
        replayed = con.execute("SELECT count(*) FROM replays WHERE day = ?", [KILLED_DAY]).fetchone()[0]
        scored = con.execute("SELECT count(*) FROM agreement WHERE day = ?", [KILLED_DAY]).fetchone()[0]
    assert 0 < replayed < 2 * sampled and scored == 0  # committed chunks only, nothing downstream

    # 2. A run stopped by a blocking check: the day's logs have not arrived.
    with pytest.raises(SystemExit) as stop:
        main(["--config", str(config), "run", "--from", LATE_DAY, "--to", LATE_DAY])
    message = str(stop.value.code)
    assert "check chat_logs_rows_and_schema failed" in message and "did its logs arrive" in message
    assert "\n" not in message
    assert _digest(root) == before
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM replay_sample WHERE day = ?", [LATE_DAY]).fetchone()[0] == 0
    with _snapshot(root) as con:
        _assert_consistent(con, BACKFILL)

    # 3. The logs arrive; the next run over both days completes, each day landing once.
    land("late_day.jsonl", {LATE_DAY})
    main(["--config", str(config), "run", "--from", KILLED_DAY, "--to", LATE_DAY])
    with _snapshot(root) as con:
        _assert_consistent(con, (*BACKFILL, KILLED_DAY, LATE_DAY))
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        killed = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": KILLED_DAY}))
    # the killed run was marked failed (its gpu slot freed) and the next one succeeded
    assert sorted(r.status.value for r in killed) == ["FAILURE", "SUCCESS"]
