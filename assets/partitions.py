"""Daily partitions by UTC day of the logged request, from the given config's first_day.

The daily assets are declared without partitions and bound to the config's days when the
definitions are built (`partitioned`: Dagster's public map_asset_specs and
AssetSpec.replace_attributes), so no partitions exist before a config is chosen."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from scoring.config import PlanBConfig


def daily_partitions(cfg: PlanBConfig) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=cfg.first_day.isoformat())


def partitioned(assets: Sequence[dg.AssetsDefinition], cfg: PlanBConfig) -> list[dg.AssetsDefinition]:
    """``assets`` partitioned by ``cfg``'s days (same keys, checks and code)."""
    days = daily_partitions(cfg)
    return list(dg.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=days), assets))
