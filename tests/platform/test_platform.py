"""Plan B as a platform (deploy/platform): a real PostgreSQL, the two llama.cpp model servers, the
Dagster code server, daemon and webserver, started from nothing in a temporary folder; a two-day
backfill queued at once, two runs at a time, with one fault: a run worker killed with SIGKILL in
the middle of its run. Dagster marks the run failed, its run retries finish the day, and the
published snapshot is the same, row for row, as `planb run` (the embedded default: SQLite, one
process) makes on the same inputs with the same config.

The stack needs PostgreSQL's binaries (Debian's postgresql package), llama-cpp-python and
dagster-postgres: skipped without them unless PLANB_REQUIRE_POSTGRES is set (`make test` sets it,
so in CI a missing piece fails).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys

import pytest

from deploy.platform import backfill as bf
from deploy.platform import launcher, verify
from deploy.platform.stack import PG_BIN, Stack, free_ports

REQUIRE_ENV = "PLANB_REQUIRE_POSTGRES"
DAYS = ["2026-11-01", "2026-11-02"]


def _missing() -> list[str]:
    missing = [] if (PG_BIN / "initdb").exists() else [f"PostgreSQL ({PG_BIN}/initdb; apt-get install postgresql)"]
    missing += [f"the {m} module" for m in ("llama_cpp", "dagster_postgres") if importlib.util.find_spec(m) is None]
    return missing


@pytest.fixture(scope="module")
def stack(tmp_path_factory, bundled_log, landing):
    missing = _missing()
    if missing:
        message = f"the platform needs {', '.join(missing)}"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{message} ({REQUIRE_ENV} is set)")
        pytest.skip(f"{message}; {REQUIRE_ENV}=1 makes this a failure")
    root = tmp_path_factory.mktemp("platform")
    folder = landing(root, bundled_log(DAYS))
    stack = Stack(root / "state", ports=free_ports(), max_runs=2, config_overrides={"landing_dir": str(folder)})
    try:
        stack.up()
        yield stack
    finally:
        stopped = stack.down()
        assert all(pid is None for pid in stack.status().values()), stopped


def _kill_worker_once(inst, killed: dict):
    """on_poll: once a day run has its replay step going, SIGKILL its run worker and the step
    processes under it (as a run pod dies with its containers)."""
    import psutil

    def poll(chains):
        if killed:
            return
        for chain in chains.values():
            run = chain.last
            if run.is_finished or "small_replays" not in {s.step_key for s in inst.get_run_step_stats(run.run_id)}:
                continue
            pid = launcher.worker_pid(inst, run.run_id)
            if pid is None:
                continue
            worker = psutil.Process(pid)
            for process in [*worker.children(recursive=True), worker]:
                process.send_signal(signal.SIGKILL)
            killed.update(run_id=run.run_id, pid=pid)
            return
    return poll


def test_two_day_backfill_survives_a_killed_run_worker_and_matches_the_embedded_run(stack, tmp_path, repo_root):
    inst = bf.instance(stack)
    killed: dict = {}
    result = bf.run_backfill(stack, DAYS, timeout_s=1500, on_poll=_kill_worker_once(inst, killed), echo=print)

    # The fault happened and Dagster recovered by itself: the killed run failed as such, a retry
    # of it finished the day, no re-run was needed.
    assert killed, "no run worker was killed"
    chain = next(c for c in result.days.values() if killed["run_id"] in {r.run_id for r in c.runs})
    assert len(chain.runs) >= 2 and chain.last.is_success
    # The code server sees its run worker exit (or run monitoring, by PID, if the code server died too).
    why = bf.failure_text(inst, killed["run_id"])
    assert "was terminated by signal 9 (SIGKILL)" in why or f"process {killed['pid']} is gone (killed)" in why, why
    assert result.reruns == []

    runs = [run for chain in [*result.days.values(), result.window] for run in chain.runs]
    # Both days ran at once (the queue's limit is 2), the pools held across runs: never two
    # replay steps at once, never two warehouse writers at once.
    day_runs = [chain.runs[0] for chain in result.days.values()]
    starts = [inst.get_run_record_by_id(r.run_id).start_time for r in day_runs]
    ends = [inst.get_run_record_by_id(r.run_id).end_time for r in day_runs]
    assert max(starts) < min(ends), "the two days' runs never ran together"
    steps = verify.step_intervals(inst, runs)
    pools = verify.step_pools(stack.config_path)
    for pool in ("gpu", "duckdb_writer"):
        assert verify.overlaps([s for s in steps if pools.get(s[0]) == pool]) == [], f"two {pool} steps at once"
    # Every ERROR check passed (the WARN ones about a sample this small, e.g. the cost model's fit
    # on 24 requests, fail alike in the embedded run: the snapshots' asset_check_results below).
    evaluations = verify.check_evaluations(inst, runs)
    assert evaluations and [e for e in evaluations if e[2] == "ERROR" and not e[1]] == []
    assert verify.lock_errors(inst, runs) == []

    # Nothing lost or duplicated: one replay per sampled request and model.
    counts = verify.warehouse_counts(stack.data_dir)
    assert counts["replays"] == 2 * counts["replay_sample"] > 0
    assert counts["failed_replays"] == counts["duplicate_replays"] == counts["duplicate_agreement"] == 0
    assert counts["agreement"] == counts["replay_sample"]

    # The embedded default (`planb run`: SQLite storage, in-process) on the same inputs and config.
    embedded = tmp_path / "embedded"
    env = {**stack.env(), "PLANB_CONFIG": str(stack.config_path)}
    env.pop("DAGSTER_HOME")
    subprocess.run([sys.executable, "-m", "assets.cli.main", "--data-dir", str(embedded), "run",
                    "--from", DAYS[0], "--to", DAYS[-1]], cwd=repo_root, env=env, check=True, timeout=1500)
    platform = verify.snapshot_content(stack.data_dir / "snapshot.duckdb")
    assert verify.content_differences(platform, verify.snapshot_content(embedded / "snapshot.duckdb")) == []
    assert platform["replays"] and platform["agreement"] and platform["routing_projection"]
