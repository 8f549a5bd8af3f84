"""The one resource every asset uses, Plan B's validated configuration, and what the config gives
the stages that the warehouse runs (it reads no config): the scoring key, the ingest settings."""

from datetime import date

import dagster as dg
from pydantic import Field

from scoring.agreement.rule import current_scoring_version
from scoring.config import PlanBConfig, load_config
from warehouse.db import writer
from warehouse.ingestion import FileReport, IngestSettings, ingest_paths
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


def ingest_settings(cfg: PlanBConfig, *, undated_day: date | None = None) -> IngestSettings:
    """The config's ingest section as ingestion's settings; ``undated_day`` (``--day``) wins over
    ``ingest.undated_day``."""
    return IngestSettings(salt=cfg.user_salt, max_field_chars=cfg.ingest.max_field_chars,
                          raw_chars=cfg.ingest.raw_chars, context_turns=cfg.ingest.context_turns,
                          memory_limit=cfg.ingest.memory_limit, earliest_day=cfg.ingest.earliest_day,
                          undated_day=undated_day or cfg.ingest.undated_day)


def ingest_landing(cfg: PlanBConfig, progress=None) -> list[FileReport]:
    """Ingest the landing folder's files not ingested before (all their days); ``progress`` gets a
    line per batch of files."""
    with writer(cfg.data_dir) as con:
        return ingest_paths(con, [str(cfg.landing_dir)], ingest_settings(cfg), fmt=cfg.ingest.format,
                            progress=progress)
