"""The config enters once: `planb --config X run` and the code location take the daily partitions
and the nightly schedule from X, not from the default config, and importing the code location
reads no config at all."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.cli.main import main
from assets.definitions import build_definitions, defs
from assets.resources import PlanBResource
from scoring.config import BUNDLED_LOG_DIR, load_config

ROOT = Path(__file__).resolve().parents[2]
FIRST_DAY, DAY = "2026-10-19", "2026-10-20"  # before the default's first_day (2026-11-01)
SCHEDULE = {"hour": 5, "minute": 30}
RECORDS = 12  # requests in X's landing log, all on DAY


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    """X: first_day and schedule of its own, a landing log of a few requests on DAY (bundled
    log lines moved to that day), both bundled models answering a few tokens."""
    root = tmp_path_factory.mktemp("config_x")
    assert load_config(None).first_day.isoformat() > DAY  # the default has no partition for DAY
    records = [json.loads(line) for line in (BUNDLED_LOG_DIR / "search_chat_sample.jsonl")
               .read_text(encoding="utf-8").splitlines()[:RECORDS]]
    landing = root / "landing"
    landing.mkdir()
    (landing / "day.jsonl").write_text("".join(
        json.dumps({**r, "timestamp": DAY + r["timestamp"][10:]}) + "\n" for r in records), encoding="utf-8")
    models = load_config(None).model_dump(mode="json")["models"]
    for spec in models.values():
        spec["max_new_tokens"] = 4  # the flow is the same; CPU time is not
    path = root / "planb.yaml"
    path.write_text(yaml.safe_dump({
        "data_dir": str(root / "data"), "landing_dir": str(landing), "first_day": FIRST_DAY,
        "schedule": SCHEDULE, "models": models, "sample": {"per_day": 6},
        "projection": {"bootstrap": 100, "min_sample_for_interval": 5},
    }), encoding="utf-8")
    return path


def _assert_from_x(definitions: dg.Definitions) -> None:
    for job in ("planb_daily", "planb_nightly"):
        days = definitions.resolve_job_def(job).partitions_def
        assert days.get_first_partition_key() == FIRST_DAY, job
    schedule = definitions.resolve_schedule_def("planb_nightly_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 5 * * *", "UTC")


def test_definitions_and_the_code_location_take_partitions_and_schedule_from_the_config(config, monkeypatch):
    _assert_from_x(build_definitions(PlanBResource(config_path=str(config))))
    monkeypatch.setenv("PLANB_CONFIG", str(config))  # what the code location finds when Dagster loads it
    _assert_from_x(defs())


def test_importing_the_code_location_reads_no_config(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("first_day: not-a-day\n", encoding="utf-8")
    env = {**os.environ, "PLANB_CONFIG": str(broken), "DAGSTER_HOME": str(tmp_path)}
    code = ("import importlib.util, sys; import assets.definitions\n"
            "if importlib.util.find_spec('dagster_k8s'):\n"
            "    sys.path.insert(0, 'deploy/k8s'); import definitions")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_planb_run_with_a_config_runs_its_first_days_partition(config, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    main(["--config", str(config), "run", "--from", DAY, "--to", DAY])
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name="planb_daily", statuses=[dg.DagsterRunStatus.SUCCESS]))
        assert [run.tags.get("dagster/partition") for run in runs] == [DAY]
        (event,) = instance.fetch_materializations(dg.AssetKey("chat_logs"), limit=10).records
        assert event.partition_key == DAY
        assert event.asset_materialization.metadata["dagster/row_count"].value == RECORDS
