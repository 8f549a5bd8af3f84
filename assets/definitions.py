"""The Dagster code location: ``defs`` (loaded by workspace.yaml), built when Dagster loads it from
the config it finds then ($PLANB_CONFIG, else ./planb.yaml, else the embedded default)."""

from __future__ import annotations

import dagster as dg

from assets.agreement_validation import agreement_validation
from assets.alerts import week_over_week_drift
from assets.checks import DAILY_CHECKS
from assets.ingestion import chat_logs, ingest_job, landing_files, landing_sensor
from assets.partitions import partitioned
from assets.projection import cost_models, published_snapshot, routing_projection
from assets.query_classifier import query_classifier_scores
from assets.replay import large_replays, replay_sample, small_replays
from assets.resources import PlanBResource
from assets.schedules import nightly_schedule
from assets.scoring_assets import agreement, router_scores
from assets.window_checks import WINDOW_CHECKS

DAILY_ASSETS = [chat_logs, replay_sample, small_replays, large_replays, agreement, router_scores]
WINDOW_ASSETS = [cost_models, query_classifier_scores, routing_projection, published_snapshot, agreement_validation]

# One day's partition of every per-day stage: ingest, sample, replay, score. The jobs take their
# partitions from the assets they select, bound to the config's days in build_definitions.
daily_job = dg.define_asset_job("planb_daily", selection=dg.AssetSelection.assets(*DAILY_ASSETS))
# The whole window: fit the cost model, train the query classifier, project, publish the snapshot;
# check the agree label.
window_job = dg.define_asset_job("planb_window", selection=dg.AssetSelection.assets(*WINDOW_ASSETS))
# Both for one day: what the nightly schedule runs for yesterday. A UI backfill of it over many
# days runs each day's stages, then the window assets once, after the last day.
nightly_job = dg.define_asset_job("planb_nightly", selection=dg.AssetSelection.assets(*DAILY_ASSETS, *WINDOW_ASSETS))


def build_definitions(planb: PlanBResource | None = None, *,
                      executor: dg.ExecutorDefinition = dg.in_process_executor) -> dg.Definitions:
    """Definitions for one configuration, which gives the daily partitions, the schedule's time
    and the resource (default: $PLANB_CONFIG, else ./planb.yaml, else the embedded default; tests
    pass their own data folder), and an executor (deploy/k8s/definitions.py: a pod per step)."""
    planb = planb or PlanBResource()
    cfg = planb.load()
    return dg.Definitions(
        assets=[landing_files, *partitioned(DAILY_ASSETS, cfg), *WINDOW_ASSETS],
        asset_checks=[*DAILY_CHECKS, *WINDOW_CHECKS, week_over_week_drift],
        jobs=[daily_job, window_job, nightly_job, ingest_job],
        schedules=[nightly_schedule(nightly_job, cfg.schedule)],
        sensors=[landing_sensor],
        resources={"planb": planb},
        executor=executor,  # in-process by default: models load once per run, not once per step
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What workspace.yaml loads: read the config only now, not when this module is imported."""
    return build_definitions()
