"""workspace.yaml loads the code location and Dagster validates it; the graph has every stage; the
daily partitions are the config's days."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assets.definitions import defs
from assets.partitions import daily_partitions
from scoring.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
STAGES = {"landing_files", "chat_logs", "replay_sample", "small_replays", "large_replays", "agreement",
          "router_scores", "cost_models", "query_classifier_scores", "review_sample", "reviews",
          "routing_projection", "published_snapshot", "agreement_validation"}


def test_every_stage_is_an_asset_with_its_upstreams():
    graph = defs().resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == STAGES
    parents = {k.to_user_string() for k in graph.get(next(
        key for key in graph.get_all_asset_keys() if key.to_user_string() == "agreement")).parent_keys}
    assert parents == {"small_replays", "large_replays"}
    projection = next(key for key in graph.get_all_asset_keys() if key.to_user_string() == "routing_projection")
    assert {k.to_user_string() for k in graph.get(projection).parent_keys} == {
        "router_scores", "query_classifier_scores", "cost_models", "reviews"}


def test_dagster_definitions_validate_passes(tmp_path):
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_partitions_run_from_first_day_to_last_day_or_up_to_today(tmp_path):
    assert daily_partitions(load_config(None)).get_partition_keys() == [f"2026-11-0{d}" for d in range(1, 8)]
    (tmp_path / "live.yaml").write_text("last_day: null\n", encoding="utf-8")
    live = daily_partitions(load_config(tmp_path / "live.yaml")).get_partition_keys()
    assert live[0] == "2026-11-01" and len(live) > 7  # a live feed: every complete day up to today
    with pytest.raises(ConfigError, match="last_day .2026-10-01. is before first_day"):
        load_config(None, last_day="2026-10-01")
