"""Fixtures of the code location's tests."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg
import pytest


@pytest.fixture(scope="session")
def evaluate_check() -> Callable[..., dg.AssetCheckEvaluation]:
    """``evaluate_check(check, planb)``: the one evaluation of asset check ``check`` run alone in
    the real code location built on resource ``planb`` (an ephemeral instance); a warning never
    fails the run, so the run must succeed."""
    from assets.definitions import build_definitions

    def evaluate(check, planb) -> dg.AssetCheckEvaluation:
        job = dg.Definitions.merge(build_definitions(planb), dg.Definitions(jobs=[dg.define_asset_job(
            "check_only", selection=dg.AssetSelection.checks(check))])).resolve_job_def("check_only")
        result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
        assert result.success  # a warning never fails the run
        (evaluation,) = result.get_asset_check_evaluations()
        return evaluation

    return evaluate
