"""assets.cli.progress on real Dagster runs: every step's end is one plain line with its count and
the time left when no terminal is attached, a failed run's steps that never started are counted
as passed, and the command's own lines go through unchanged."""

from __future__ import annotations

import re

import dagster as dg
import pytest

from assets.cli.progress import StepProgress, steps


@dg.op
def first() -> int:
    return 1


@dg.op
def second(value: int) -> int:
    if value < 0:
        raise ValueError("negative")
    return value + 1


@dg.op
def third(value: int) -> int:
    return value + 1


@dg.job
def chain():
    third(second(first()))


@dg.op
def negative() -> int:
    return -1


@dg.job
def failing_chain():
    third(second(negative()))


LINE = re.compile(r"  (?P<label>[^:]+): (?P<step>\w+) (?P<how>done|failed|skipped) "
                  r"\((?P<n>\d+) of (?P<total>\d+) steps, about \d\d:\d\d left\)")


def test_each_finished_step_is_a_line_with_its_count():
    lines: list[str] = []
    instance = dg.DagsterInstance.ephemeral()
    with StepProgress(2 * steps(chain), lines.append, bar=False) as progress:
        for label in ("day 1", "day 2"):
            progress.say(f"{label}: starting")
            with progress.run(instance, label, steps(chain)) as run_id:
                assert chain.execute_in_process(instance=instance, run_id=run_id).run_id == run_id
    found = [LINE.fullmatch(line) for line in lines]
    assert lines[0] == "day 1: starting" and lines[4] == "day 2: starting"
    assert [(m["label"], m["step"], m["how"], int(m["n"])) for m in found if m] == [
        ("day 1", "first", "done", 1), ("day 1", "second", "done", 2), ("day 1", "third", "done", 3),
        ("day 2", "first", "done", 4), ("day 2", "second", "done", 5), ("day 2", "third", "done", 6)]
    assert {m["total"] for m in found if m} == {"6"}


def test_steps_after_a_failure_count_as_passed():
    lines: list[str] = []
    instance = dg.DagsterInstance.ephemeral()
    with StepProgress(steps(failing_chain) + steps(chain), lines.append, bar=False) as progress:
        with progress.run(instance, "day 1", steps(failing_chain)) as run_id:
            assert not failing_chain.execute_in_process(instance=instance, run_id=run_id,
                                                        raise_on_error=False).success
        assert progress.finished == 3  # negative done, second failed, third never started
        with progress.run(instance, "window", steps(chain)) as run_id:
            chain.execute_in_process(instance=instance, run_id=run_id)
    assert [m["step"] + " " + m["how"] for m in map(LINE.fullmatch, lines)] == [
        "negative done", "second failed", "first done", "second done", "third done"]
    assert lines[-1].endswith("(6 of 6 steps, about 00:00 left)")


def test_a_bar_prints_no_step_lines(capsys):
    lines: list[str] = []
    instance = dg.DagsterInstance.ephemeral()
    with StepProgress(steps(chain), lines.append, bar=True) as progress:
        with progress.run(instance, "day 1", steps(chain)) as run_id:
            chain.execute_in_process(instance=instance, run_id=run_id)
        progress.say("a line of the command")
        assert progress.bar.n == 3
    assert lines == ["a line of the command"]
    assert "3/3" in capsys.readouterr().err  # the bar, on stderr


@pytest.mark.parametrize("job, expected", [(chain, 3), (failing_chain, 3)])
def test_steps_counts_the_ops(job, expected):
    assert steps(job) == expected
