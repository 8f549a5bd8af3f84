"""The keys the warehouse's rows are stored under: the pipeline's own dataset name and the scoring
key of agreement rows. Plain values only (no DuckDB), so the CLI and the dashboard import them
without loading anything."""

from __future__ import annotations

from dataclasses import dataclass

PIPELINE = "pipeline"  # routing_projection.dataset of the pipeline's own rows (others: planb import-replays)


@dataclass(frozen=True)
class ScoringKey:
    """Which agreement rows a step reads or writes: the small and large model configs' keys and
    the scoring_version of the agree rule they were scored under (``astuple``: in this order, as
    the queries' parameters take them)."""

    small_key: str
    large_key: str
    scoring_version: str
