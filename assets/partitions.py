"""Daily partitions by UTC day of the logged request, from the config's first_day."""

import dagster as dg

from scoring.config import load_config

daily_partitions = dg.DailyPartitionsDefinition(start_date=load_config(None).first_day.isoformat())
