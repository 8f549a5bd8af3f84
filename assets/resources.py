"""The one resource every asset uses: Plan B's validated configuration."""

from datetime import date

import dagster as dg
from pydantic import Field

from scoring.agreement.rule import current_scoring_version
from scoring.config import PlanBConfig, load_config
from warehouse.keys import ScoringKey


class PlanBResource(dg.ConfigurableResource):
    """Plan B's configuration file, validated on load (``scoring.config``)."""

    config_path: str | None = Field(
        default=None,
        description="YAML config file; unset: $PLANB_CONFIG, else ./planb.yaml, else the embedded default",
    )
    data_dir: str | None = Field(
        default=None, description="overrides the config's data_dir (warehouse and snapshot folder)"
    )

    def load(self) -> PlanBConfig:
        return load_config(self.config_path, data_dir=self.data_dir)


def partition_day(context: dg.AssetExecutionContext) -> date:
    """The UTC day a daily asset runs for (partitions: assets.partitions)."""
    return date.fromisoformat(context.partition_key)


def scoring_key(cfg: PlanBConfig) -> ScoringKey:
    """The configured small and large model keys with the configured rule's scoring_version: the
    agreement rows every step reads and writes."""
    return ScoringKey(cfg.models["small"].model_key, cfg.models["large"].model_key, current_scoring_version(cfg))
