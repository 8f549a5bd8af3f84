"""The nightly schedule: yesterday's partition of planb_nightly (ingest, sample, replay, score,
then cost models, projection and publish), at the config's `schedule` time, UTC."""

import dagster as dg

from scoring.config import ScheduleConfig


def nightly_schedule(job, when: ScheduleConfig) -> dg.ScheduleDefinition:
    """A schedule built from the daily-partitioned ``job``: each run targets the last complete
    day (yesterday, UTC), at ``when``. Stopped until turned on (UI: Automation, or `dagster
    schedule start`), so a fresh install does not replay yesterday's empty partition of the demo log."""
    return dg.build_schedule_from_partitioned_job(
        # The time zone is the partitions' (UTC days).
        job, name="planb_nightly_schedule", hour_of_day=when.hour, minute_of_hour=when.minute,
        description="every night: yesterday's logs through every stage, then the window's projection "
        "and the published snapshot",
    )
