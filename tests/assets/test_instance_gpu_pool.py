"""The `gpu` pool: the instance Plan B prepares (assets/dagster.yaml) lets one step of the pool
run at a time across processes, and `dagster instance concurrency set gpu N` raises it."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.instance import prepare_dagster_home

# One run in its own process whose only step holds the gpu pool; prints its interval. The first
# (no signal file yet) creates the signal file, which starts the second, and holds its slot
# until the instance shows the second's step waiting for one ("waiter"), so the two claims
# never race (Dagster's SQLite storage cannot arbitrate two claims made at the same instant).
HOLD_GPU = """
import os, sys, time
import dagster as dg
from assets.instance import dagster_instance, run_tags

home, signal, role = sys.argv[1:]
instance = dagster_instance(home)

@dg.asset(pool="gpu")
def hold_gpu(context: dg.AssetExecutionContext):
    start = time.time()
    if role == "first":
        open(signal, "w").close()
        deadline = time.time() + 120
        while time.time() < deadline:
            waiting = instance.event_log_storage.get_concurrency_info("gpu").pending_steps
            if any(p.run_id != context.run_id and p.assigned_timestamp is None for p in waiting):
                print("waiter", flush=True)
                break
            time.sleep(0.2)
    print(f"interval {start} {time.time()}", flush=True)

while role == "second" and not os.path.exists(signal):
    time.sleep(0.1)
dg.materialize([hold_gpu], instance=instance, tags=run_tags())
"""


def test_replay_assets_are_in_the_gpu_pool():
    from assets.definitions import defs

    graph = defs().resolve_asset_graph()
    pools = {key.to_user_string(): graph.get(key).pools for key in graph.get_all_asset_keys()}
    assert pools["small_replays"] == pools["large_replays"] == {"gpu"}


def test_two_runs_never_hold_the_gpu_pool_at_once(tmp_path, repo_root):
    home = prepare_dagster_home(tmp_path / "dagster_home")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    signal = tmp_path / "first-holds-the-gpu"
    runs = [subprocess.Popen([sys.executable, "-c", HOLD_GPU, str(home), str(signal), role], cwd=repo_root,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for role in ("first", "second")]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-2000:]
        outputs.append(out)
    intervals = [next(line for line in out.splitlines() if line.startswith("interval")).split()[1:]
                 for out in outputs]
    (first_start, first_end), (second_start, second_end) = [(float(a), float(b)) for a, b in intervals]
    assert "waiter" in outputs[0]  # the second run asked for the slot while the first held it
    assert second_start >= first_end  # and got it only once the first had finished


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
