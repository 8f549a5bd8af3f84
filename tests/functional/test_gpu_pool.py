"""The `gpu` pool: the instance Plan B prepares (assets/dagster.yaml) lets one step of the pool
run at a time across processes, and `dagster instance concurrency set gpu N` raises it."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.instance import prepare_dagster_home

ROOT = Path(__file__).resolve().parents[2]

# One run in its own process whose only step holds the gpu pool for a while; prints its interval.
HOLD_GPU = """
import sys, time
import dagster as dg
from assets.instance import dagster_instance, run_tags

@dg.asset(pool="gpu")
def hold_gpu():
    start = time.time()
    time.sleep(2.0)
    print(f"interval {start} {time.time()}", flush=True)

dg.materialize([hold_gpu], instance=dagster_instance(sys.argv[1]), tags=run_tags())
"""


def test_replay_assets_are_in_the_gpu_pool():
    from assets.definitions import defs

    graph = defs.resolve_asset_graph()
    pools = {key.to_user_string(): graph.get(key).pools for key in graph.get_all_asset_keys()}
    assert pools["small_replays"] == pools["large_replays"] == {"gpu"}


def test_two_runs_never_hold_the_gpu_pool_at_once(tmp_path):
    home = prepare_dagster_home(tmp_path / "dagster_home")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    runs = [subprocess.Popen([sys.executable, "-c", HOLD_GPU, str(home)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    intervals = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-2000:]
        _, start, end = next(line for line in out.splitlines() if line.startswith("interval")).split()
        intervals.append((float(start), float(end)))
    (first_start, first_end), (second_start, second_end) = sorted(intervals)
    assert second_start >= first_end  # the second waited for the first's slot


def test_the_gpu_limit_can_be_raised(tmp_path):
    home = prepare_dagster_home(tmp_path / "dagster_home")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run([str(dagster), "instance", "concurrency", "set", "gpu", "2"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.get_concurrency_info("gpu").slot_count == 2
        assert instance.event_log_storage.get_pool_config().default_pool_limit == 1
    assert prepare_dagster_home(home) == home  # preparing again keeps the raised limit
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.get_concurrency_info("gpu").slot_count == 2
