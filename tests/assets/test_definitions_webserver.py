"""The real Dagster webserver, started from workspace.yaml on Plan B's instance settings (as
`make dagster` does), serves every asset, the nightly schedule, the landing sensor and every
asset check over its GraphQL API, and accepts a backfill of the nightly job over three days (each
day's stages, then the window once). On first open it shows no pop-up, one asset group (the graph
opens expanded, not as collapsed group boxes) and a partition for each day of the bundled log only."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assets.definitions import defs
from assets.instance import prepare_dagster_home

ROOT = Path(__file__).resolve().parents[2]
DAYS = ["2026-11-01", "2026-11-02", "2026-11-03"]

REPOSITORY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    name location { name }
    jobs { name }
    schedules { name cronSchedule executionTimezone pipelineName }
    sensors { name targets { pipelineName } }
    assetNodes { assetKey { path } isPartitioned pools groupName partitionKeys
                 assetChecksOrError { ... on AssetChecks { checks { name blocking } } } }
} } } }
"""
LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
LAUNCH = """
mutation ($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }
"""
BACKFILL = """
query ($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill {
    isAssetBackfill partitionNames
    assetBackfillData { assetBackfillStatuses {
        __typename
        ... on AssetPartitionsStatusCounts { assetKey { path } numPartitionsTargeted }
        ... on UnpartitionedAssetStatus { assetKey { path } } } } } } }
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    port = _free_port()
    home = prepare_dagster_home(tmp_path_factory.mktemp("dagster_home"))
    log = home / "webserver.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(home)}, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while True:  # up once it answers, ready once the code location has loaded
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the webserver did not load the code location"
            try:
                entries = _graphql(port, LOCATIONS)["workspaceOrError"]["locationEntries"]
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture(scope="module")
def repository(webserver):
    (repo,) = _graphql(webserver, REPOSITORY)["repositoriesOrError"]["nodes"]
    return repo


def test_every_asset_is_served_with_its_pool(repository):
    graph = defs().resolve_asset_graph()
    expected = {key.to_user_string() for key in graph.get_all_asset_keys()}
    served = {"/".join(node["assetKey"]["path"]): node for node in repository["assetNodes"]}
    assert set(served) == expected and {"chat_logs", "routing_projection", "published_snapshot"} <= expected
    assert served["small_replays"]["pools"] == ["gpu"] and served["agreement"]["pools"] == ["duckdb_writer"]
    assert served["chat_logs"]["isPartitioned"] and not served["routing_projection"]["isPartitioned"]


def test_the_first_open_shows_no_pop_up_one_group_and_only_the_log_s_days(webserver, repository):
    assert _graphql(webserver, "{ shouldShowNux }")["shouldShowNux"] is False  # no "join the community" modal
    assert {node["groupName"] for node in repository["assetNodes"]} == {"default"}
    served = {"/".join(node["assetKey"]["path"]): node for node in repository["assetNodes"]}
    assert served["chat_logs"]["partitionKeys"] == [f"2026-11-0{d}" for d in range(1, 8)]  # the bundled log's days


def test_every_check_is_served_next_to_its_asset(repository):
    served = {("/".join(node["assetKey"]["path"]), check["name"], check["blocking"])
              for node in repository["assetNodes"]
              for check in node["assetChecksOrError"].get("checks", [])}
    graph = defs().resolve_asset_graph()
    expected = {(key.asset_key.to_user_string(), key.name, graph.get(key).blocking)
                for key in graph.asset_check_keys}
    assert served == expected
    assert {("chat_logs", "chat_logs_rows_and_schema", True), ("chat_logs", "rejected_share_within_limit", True),
            ("small_replays", "small_replays_complete", True), ("routing_projection", "projection_in_range", True),
            ("routing_projection", "agreement_interval_width", False),
            ("cost_models", "cost_model_fit", True)} <= served


def test_the_nightly_schedule_and_the_landing_sensor_are_served(repository):
    assert {job["name"] for job in repository["jobs"]} >= {"planb_daily", "planb_window", "planb_nightly", "planb_ingest"}
    (schedule,) = repository["schedules"]
    assert schedule == {"name": "planb_nightly_schedule", "cronSchedule": "0 3 * * *", "executionTimezone": "UTC",
                        "pipelineName": "planb_nightly"}
    (sensor,) = repository["sensors"]
    assert sensor["name"] == "landing_sensor" and sensor["targets"] == [{"pipelineName": "planb_ingest"}]


def test_a_backfill_of_three_days_is_accepted_with_the_window_once(webserver, repository):
    nightly = defs().resolve_job_def("planb_nightly").asset_layer.executable_asset_keys
    params = {"assetSelection": [{"path": key.path} for key in nightly], "partitionNames": DAYS,
              "title": "three days"}
    launched = _graphql(webserver, LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill = _graphql(webserver, BACKFILL, {"id": launched["backfillId"]})["partitionBackfillOrError"]
    assert backfill["isAssetBackfill"] and backfill["partitionNames"] == DAYS
    statuses = {"/".join(s["assetKey"]["path"]): s for s in backfill["assetBackfillData"]["assetBackfillStatuses"]}
    assert statuses["chat_logs"]["numPartitionsTargeted"] == statuses["router_scores"]["numPartitionsTargeted"] == 3
    assert statuses["routing_projection"]["__typename"] == "UnpartitionedAssetStatus"  # once, after the days
