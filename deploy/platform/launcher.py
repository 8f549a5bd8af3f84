"""The run launcher of the one-machine platform: Dagster's DefaultRunLauncher (a run worker
process per run, started by the code server), plus the health check run monitoring needs.

DefaultRunLauncher cannot tell whether a run worker is alive, so a worker killed with SIGKILL
(out of memory, a kill -9) would leave its run STARTED for ever, holding its pool slots. Each
worker records its PID in the run's first engine event ("Started process for run (pid: N)");
this launcher reports the run failed once that process is gone, so run monitoring marks it
failed, frees its slots and run retries start it again. (On Kubernetes the K8sRunLauncher
checks the run's Job instead: deploy/k8s.)
"""

from __future__ import annotations

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus

from assets.instance import process_alive

STARTED_PREFIX = "Started process for run (pid: "


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The PID its run worker recorded, or None before the worker started."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20).records
    for record in records:
        message = record.event_log_entry.message or ""
        if message.startswith(STARTED_PREFIX):
            return int(message[len(STARTED_PREFIX):].split(")")[0])
    return None


class PidCheckingRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher whose run monitoring notices a dead run worker (same machine)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        pid = worker_pid(self._instance, run.run_id)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "the run worker has not recorded its PID yet")
        if process_alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone (killed)")
