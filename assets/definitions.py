"""The Dagster code location: ``defs`` (loaded by workspace.yaml)."""

from __future__ import annotations

import dagster as dg

from assets.agreement_validation import agreement_validation
from assets.ingestion import chat_logs, ingest_job, landing_files, landing_sensor
from assets.partitions import daily_partitions
from assets.projection import cost_models, published_snapshot, routing_projection
from assets.query_classifier import query_classifier_scores
from assets.replay import large_replays, replay_sample, small_replays
from assets.resources import PlanBResource
from assets.scoring_assets import agreement, router_scores

DAILY_ASSETS = [chat_logs, replay_sample, small_replays, large_replays, agreement, router_scores]
WINDOW_ASSETS = [cost_models, query_classifier_scores, routing_projection, published_snapshot, agreement_validation]

# One day's partition of every per-day stage: ingest, sample, replay, score.
daily_job = dg.define_asset_job(
    "planb_daily", selection=dg.AssetSelection.assets(*DAILY_ASSETS), partitions_def=daily_partitions
)
# The whole window: fit the cost model, train the query classifier, project, publish the snapshot;
# check the agree label.
window_job = dg.define_asset_job("planb_window", selection=dg.AssetSelection.assets(*WINDOW_ASSETS))


def build_definitions(planb: PlanBResource | None = None) -> dg.Definitions:
    """Definitions bound to a configuration (tests pass their own data folder)."""
    return dg.Definitions(
        assets=[landing_files, *DAILY_ASSETS, *WINDOW_ASSETS],
        jobs=[daily_job, window_job, ingest_job],
        sensors=[landing_sensor],
        resources={"planb": planb or PlanBResource()},
        executor=dg.in_process_executor,  # models load once per run, not once per step
    )


defs = build_definitions()
