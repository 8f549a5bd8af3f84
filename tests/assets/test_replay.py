"""A replay killed with SIGKILL after its first committed chunk, then started again, redoes no
finished chunk and ends with the same replays as an uninterrupted run (real model, real
Dagster instance with its gpu pool, real DuckDB, real processes)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

from assets.ingest import chat_logs
from assets.partitions import partitioned
from assets.replay import replay_sample
from assets.resources import PlanBResource

DAY = "2026-11-01"
CHUNK = 2  # requests per committed chunk: several chunks from a small sample

# The replay step alone, as its own process, on the instance at $DAGSTER_HOME as `planb demo`
# runs it (a killed run's gpu slot is released first); prints what it did as one JSON line.
REPLAY_SCRIPT = """
import json, os, sys
import dagster as dg
from assets.instance import dagster_instance, release_dead_runs, run_tags
from assets.partitions import partitioned
from assets.replay import small_replays
from assets.resources import PlanBResource

config, data_dir, day = sys.argv[1:]
instance = dagster_instance(os.environ["DAGSTER_HOME"])
released = release_dead_runs(instance)
planb = PlanBResource(config_path=config, data_dir=data_dir)
result = dg.materialize(partitioned([small_replays], planb.load()), partition_key=day, instance=instance,
                        tags=run_tags(), resources={"planb": planb})
meta = result.asset_materializations_for_node("small_replays")[0].metadata
print(json.dumps({"released": released,
                  **{k: meta[k].value for k in ("replayed_now", "already_replayed", "chunks")}}))
"""


def _replay_command(config: Path, data_dir: Path) -> list[str]:
    return [sys.executable, "-c", REPLAY_SCRIPT, str(config), str(data_dir), DAY]


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "DAGSTER_HOME": str(data_dir / "dagster_home")}


def _replay(config: Path, data_dir: Path, cwd: Path) -> dict:
    done = subprocess.run(_replay_command(config, data_dir), cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=_env(data_dir))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _replays(data_dir: Path) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT request_id, output, prompt_tokens, output_tokens, round(mean_logprob, 4), "
            "error, batch_id FROM replays ORDER BY request_id"
        ).fetchall()


def _batch_count(data_dir: Path) -> int:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM replay_batches").fetchall()[0][0]


def test_a_killed_replay_resumes_without_redoing_committed_chunks(tmp_path, repo_root, bundled_log, landing,
                                                                 bundled_model, planb_config, kill_when_logged):
    # no data_dir: each run is given its own; the small model answers briefly (small CPU time, same flow)
    config = planb_config(tmp_path, landing(tmp_path, bundled_log([DAY], per_day=60)), data_dir=None,
                          models={"small": bundled_model("small", max_new_tokens=6, batch_size=2)},
                          sample={"per_day": 8}, replay={"chunk_size": CHUNK})
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    planb = PlanBResource(config_path=str(config), data_dir=str(killed))
    dg.materialize(partitioned([chat_logs, replay_sample], planb.load()), partition_key=DAY, resources={"planb": planb})
    clean.mkdir()
    shutil.copyfile(killed / "warehouse.duckdb", clean / "warehouse.duckdb")

    uninterrupted = _replay(config, clean, repo_root)
    sampled = uninterrupted["replayed_now"]
    assert uninterrupted["chunks"] >= 3 and uninterrupted["already_replayed"] == 0

    # Kill the replay as soon as it reports its first committed chunk.
    kill_when_logged(_replay_command(config, killed), tmp_path / "killed.log", "committed chunk", cwd=repo_root,
                     env=_env(killed), within_s=300)

    before = _replays(killed)
    assert 0 < len(before) < sampled and len(before) % CHUNK == 0  # whole chunks only

    resumed = _replay(config, killed, repo_root)
    assert len(resumed["released"]) == 1  # the killed run held the gpu slot: freed, not waited on
    assert resumed["replayed_now"] == sampled - len(before)
    assert resumed["already_replayed"] == len(before)

    after, reference = _replays(killed), _replays(clean)
    # Same requests, outputs, token counts and confidence as the uninterrupted run.
    assert [row[:6] for row in after] == [row[:6] for row in reference]
    assert all(row[5] is None for row in after)
    # Chunks committed before the kill were kept, not redone: same batch ids, no extra batches.
    assert set(before) <= set(after)
    assert _batch_count(killed) == _batch_count(clean)
