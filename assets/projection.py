"""cost_models, routing_projection and the published snapshot: the whole window at once."""

from datetime import datetime, timezone

import dagster as dg
import numpy as np
import polars as pl

from assets.metadata import markdown_preview
from assets.resources import PlanBResource
from scoring.agreement_rule import current_scoring_version
from scoring.config import ModelSpec
from scoring.cost_model import fit_cost_model
from scoring.projection import Pricing, project_router
from scoring.routers import ROUTERS
from warehouse import pipeline_queries as q
from warehouse.db import publish_snapshot, read_frame, replace_rows, writer


@dg.asset(deps=["small_replays", "large_replays"], group_name="project", kinds={"duckdb"})
def cost_models(planb: PlanBResource) -> dg.MaterializeResult:
    """Device-seconds per request, prompt token and output token for each model, fitted on
    every replay batch (non-negative least squares), with R^2. Rows measured by
    `planb calibrate-gpu` (source 'calibrate-gpu') are kept as they are."""
    cfg = planb.load()
    rows = []
    with writer(cfg.data_dir) as con:
        for role, spec in cfg.models.items():
            batches = q.batches(con, spec.model_key)
            for (device,), group in batches.group_by("device"):
                fit = fit_cost_model(group)
                rows.append({
                    "model_key": spec.model_key, "role": role, "device": device,
                    "seconds_per_request": fit.seconds_per_request,
                    "seconds_per_prompt_token": fit.seconds_per_prompt_token,
                    "seconds_per_output_token": fit.seconds_per_output_token,
                    "r2": fit.r2, "n_batches": fit.n_batches,
                    "fitted_at": datetime.now(timezone.utc).replace(tzinfo=None), "source": "replay",
                })
        replace_rows(con, "cost_models", pl.DataFrame(rows), "source = 'replay'", [])
        table = read_frame(con, "SELECT * EXCLUDE (fitted_at, detail) FROM cost_models ORDER BY role, source")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": table.height, "preview": markdown_preview(table)}
    )


def cost_fit(fits: pl.DataFrame, spec: ModelSpec) -> dict:
    """The cost model of a model config: fitted on its replays, else the latest one
    `planb calibrate-gpu` measured for its key (the only kind a logged model can have)."""
    mine = fits.filter(pl.col("model_key") == spec.model_key)
    for source in ("replay", "calibrate-gpu"):
        rows = mine.filter(pl.col("source") == source).sort("fitted_at", descending=True)
        if rows.height:
            return rows.row(0, named=True)
    how = ("replay nothing (backend logged)" if spec.backend == "logged"
           else "have no replay batches")
    raise dg.Failure(
        f"no cost model for the {spec.role} model {spec.name} (model_key {spec.model_key}): its "
        f"replays {how}; measure one with `planb calibrate-gpu CONFIG.json --role {spec.role}`"
    )


def _request_seconds(inputs: pl.DataFrame, fit: dict, role: str) -> np.ndarray:
    return (fit["seconds_per_request"]
            + fit["seconds_per_prompt_token"] * inputs[f"{role}_prompt_tokens"].to_numpy()
            + fit["seconds_per_output_token"] * inputs[f"{role}_output_tokens"].to_numpy())


@dg.asset(deps=["router_scores", "cost_models"], group_name="project", kinds={"duckdb"})
def routing_projection(planb: PlanBResource) -> dg.MaterializeResult:
    """Per router x threshold: share routed small, agreement and unchanged share, device-hours
    and dollars saved for the whole logged population, each with a 95% bootstrap interval."""
    cfg = planb.load()
    small_key, large_key = cfg.models["small"].model_key, cfg.models["large"].model_key
    with writer(cfg.data_dir) as con:
        inputs = q.projection_inputs(con, small_key, large_key, current_scoring_version(cfg))
        days = q.population_days(con)
        fits = read_frame(con, "SELECT * FROM cost_models")
    if inputs.is_empty():
        raise dg.Failure("no scored sample to project: materialize the daily assets first")
    fit = {role: cost_fit(fits, spec) for role, spec in cfg.models.items()}
    device = " + ".join(sorted({f["device"] for f in fit.values()}))
    price = cfg.pricing.dollars_per_hour[cfg.pricing.device]
    thresholds = np.linspace(0.0, 1.0, cfg.projection.thresholds)
    tables = []
    for router in cfg.projection.routers:
        sample = inputs.filter(pl.col("router") == router)
        sample = sample.with_columns(
            pl.Series("small_seconds", _request_seconds(sample, fit["small"], "small")),
            pl.Series("large_seconds", _request_seconds(sample, fit["large"], "large")),
        )
        table = project_router(
            sample, sample["score"].to_numpy(), thresholds=thresholds,
            cascade=ROUTERS[router].cascade, days=days,
            pricing=Pricing(price, cfg.pricing.utilisation),
            replicates=cfg.projection.bootstrap, seed=cfg.projection.seed,
        )
        tables.append(table.with_columns(
            pl.lit(router).alias("router"), pl.lit(device).alias("device"),
            pl.lit(price).alias("dollars_per_gpu_hour"), pl.lit(cfg.pricing.utilisation).alias("utilisation"),
        ))
    projection = pl.concat(tables)
    with writer(cfg.data_dir) as con:
        replace_rows(con, "routing_projection", projection, "true", [])
    mid = projection.filter(pl.col("threshold").is_between(0.495, 0.505))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": projection.height,
            "sampled_requests": int(projection["n_sample"][0]),
            "preview_at_0.5": markdown_preview(
                mid.select("router", "share_small", "agreement_small", "gpu_hours_saved_per_day",
                           "dollars_saved_per_year")),
        }
    )


@dg.asset(deps=["routing_projection"], group_name="project", kinds={"duckdb"})
def published_snapshot(planb: PlanBResource) -> dg.MaterializeResult:
    """The read-only copy of the warehouse that the dashboard and `planb sql` open."""
    cfg = planb.load()
    path = publish_snapshot(cfg.data_dir)
    return dg.MaterializeResult(metadata={"path": str(path.resolve()),
                                          "bytes": path.stat().st_size})
