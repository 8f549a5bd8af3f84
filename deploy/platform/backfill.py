"""A backfill on the platform (deploy/platform/stack.py): each day's planb_daily run queued at once
through the webserver's GraphQL API, as the UI's "Launch backfill" queues them; the daemon starts
them as the run limits allow; once every day has succeeded, planb_window once.

    python deploy/platform/backfill.py [--from 2026-11-01] [--to 2026-11-07] [--dir data/platform]

A failed run is retried by Dagster itself (run_retries in deploy/platform/dagster.yaml); a day
whose retries are spent is queued once more here (a re-run: every step is idempotent, a replay
skips the requests already answered). A day that still fails stops the backfill before the
window, with each failed step's error.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deploy.platform.stack import DEFAULT_DIR, LOCATION, Stack  # noqa: E402

BACKFILL_TAG, STAGE_TAG = "planb/backfill", "planb/stage"
DEMO_DAYS = [(date(2026, 11, 1) + timedelta(days=n)).isoformat() for n in range(7)]


class BackfillError(RuntimeError):
    """A day or the window failed after Dagster's retries and one re-run."""


@dataclass
class Chain:
    """A run and the retries Dagster made of it."""

    first: str
    runs: list = field(default_factory=list)  # DagsterRun, oldest first

    @property
    def last(self):
        return self.runs[-1] if self.runs else None


def instance(stack: Stack):
    """A client of the platform's Dagster instance (its storage in PostgreSQL)."""
    import os

    import dagster as dg

    for key, value in stack.env().items():
        if key.startswith("PLANB_PG_"):
            os.environ[key] = value
    return dg.DagsterInstance.from_config(str(stack.home))


# Submissions tried at most this often when the webserver's storage connection fails: it holds a
# pooled PostgreSQL connection (dagster-webserver's optimize_for_webserver, no pre-ping), which a
# PostgreSQL restart leaves dead; the first query on it fails and the next gets a fresh one.
SUBMIT_ATTEMPTS = 5


def submit(stack: Stack, job: str, tags: dict[str, str]) -> str:
    """Queue ``job`` with ``tags`` (which name this submission alone) through the webserver; a
    storage connection error is retried once no run with those tags exists (none was queued)."""
    import dagster as dg
    from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

    host, port = stack.graphql
    client = DagsterGraphQLClient(host, port_number=port)
    attempt = 1
    while True:
        try:
            return client.submit_job_execution(job, repository_location_name=LOCATION, tags=tags)
        except DagsterGraphQLClientError as err:
            if "OperationalError" not in str(err) or attempt >= SUBMIT_ATTEMPTS:
                raise
        queued = instance(stack).get_runs(filters=dg.RunsFilter(tags=tags))
        if queued:
            return queued[-1].run_id  # the oldest: the one this submission queued, not a retry of it
        time.sleep(2.0 * attempt)
        attempt += 1


def follow(inst, first_run_id: str):
    """The chain of a run: itself and every retry of it (tag dagster/root_run_id)."""
    import dagster as dg

    runs = [inst.get_run_by_id(first_run_id)]
    runs += sorted(inst.get_runs(filters=dg.RunsFilter(tags={"dagster/root_run_id": first_run_id})),
                   key=lambda run: int(run.tags.get("dagster/retry_number", "0")))
    return Chain(first_run_id, runs)


def settled(chain: Chain) -> bool:
    """Succeeded, or failed with no retry coming."""
    run = chain.last
    if run is None or not run.is_finished:
        return False
    return run.is_success or run.tags.get("dagster/will_retry") == "false"


def wait_all(inst, run_ids: list[str], *, timeout_s: float, poll_s: float = 2.0, on_poll=None) -> dict[str, Chain]:
    """Wait until every chain has settled; ``on_poll(chains)`` is called at each poll (faults)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            chains = {run_id: follow(inst, run_id) for run_id in run_ids}
        except Exception as err:  # PostgreSQL restarting: the next poll reconnects
            print(f"  (storage not answering: {type(err).__name__}; polling again)", flush=True)
            time.sleep(poll_s)
            continue
        if on_poll is not None:
            on_poll(chains)
        if all(settled(c) for c in chains.values()):
            return chains
        if time.monotonic() > deadline:
            pending = [c.first for c in chains.values() if not settled(c)]
            raise BackfillError(f"{len(pending)} runs not finished after {timeout_s:.0f} s: {', '.join(pending)}")
        time.sleep(poll_s)


def failure_text(inst, run_id: str) -> str:
    """The failed steps' errors (else the run's failure message), one line each."""
    import dagster as dg

    steps, run = [], []
    for record in inst.get_records_for_run(run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE,
                                                            dg.DagsterEventType.ENGINE_EVENT}).records:
        event, message = record.event_log_entry.dagster_event, record.event_log_entry.message or ""
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            while error.cause is not None and error.cls_name == "DagsterExecutionStepExecutionError":
                error = error.cause
            steps.append(f"step {event.step_key}: {error.message.strip().splitlines()[0]}")
        elif event.event_type == dg.DagsterEventType.RUN_FAILURE or any(
                what in message.lower() for what in ("run worker", "run execution process")):
            run.append(message.splitlines()[0])  # the code server or run monitoring saw the run worker die
    return "; ".join(steps or run) or "(no failure recorded)"


@dataclass
class Result:
    backfill: str
    seconds: float
    days: dict[str, Chain]
    window: Chain
    reruns: list[str]


def run_backfill(stack: Stack, days: list[str], *, timeout_s: float = 3600, on_poll=None, echo=print) -> Result:
    """Queue every day at once, wait (Dagster's retries, then one re-run of a failed day), then
    run the window; raises BackfillError naming what failed."""
    inst = instance(stack)
    backfill = uuid.uuid4().hex[:8]
    started = time.monotonic()
    first = {}
    for day in days:
        first[day] = submit(stack, "planb_daily", {"dagster/partition": day, BACKFILL_TAG: backfill, STAGE_TAG: "day"})
    echo(f"backfill {backfill}: {len(days)} runs queued ({days[0]} to {days[-1]})")
    chains = wait_all(inst, list(first.values()), timeout_s=timeout_s, on_poll=on_poll)
    by_day = {day: chains[run_id] for day, run_id in first.items()}
    reruns = []
    failed = [day for day, chain in by_day.items() if not chain.last.is_success]
    if failed:  # a re-run of each failed day, after Dagster's retries were spent
        for day in failed:
            echo(f"  day {day} failed after {len(by_day[day].runs)} runs "
                 f"({failure_text(inst, by_day[day].last.run_id)}): queued again")
            reruns.append(submit(stack, "planb_daily", {"dagster/partition": day, BACKFILL_TAG: backfill,
                                                        STAGE_TAG: "day", "planb/rerun": "1"}))
        again = wait_all(inst, reruns, timeout_s=timeout_s, on_poll=on_poll)
        for day, run_id in zip(failed, reruns):
            by_day[day] = again[run_id]
        still = {day: failure_text(inst, by_day[day].last.run_id) for day in failed if not by_day[day].last.is_success}
        if still:
            raise BackfillError("; ".join(f"{day}: {why}" for day, why in still.items())
                                + ": the window was not run")
    window_id = submit(stack, "planb_window", {BACKFILL_TAG: backfill, STAGE_TAG: "window"})
    window = wait_all(inst, [window_id], timeout_s=timeout_s, on_poll=on_poll)[window_id]
    if not window.last.is_success:
        raise BackfillError(f"the window failed: {failure_text(inst, window.last.run_id)}")
    seconds = time.monotonic() - started
    echo(f"backfill {backfill}: {len(days)} days and the window in {seconds:.1f} s")
    return Result(backfill, seconds, by_day, window, reruns)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", default=DEMO_DAYS[0], help="first day (default: the demo's)")
    parser.add_argument("--to", dest="last", default=DEMO_DAYS[-1], help="last day, included")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="the stack's state folder")
    args = parser.parse_args(argv)
    first, last = date.fromisoformat(args.first), date.fromisoformat(args.last)
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    try:
        run_backfill(Stack(args.dir), days)
    except BackfillError as err:
        raise SystemExit(f"backfill: {err}") from None


if __name__ == "__main__":
    main()
