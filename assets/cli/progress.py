"""Step progress of the Dagster runs `planb run` and `planb demo` start (``run_days``), read from
each run's event stream as the steps start and finish.

On a terminal: one bar (tqdm, on stderr like the replay's bar of requests) over every step of
every run, naming the step running, with counts and the time left. Elsewhere (a log, a pipe,
the tests): no bar, one plain line per finished step with the same counts and time left.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from tqdm import tqdm

# Dagster event types that end a step, and how a line says so.
FINISHED = {"STEP_SUCCESS": "done", "STEP_FAILURE": "failed", "STEP_SKIPPED": "skipped"}


def steps(job) -> int:
    """The steps one run of a Dagster job executes (one per op: asset or check)."""
    return len(job.nodes_in_topological_order)


class StepProgress:
    """Progress over ``total`` steps; ``echo`` prints a line (the command's own lines go through
    ``say`` so that they never break the bar). ``bar``: None draws it only when stderr is a
    terminal (tqdm's rule).

    Example:
        >>> with StepProgress(2, print, bar=False) as progress:
        ...     progress.step_finished("day 2026-11-01", "chat_logs", "STEP_SUCCESS")  # as a run's event does
          day 2026-11-01: chat_logs done (1 of 2 steps, about 00:00 left)
    """

    def __init__(self, total: int, echo: Callable[[str], None], *, bar: bool | None = None) -> None:
        self.total, self.finished, self.echo = total, 0, echo
        self.start = time.monotonic()
        self.bar = tqdm(total=total, unit="step", disable=None if bar is None else not bar, dynamic_ncols=True)

    def __enter__(self) -> StepProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def say(self, line: str) -> None:
        """Print ``line`` above the bar (tqdm clears it, prints, and draws it again)."""
        with tqdm.external_write_mode():
            self.echo(line)

    @contextmanager
    def run(self, instance, label: str, planned: int) -> Iterator[str]:
        """A run id to execute one run of ``planned`` steps under: its step events, as Dagster
        stores them in ``instance``, move the progress. When the run ends, its steps that never
        started (downstream of a failure) count as passed."""
        run_id = str(uuid.uuid4())  # Dagster's own run ids are uuid4 strings too
        # The instance calls this back synchronously for every event of run_id it stores (the
        # hook Dagster's external-step execution uses); nothing is polled or re-read.
        instance.add_event_listener(run_id, partial(self._on_event, label))
        end = self.finished + planned
        try:
            yield run_id
        finally:
            if self.finished < end:
                self.bar.update(end - self.finished)
                self.finished = end

    def _on_event(self, label: str, entry) -> None:
        kind = entry.dagster_event_type
        if kind is None or entry.step_key is None:
            return
        if kind.value == "STEP_START":
            self.bar.set_description(f"{label}: {entry.step_key}")
        elif kind.value in FINISHED:
            self.step_finished(label, entry.step_key, kind.value)

    def step_finished(self, label: str, step: str, kind: str) -> None:
        self.finished += 1
        self.bar.update(1)
        if self.bar.disable:
            left = (time.monotonic() - self.start) / self.finished * max(self.total - self.finished, 0)
            self.echo(f"  {label}: {step} {FINISHED[kind]} ({self.finished} of {self.total} steps, "
                      f"about {tqdm.format_interval(left)} left)")
