"""The Dagster instance Plan B runs on: $DAGSTER_HOME with the `gpu` and `duckdb_writer` pool
limits of assets/dagster.yaml."""

import os
import shutil
import socket
from pathlib import Path

INSTANCE_SETTINGS = Path(__file__).with_name("dagster.yaml")


GPU_POOL = "gpu"  # the pool the replay assets declare
WRITER_POOL = "duckdb_writer"  # every other step that writes the warehouse, and the checks reading it
POOLS = (GPU_POOL, WRITER_POOL)


def prepare_dagster_home(home: str | Path) -> Path:
    """Create ``home``, give it Plan B's dagster.yaml unless it already has its own, and set
    each of Plan B's pools to its default limit unless it has an explicit one."""
    import dagster as dg

    home = Path(home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        shutil.copyfile(INSTANCE_SETTINGS, settings)
    # Dagster sets a pool's default limit lazily, at its first claim; two runs claiming at once
    # on a fresh instance could then both get a slot. Setting it here closes that window.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        limited = {pool.name for pool in storage.get_pool_limits()}
        for pool in POOLS:
            if pool not in limited:
                storage.initialize_concurrency_limit_to_default(pool)
    return home


def dagster_instance(default_home: str | Path):
    """The instance at $DAGSTER_HOME, else ``default_home`` (set as $DAGSTER_HOME)."""
    import dagster as dg

    home = prepare_dagster_home(os.environ.get("DAGSTER_HOME") or default_home)
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


PID_TAG, HOST_TAG = "planb/pid", "planb/host"
BACKFILL_TAG = "planb/backfill"  # the runs of one `planb run` (or demo) call


def run_tags() -> dict[str, str]:
    """Tags of a run executed in this process: who to ask whether it is still alive."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` on this machine still runs: one that has ended but not yet been
    reaped by its parent (a zombie, seen in /proc where there is one) counts as ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:  # gone since kill's answer, or no /proc at all (macOS): then kill's answer stands
        return not os.path.isdir("/proc")
    except OSError:
        return True


def release_dead_runs(instance) -> list[str]:
    """Mark failed the runs this machine executed in-process whose process is gone (killed),
    and free the pool slots they held; returns their run ids.

    A run killed with SIGKILL never reports its end, so it would keep its `gpu` slot for ever
    and the next replay would wait on it: call this before executing a run in-process.
    """
    import dagster as dg

    stale = instance.get_runs(filters=dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED],
        tags={HOST_TAG: socket.gethostname()},
    ))
    released = []
    for run in stale:
        pid = int(run.tags.get(PID_TAG, "0"))
        if pid and pid != os.getpid() and not process_alive(pid):
            instance.report_run_failed(run, message=f"its process {pid} ended without finishing it (killed)")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            released.append(run.run_id)
    return released
