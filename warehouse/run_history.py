"""``pipeline_runs`` and ``asset_check_results`` (migration 008): the Dagster runs and check
results as of a publish, written by the published_snapshot asset just before it copies the
warehouse, so the snapshot carries them to the dashboard."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.db import replace_rows, writer


def write_run_history(data_dir: str | Path, runs: pl.DataFrame, checks: pl.DataFrame) -> tuple[int, int]:
    """Replace both tables whole, in one transaction (a reader never sees runs of one publish
    with checks of another); returns the rows written to each.

    Example:
        >>> write_run_history("./data", recent_runs(instance), check_results(instance))  # doctest: +SKIP
        (50, 14)
    """
    with writer(data_dir) as con:
        return (
            replace_rows(con, "pipeline_runs", runs, "true", []),
            replace_rows(con, "asset_check_results", checks, "true", []),
        )
