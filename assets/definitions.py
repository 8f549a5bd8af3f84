"""The Dagster code location: ``defs`` (loaded by workspace.yaml), built when Dagster loads it from
the config it finds then ($PLANB_CONFIG, else ./planb.yaml, else the embedded default)."""

from __future__ import annotations

import dagster as dg

from assets import agreement, ingest, projection, publish, replay, review, routing
from assets.partitions import partitioned
from assets.resources import PlanBResource
from assets.schedules import nightly_schedule

# The stages in flow order, each module with its assets and the checks that guard them.
STAGES = [ingest, replay, agreement, routing, review, projection, publish]
CHECKS = [check for stage in STAGES for check in stage.CHECKS]
DAILY_ASSETS = [ingest.chat_logs, replay.replay_sample, replay.small_replays, replay.large_replays,
                agreement.agreement, routing.router_scores]
WINDOW_ASSETS = [projection.cost_models, routing.query_classifier_scores, review.review_sample, review.reviews,
                 projection.routing_projection,
                 publish.published_snapshot, agreement.agreement_validation]

# One day's partition of every per-day stage: ingest, sample, replay, score. The jobs take their
# partitions from the assets they select, bound to the config's days in build_definitions.
daily_job = dg.define_asset_job("planb_daily", selection=dg.AssetSelection.assets(*DAILY_ASSETS))
# The whole window: fit the cost model, train the query classifier, draw the review sample and read
# the reviews in, project, publish the snapshot;
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
        assets=[ingest.landing_files, *partitioned(DAILY_ASSETS, cfg), *WINDOW_ASSETS],
        asset_checks=CHECKS,
        jobs=[daily_job, window_job, nightly_job, ingest.ingest_job],
        schedules=[nightly_schedule(nightly_job, cfg.schedule)],
        sensors=[ingest.landing_sensor],
        resources={"planb": planb},
        executor=executor,  # in-process by default: models load once per run, not once per step
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What workspace.yaml loads: read the config only now, not when this module is imported."""
    return build_definitions()
