"""The `duckdb_writer` pool: every step that writes the warehouse (and every check reading it)
claims its one slot, so two runs wanting the writer at once take turns and both finish, each
day landing once (real Dagster instance prepared from assets/dagster.yaml, real processes, real
DuckDB file)."""

import os
import subprocess
import sys

import duckdb

from assets.instance import prepare_dagster_home

DAYS = ("2026-11-01", "2026-11-02")

# First run: one writer-pool step that holds the warehouse open (as a long ingest would) until
# the instance shows the second run's step waiting for the pool, then writes day 1.
# Second run: the real ingest and sample of day 2, started once the first holds its slot.
RUN = """
import json, os, sys, time
import dagster as dg
from assets.ingest import chat_logs
from assets.instance import WRITER_POOL, dagster_instance, run_tags
from assets.partitions import partitioned
from assets.replay import replay_sample
from assets.resources import PlanBResource
from warehouse.db import writer

home, config, data, signal, role, day = sys.argv[1:]
instance = dagster_instance(home)
planb = PlanBResource(config_path=config, data_dir=data)

@dg.asset(pool=WRITER_POOL)
def hold_writer(context: dg.AssetExecutionContext):
    start = time.time()
    with writer(data) as con:
        open(signal, "w").close()
        deadline = time.time() + 120
        while time.time() < deadline:
            waiting = instance.event_log_storage.get_concurrency_info(WRITER_POOL).pending_steps
            if any(p.run_id != context.run_id and p.assigned_timestamp is None for p in waiting):
                print("waiter", flush=True)
                break
            time.sleep(0.2)
        con.execute("CREATE TABLE IF NOT EXISTS held (day DATE)")
        con.execute("INSERT INTO held VALUES (?)", [day])
    print(f"interval {start} {time.time()}", flush=True)

if role == "first":
    dg.materialize([hold_writer], instance=instance, tags=run_tags())
else:
    while not os.path.exists(signal):
        time.sleep(0.1)
    result = dg.materialize(partitioned([chat_logs, replay_sample], planb.load()), partition_key=day, instance=instance,
                            resources={"planb": planb}, tags=run_tags())
    step = {s.step_key: s for s in instance.get_run_step_stats(result.run_id)}["chat_logs"]
    print(f"interval {step.start_time} {step.end_time}", flush=True)
"""


def test_two_runs_wanting_the_writer_both_finish(tmp_path, repo_root, bundled_log, landing, planb_config):
    home = prepare_dagster_home(tmp_path / "dagster_home")
    data = tmp_path / "data"
    config = planb_config(tmp_path, landing(tmp_path, bundled_log(DAYS), "logs.jsonl"), sample={"per_day": 4})
    signal = tmp_path / "first-holds-the-writer"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    runs = [subprocess.Popen([sys.executable, "-c", RUN, str(home), str(config), str(data), str(signal), role, day],
                             cwd=repo_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for role, day in (("first", DAYS[0]), ("second", DAYS[1]))]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-3000:]
        outputs.append(out)
    (_, first_end), (second_start, _) = [
        [float(x) for x in next(line for line in out.splitlines() if line.startswith("interval")).split()[1:]]
        for out in outputs]
    assert "waiter" in outputs[0]  # the second run asked for the writer while the first held it
    assert second_start >= first_end  # and got it only once the first had finished

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT day::VARCHAR FROM held").fetchall() == [(DAYS[0],)]
        logged = con.execute("SELECT count(*), count(DISTINCT request_id) FROM chat_logs WHERE day = ?",
                             [DAYS[1]]).fetchone()
        weights = con.execute("SELECT sum(weight) FROM replay_sample WHERE day = ?", [DAYS[1]]).fetchone()[0]
    assert logged[0] == logged[1] > 0 and abs(weights - logged[0]) < 1e-6  # one copy of the day, sampled


def test_writer_steps_and_checks_claim_the_writer_pool():
    from assets.definitions import defs

    pools = {node.name: node.definition.pool for node in defs().resolve_job_def("planb_nightly").graph.nodes}
    assert pools.pop("small_replays") == pools.pop("large_replays") == "gpu"
    assert pools.pop("agreement_validation") is None  # reads the committed validation set only
    assert pools.pop("chat_logs_chat_logs_rows_and_schema") == "duckdb_writer"  # a check, in the pool too
    assert pools.pop("published_snapshot_snapshot_is_consistent") is None  # reads the snapshot, never the warehouse
    assert set(pools.values()) == {"duckdb_writer"}, pools
