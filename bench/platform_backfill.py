"""The demo's days as a backfill on the platform (deploy/platform: PostgreSQL, the queued run
coordinator, the multiprocess executor, both models behind llama.cpp servers) at 1, 2 and 4 runs
at once, against `planb demo` (the embedded default: SQLite, one process, both models in-process
through transformers) on the same machine in the same invocation; then, with --faults, the
backfill again with four faults injected while it runs.

Both read the same landing folder: the bundled log's first 3 days (--days N),
cut from the demo's 7 to fit a 2-core machine's afternoon (each day's replays take the large
llama.cpp server about 2 minutes here: its log-probabilities over Gemma's 262k-token vocabulary).

Each backfill starts a stack from nothing in a folder of its own (its start-up timed apart), queues
the seven days at once and then the window (deploy/platform/backfill.py), and records where the
time went: each step's seconds summed by step, the time runs waited in the queue, the model
servers' busy time. Every platform snapshot is compared in content with the first one (the
columns that measure time left out: deploy/platform/verify.py), and each must pass every check.

Faults (--faults), one backfill at 2 runs at once, each once the previous one has recovered:
  worker    SIGKILL of a run worker and its step processes while its replay runs
  daemon    SIGKILL of dagster-daemon; restarted 15 s later (`stack.py up` restarts what died)
  server    SIGKILL of the large model's server while a replay uses it; restarted once a run
            has failed naming it
  postgres  a PostgreSQL restart (pg_ctl restart -m fast)

    .venv/bin/python bench/platform_backfill.py [--concurrency 1 2 4] [--days 3] [--no-demo] [--faults]
        [--reference bench/results/.cache/platform_snapshot.pickle] [--out FILE]

The last line printed is the result as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform as host
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.platform import backfill as bf  # noqa: E402
from deploy.platform import launcher, verify  # noqa: E402
from deploy.platform.stack import Stack, free_ports  # noqa: E402


def landing_folder(work: Path, days: list[str]) -> Path:
    """The bundled log's records of ``days`` (in file order), the demo's and every backfill's input."""
    from scoring.config import BUNDLED_LOG_DIR

    folder = work / "landing"
    folder.mkdir()
    lines = [line for line in (BUNDLED_LOG_DIR / "search_chat_sample.jsonl").read_text(encoding="utf-8").splitlines()
             if any(f'"{day}T' in line for day in days)]
    (folder / "log.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def demo(work: Path, landing: Path) -> dict:
    """`planb demo` on the same landing folder, in a child process, with a fresh data folder and
    Dagster instance (the embedded default otherwise)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "PLANB_CONFIG")}
    config = work / "demo.yaml"
    config.write_text(f"landing_dir: {landing}\n")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "assets.cli.main", "--config", str(config), "--data-dir", str(work / "demo"), "demo"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return {"wall_s": round(time.monotonic() - started, 1)}


def where_time_goes(inst, result: bf.Result, pools: dict) -> dict:
    """Step seconds summed by step and by pool, queue waits, and how busy the servers were."""
    runs = [run for chain in [*result.days.values(), result.window] for run in chain.runs]
    by_step, by_pool = defaultdict(float), defaultdict(float)
    for step, start, end in verify.step_intervals(inst, runs):
        by_step[step] += end - start
        by_pool[pools.get(step) or "none"] += end - start
    queued = []
    for run in runs:
        record = inst.get_run_record_by_id(run.run_id)
        if record.start_time:
            queued.append(record.start_time - record.create_timestamp.timestamp())
    return {"step_s": {k: round(v, 1) for k, v in sorted(by_step.items(), key=lambda kv: -kv[1])},
            "pool_s": {k: round(v, 1) for k, v in by_pool.items()},
            "queued_s_mean": round(sum(queued) / len(queued), 1) if queued else None,
            "queued_s_max": round(max(queued), 1) if queued else None,
            "runs": len(runs)}


def checks_of(inst, result: bf.Result) -> dict:
    runs = [run for chain in [*result.days.values(), result.window] for run in chain.runs]
    evaluations = verify.check_evaluations(inst, runs)
    failed = sorted({f"{name} ({severity})" for name, ok, severity in evaluations if not ok})
    return {"evaluated": len(evaluations), "failed": failed,
            "lock_errors": len(verify.lock_errors(inst, runs))}


def backfill(work: Path, name: str, days: list[str], max_runs: int, landing: Path,
             on_poll_factory=None) -> tuple[dict, dict]:
    stack = Stack(work / name, ports=free_ports(), max_runs=max_runs, config_overrides={"landing_dir": str(landing)})
    out: dict = {"max_runs": max_runs}
    try:
        started = time.monotonic()
        stack.up()
        out["startup_s"] = round(time.monotonic() - started, 1)
        inst = bf.instance(stack)
        on_poll = on_poll_factory(stack, inst) if on_poll_factory else None
        result = bf.run_backfill(stack, days, timeout_s=5400, on_poll=on_poll, echo=lambda line: print(line, flush=True))
        out["wall_s"] = round(result.seconds, 1)
        out["runs_retried"] = sum(len(c.runs) - 1 for c in result.days.values()) + len(result.window.runs) - 1
        out["reruns"] = len(result.reruns)
        out["time"] = where_time_goes(inst, result, verify.step_pools(stack.config_path))
        out["checks"] = checks_of(inst, result)
        out["counts"] = verify.warehouse_counts(stack.data_dir)
        if on_poll is not None:
            out["faults"] = on_poll.log
        # Each stack's servers listen on ports of their own, which the model keys hash: named instead.
        content = verify.snapshot_content(stack.data_dir / "snapshot.duckdb", name_keys=True)
        return out, content
    finally:
        stack.down()


class Faults:
    """on_poll of a backfill: inject each fault in turn once the previous one has recovered."""

    def __init__(self, stack: Stack, inst):
        self.stack, self.inst, self.log, self.stage, self.at = stack, inst, [], 0, time.monotonic()

    def note(self, fault: str, **what) -> None:
        self.log.append({"fault": fault, "t_s": round(time.monotonic() - self.at, 1), **what})
        print(f"  fault {fault}: {what}", flush=True)

    def in_progress(self, chains, step: str):
        for chain in chains.values():
            run = chain.last
            if not run.is_finished and any(s.step_key == step and s.end_time is None
                                           for s in self.inst.get_run_step_stats(run.run_id)):
                return run
        return None

    def __call__(self, chains) -> None:
        import psutil

        now = time.monotonic()
        try:
            if self.stage == 0 and (run := self.in_progress(chains, "small_replays")):
                pid = launcher.worker_pid(self.inst, run.run_id)
                worker = psutil.Process(pid)
                for process in [*worker.children(recursive=True), worker]:
                    process.send_signal(signal.SIGKILL)
                self.note("worker", run_id=run.run_id, pid=pid)
                self.stage, self.at_stage = 1, now
            elif self.stage == 1 and now - self.at_stage > 20:
                pid = self.stack.pid("daemon")
                os.kill(pid, signal.SIGKILL)
                self.note("daemon", pid=pid)
                self.stage, self.at_stage = 2, now
            elif self.stage == 2 and now - self.at_stage > 15:
                self.stack.up()
                self.note("daemon restarted", pid=self.stack.pid("daemon"))
                self.stage, self.at_stage = 3, now
            elif self.stage == 3 and (run := self.in_progress(chains, "large_replays")):
                pid = self.stack.pid("large")
                os.kill(pid, signal.SIGKILL)
                self.note("server", pid=pid, run_id=run.run_id)
                self.stage, self.at_stage, self.server_run = 4, now, run.run_id
            elif self.stage == 4:
                failed = [c.runs for c in chains.values()]
                texts = [bf.failure_text(self.inst, r.run_id) for runs in failed for r in runs
                         if r.is_failure and "backend at" in bf.failure_text(self.inst, r.run_id)]
                if texts or now - self.at_stage > 120:
                    self.note("server failure seen", message=texts[0] if texts else None)
                    self.stack.up()
                    self.note("server restarted", pid=self.stack.pid("large"))
                    self.stage, self.at_stage = 5, now
            elif self.stage == 5 and now - self.at_stage > 20 and any(not c.last.is_finished for c in chains.values()):
                self.stack.restart_postgres()
                self.note("postgres restarted", pid=self.stack.pid("postgres"))
                self.stage = 6
        except Exception as err:  # PostgreSQL restarting under the client: try again at the next poll
            print(f"  poll: {type(err).__name__}: {str(err)[:200]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--days", type=int, default=3, help="the demo's first N days (default 3)")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--reference", type=Path, help="a snapshot's content to compare with (pickle); "
                        "written from the first backfill when missing")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "platform_cpu.json")
    args = parser.parse_args()
    days = bf.DEMO_DAYS[: args.days]
    work = Path(tempfile.mkdtemp(prefix="planb-platform-bench-"))
    landing = landing_folder(work, days)
    result: dict = {"machine": f"{host.machine()}, {os.cpu_count()} cores, {host.platform()}",
                    "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "days": len(days),
                    "load_at_start": os.getloadavg()}
    try:
        if not args.no_demo:
            result["demo"] = demo(work, landing)
            args.out.write_text(json.dumps(result, indent=1) + "\n")
            print(f"planb demo: {result['demo']['wall_s']} s", flush=True)
        reference = pickle.loads(args.reference.read_bytes()) if args.reference and args.reference.exists() else None
        for n in args.concurrency:
            try:
                out, content = backfill(work, f"c{n}", days, n, landing)
            except Exception as err:  # recorded, and the next concurrency still measured
                result[f"platform_{n}"] = {"error": f"{type(err).__name__}: {str(err)[:2000]}"}
                print(f"platform, {n} runs at once: {result[f'platform_{n}']['error']}", flush=True)
                continue
            if reference is None:
                reference = content
                if args.reference:
                    args.reference.parent.mkdir(parents=True, exist_ok=True)
                    args.reference.write_bytes(pickle.dumps(content))
            out["snapshot_differences"] = verify.content_differences(reference, content)
            if "demo" in result:
                out["wall_over_demo"] = round(out["wall_s"] / result["demo"]["wall_s"], 2)
            result[f"platform_{n}"] = out
            args.out.write_text(json.dumps(result, indent=1) + "\n")  # what is measured so far
            print(f"platform, {n} runs at once: {out['wall_s']} s" + (f" ({out['wall_over_demo']}x the demo)"
                  if "demo" in result else ""), flush=True)
        if args.faults:
            try:
                out, content = backfill(work, "faults", days, 2, landing, on_poll_factory=Faults)
            except Exception as err:
                result["faults"] = {"error": f"{type(err).__name__}: {str(err)[:2000]}"}
                raise
            if reference is not None:
                out["snapshot_differences"] = verify.content_differences(reference, content)
            result["faults"] = out
    finally:
        result["load_at_end"] = os.getloadavg()
        shutil.rmtree(work, ignore_errors=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
