"""Plan B's code location on the one-machine platform (deploy/platform/stack.py serves it with
`dagster api grpc`): the same assets, checks, jobs, schedule and sensor as assets/definitions.py,
run by the multiprocess executor (each step a process of its own), with the config the stack
writes ($PLANB_CONFIG: both models behind OpenAI-compatible servers, so a step loads no model).
"""

import os

import dagster as dg

from assets.definitions import build_definitions

# Steps of one run at once. The gpu and duckdb_writer pools still hold across every run.
MAX_STEPS = int(os.environ.get("PLANB_MAX_STEPS", "2"))
# Each step forks from a server process that imported Plan B's modules once, instead of a fresh
# interpreter importing Dagster, polars and torch again (seconds per step on a small machine).
START_METHOD = {"forkserver": {"preload_modules": ["dagster", "assets.definitions"]}}


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(executor=dg.multiprocess_executor.configured(
        {"max_concurrent": MAX_STEPS, "start_method": START_METHOD}))
