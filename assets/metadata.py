"""Markdown previews of tables for asset metadata in the Dagster UI."""

import dagster as dg
import polars as pl
from tabulate import tabulate


def markdown_preview(frame: pl.DataFrame, *, rows: int = 20) -> dg.MetadataValue:
    """The first ``rows`` rows as a Markdown table (tabulate ships with Dagster)."""
    return dg.MetadataValue.md(
        tabulate(frame.head(rows).rows(), headers=frame.columns, tablefmt="github", floatfmt=".4g")
    )
