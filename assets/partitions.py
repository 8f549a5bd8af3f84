"""Daily partitions by UTC day of the logged request, from the given config's first_day to its
last_day (or up to today when it has none: a live feed).

The daily assets are declared without partitions and bound to the config's days when the
definitions are built (`partitioned`: Dagster's public map_asset_specs and
AssetSpec.replace_attributes), so no partitions exist before a config is chosen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

from scoring.config import PlanBConfig


def daily_partitions(cfg: PlanBConfig) -> dg.DailyPartitionsDefinition:
    # Dagster's end_date is the first day without a partition.
    end = None if cfg.last_day is None else (cfg.last_day + timedelta(days=1)).isoformat()
    return dg.DailyPartitionsDefinition(start_date=cfg.first_day.isoformat(), end_date=end)


def partitioned(assets: Sequence[dg.AssetsDefinition], cfg: PlanBConfig) -> list[dg.AssetsDefinition]:
    """``assets`` partitioned by ``cfg``'s days (same keys, checks and code)."""
    days = daily_partitions(cfg)
    return list(dg.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=days), assets))
