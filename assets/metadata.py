"""What assets and checks show in the Dagster UI: Markdown previews of tables, savings at the
recommended thresholds, and a check's result with its counts."""

import dagster as dg
import polars as pl
from tabulate import tabulate


def markdown_preview(frame: pl.DataFrame, *, rows: int = 20) -> dg.MetadataValue:
    """The first ``rows`` rows as a Markdown table (tabulate ships with Dagster)."""
    return dg.MetadataValue.md(
        tabulate(frame.head(rows).rows(), headers=frame.columns, tablefmt="github", floatfmt=".4g")
    )


def savings_metadata(recommended: pl.DataFrame) -> dict:
    """Savings at each router's recommended threshold (``warehouse.previews.recommended_savings``):
    a table, and one number per router and figure, which the UI plots across materializations."""
    if recommended.is_empty():
        return {"savings_at_recommended": dg.MetadataValue.md(
            "no router has a threshold whose agreement lower bound reaches projection.agreement_target")}
    numbers = {f"{figure}/{row['router']}": row[figure] for row in recommended.iter_rows(named=True)
               for figure in ("dollars_saved_per_year", "gpu_hours_saved_per_day", "share_small")
               if row[figure] is not None}
    return {"savings_at_recommended": markdown_preview(recommended), **numbers}


def check_result(problems: list[str], counts: dict, ok: str) -> dg.AssetCheckResult:
    """Failed (ERROR) with every problem named, or passed with ``ok``; the counts as metadata."""
    return dg.AssetCheckResult(
        passed=not problems, severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(problems) if problems else ok,
        metadata={k: float(v) if isinstance(v, float) else int(v) for k, v in counts.items()},
    )


def share_of(part: int, whole: int) -> float:
    """part / whole, 0 when there is no whole."""
    return part / whole if whole else 0.0
