"""From a scored, weighted sample to the routing_projection and router_metrics rows of every
router: request costs from the cost models and the price table, the window's bootstrap (shared
by all routers), each router's threshold sweep. Used by the pipeline and by
`planb import-replays` alike, so both are one projection.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from scoring.config import PlanBConfig
from scoring.costs.model import ServingCharge, serving_charge
from scoring.costs.pricing import (
    DeviceRate,
    device_rate,
    hosted_dollars,
    price_note,
    request_dollars,
)
from scoring.projection.intervals import bootstrap_counts
from scoring.projection.sweep import replicate_weights
from scoring.projection.table import (
    SEGMENTS,
    Sweep,
    gate_measure,
    project_router,
    query_length_bucket,
    sweep_thresholds,
)
from scoring.projection.token_prices import fitted_prices
from scoring.replay.imported import DOLLARS, QUALITY_PAIRS, TOKENS
from scoring.routing.routers import ROUTERS, score_routers

IMPORTED_COSTS = "dollars: each request's small_dollars and large_dollars from the table; device-hours unknown"


@dataclass(frozen=True)
class Costing:
    """What the dollars rest on: the measured devices and their prices."""

    device: str | None  # the devices the costs were measured on, joined by ' + '
    dollars_per_gpu_hour: float | None  # the price, when every device has the same one
    rank_by: str  # dollars, gpu_hours or share_small (see scoring.projection.table.Sweep)
    note: str | None
    router_rate: DeviceRate | None  # routers run beside the small model: its device's price
    basis: str | None = None  # per role, the batch size output tokens are charged at (serving_charge)
    # Dollars per million tokens of scoring.projection.token_prices.TOKEN_COLUMNS the dollars were
    # computed at, None for a model not priced per token; None: no model is (nothing to reprice).
    token_prices: tuple[float | None, ...] | None = None


def _seconds(sample: pl.DataFrame, fit: dict | None, charge: ServingCharge | None, role: str) -> np.ndarray:
    if fit is None or charge is None:  # no cost model: costs unknown, every cost figure NULL
        return np.full(sample.height, np.nan)
    prompt = sample[f"{role}_prompt_tokens"].cast(pl.Float64).fill_null(0.0).to_numpy()
    output = sample[f"{role}_output_tokens"].cast(pl.Float64).fill_null(0.0).to_numpy()
    return (fit["seconds_per_request"] + fit["seconds_per_prompt_token"] * prompt
            + charge.seconds_per_output_token * output)


def _basis(charges: dict[str, ServingCharge], *, large_hosted: bool) -> str | None:
    said = {role: charge.basis for role, charge in charges.items()}
    if large_hosted:
        said["large"] = "priced per token (hosted)"
    return "; ".join(f"{role}: {said[role]}" for role in ("small", "large") if role in said) or None


def with_costs(sample: pl.DataFrame, fits: dict[str, dict | None], cfg: PlanBConfig) -> tuple[pl.DataFrame, Costing]:
    """``sample`` with each request's device-seconds and dollars on the small and the large
    model; ``fits`` maps small / large to a cost_models row (or None when there is none)."""
    pricing = cfg.pricing
    # Production serves each model at its own batch size, not the replay's (pricing.serving_batch_size).
    charges = {role: serving_charge(fit, pricing.serving_batch_size.get(role))
               for role, fit in fits.items() if fit is not None}
    seconds = {role: _seconds(sample, fits.get(role), charges.get(role), role) for role in ("small", "large")}
    rates = {role: device_rate(pricing, fit["device"]) for role, fit in fits.items() if fit is not None}
    dollars = {role: request_dollars(seconds[role], rates[role], pricing.utilisation) if role in rates
               else np.full(sample.height, np.nan) for role in ("small", "large")}
    if pricing.large_hosted:  # the provider's GPUs: tokens are what we pay for
        dollars["large"] = hosted_dollars(sample["large_prompt_tokens"].fill_null(0).to_numpy(),
                                          sample["large_output_tokens"].fill_null(0).to_numpy(), pricing)
        seconds["large"] = np.zeros(sample.height)
        rates.pop("large", None)
    prices = {r.dollars_per_gpu_hour for r in rates.values()}
    hosted_free = pricing.large_hosted and max(pricing.hosted_large_price.input_dollars_per_million,
                                               pricing.hosted_large_price.output_dollars_per_million) == 0
    if len(rates) < 2 - pricing.large_hosted:
        rank_by = "share_small"
    elif None in prices or 0 in prices or hosted_free:
        rank_by = "gpu_hours"
    else:
        rank_by = "dollars"
    note = price_note(rates.values(), pricing)
    if rank_by == "share_small":
        note = "; ".join(filter(None, [note, "no cost model: costs unknown, the recommendation ranks by share routed small"]))
    costing = Costing(
        device=" + ".join(sorted({r.device for r in rates.values()})) or None,
        dollars_per_gpu_hour=prices.pop() if len(prices) == 1 else None,
        rank_by=rank_by, note=note or None, router_rate=rates.get("small"),
        basis=_basis(charges, large_hosted=pricing.large_hosted),
        token_prices=((None, None, pricing.hosted_large_price.input_dollars_per_million,
                       pricing.hosted_large_price.output_dollars_per_million) if pricing.large_hosted else None),
    )
    frame = sample.with_columns(
        pl.Series("small_seconds", seconds["small"]), pl.Series("large_seconds", seconds["large"]),
        pl.Series("small_dollars", dollars["small"]), pl.Series("large_dollars", dollars["large"]),
    )
    return frame, costing


def project_all(sample: pl.DataFrame, scores: dict[str, np.ndarray], router_seconds: dict[str, float], *,
                cfg: PlanBConfig, costing: Costing, days: int, dataset: str, quality_measure: str,
                segments: tuple[str, ...] = SEGMENTS) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(routing_projection, router_metrics) rows of every router in ``scores``.

    ``sample``: one row per sampled request with ``with_costs``' columns, weight, agree,
    quality_small, quality_large, label, day and the segment columns; ``scores[router]`` aligned
    with it; ``router_seconds[router]``: the router's own device-seconds per request.
    """
    # The sums are memory-bound: BLAS threads gain nothing and, on a loaded machine, spin against
    # each other (measured 10x slower on 2 busy cores), so one thread.
    with threadpool_limits(limits=1, user_api="blas"):
        return _project_all(sample, scores, router_seconds, cfg=cfg, costing=costing, days=days, dataset=dataset,
                            quality_measure=quality_measure, segments=segments)


def _project_all(sample, scores, router_seconds, *, cfg, costing, days, dataset, quality_measure, segments):
    settings = cfg.projection
    counts = bootstrap_counts(sample["day"].cast(pl.String).to_numpy(), settings.bootstrap, settings.seed)
    weights = replicate_weights(sample["weight"].to_numpy(), counts)
    del counts
    utilisation = cfg.pricing.utilisation
    tables, summaries = [], []
    for router, router_scores in scores.items():
        per_request = router_seconds.get(router, 0.0)
        router_dollars = (np.full(sample.height, np.nan) if costing.router_rate is None
                          else request_dollars(np.full(sample.height, per_request), costing.router_rate, utilisation))
        part = sample.with_columns(pl.lit(per_request, dtype=pl.Float64).alias("router_seconds"),
                                   pl.Series("router_dollars", router_dollars))
        thresholds, source = sweep_thresholds(settings.thresholds, router_scores, every_level=ROUTERS[router].every_level)
        sweep = Sweep(thresholds, source, ROUTERS[router].cascade, days, settings.min_sample_for_interval,
                      settings.agreement_target, costing.rank_by, quality_measure == "agreement",
                      costing.token_prices)
        table, summary = project_router(part, router_scores, weights, sweep, segments=segments)
        tables.append(table.with_columns(
            pl.lit(dataset).alias("dataset"), pl.lit(router).alias("router"),
            pl.lit(costing.device, dtype=pl.String).alias("device"),
            pl.lit(costing.dollars_per_gpu_hour, dtype=pl.Float64).alias("dollars_per_gpu_hour"),
            pl.lit(utilisation).alias("utilisation"), pl.lit(costing.note, dtype=pl.String).alias("price_note"),
            pl.lit(cfg.pricing.large_hosted).alias("large_hosted"),
            pl.lit(costing.basis, dtype=pl.String).alias("cost_basis"),
        ))
        summaries.append(summary.with_columns(
            pl.lit(dataset).alias("dataset"), pl.lit(router).alias("router"),
            pl.lit(ROUTERS[router].cascade).alias("cascade"), pl.lit(quality_measure).alias("quality_measure"),
            pl.lit(gate_measure(quality_measure)).alias("gate_measure"),
            pl.lit(settings.agreement_target).alias("agreement_target"),
            pl.lit(per_request, dtype=pl.Float64).alias("router_seconds_per_request"),
            pl.concat_str([pl.col("note"), pl.lit(costing.note, dtype=pl.String)], separator="; ",
                          ignore_nulls=True).alias("note"),
        ))
    return pl.concat(tables, how="diagonal_relaxed"), pl.concat(summaries, how="diagonal_relaxed")


def _query_lengths(queries: pl.Series) -> pl.Series:
    return pl.Series("query_length", query_length_bucket(queries.fill_null("").str.count_matches(r"\S+").to_numpy()))


def window_sample(inputs: pl.DataFrame, segments: pl.DataFrame,
                  reviews: pl.DataFrame | None = None) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """The pipeline's scored sample (``inputs``: one row per request and router, with its score)
    as one row per request (quality = agreement) with its segments, and each router's scores
    aligned with those rows. ``reviews`` (warehouse.review_queries.review_labels): each request's
    human ``review_parity`` and ``review_inclusion`` (the review sample's inclusion probability,
    given the request was replayed; null when not drawn for review)."""
    wide = inputs.pivot(on="router", index=["day", "request_id"], values="score")
    if reviews is None:
        reviews = pl.DataFrame(schema={"request_id": pl.String, "review_parity": pl.Float64,
                                       "review_inclusion": pl.Float64})
    sample = (
        inputs.unique(["day", "request_id"]).drop("router", "score")
        .join(segments, on=["day", "request_id"], how="left")
        .join(wide, on=["day", "request_id"], how="left")
        .join(reviews.select("request_id", "review_parity", "review_inclusion"), on="request_id", how="left")
        .sort("day", "request_id")
    )
    routers = inputs["router"].unique().to_list()
    scores = {r: sample[r].fill_null(0.0).to_numpy() for r in routers}
    agree = pl.col("agree").cast(pl.Float64)
    sample = sample.drop(routers).with_columns(
        quality_small=agree, quality_large=pl.lit(1.0), label=pl.col("agree"),
        query_length=_query_lengths(sample["query"]), day=pl.col("day").cast(pl.String),
    ).with_columns(agree=agree)
    return sample, scores


def project_window(inputs: pl.DataFrame, segments: pl.DataFrame, *, cfg: PlanBConfig, fits: dict[str, dict],
                   router_seconds: dict[str, float], days: int, dataset: str,
                   reviews: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(routing_projection, router_metrics) of the pipeline's window: its scored sample
    (``window_sample``, with ``reviews``' labels) costed with the cost models ``fits`` (per role) and projected."""
    sample, scores = window_sample(inputs, segments, reviews)
    sample, costing = with_costs(sample, fits, cfg)
    return project_all(sample, scores, router_seconds, cfg=cfg, costing=costing, days=days, dataset=dataset,
                       quality_measure="agreement")


@dataclass(frozen=True)
class ImportedProjection:
    projection: pl.DataFrame  # routing_projection rows
    metrics: pl.DataFrame  # router_metrics rows
    skipped: list[str]  # configured routers the table has no columns for, with the reason
    pairs: pl.DataFrame  # each pair as imported_pairs keeps it, with a column of each router's score


def project_imported(table: pl.DataFrame, *, cfg: PlanBConfig, name: str, given: set[str],
                     cost_fits: Callable[[], pl.DataFrame], stand_in_reviews: int = 0) -> ImportedProjection:
    """The projection of an imported replay table (``scoring.replay.imported.checked``; ``given``:
    the columns the file had) as dataset ``name``. Quality: the imported scores or correctness,
    else the configured rule's agreement of the two answers (without the judge), with the
    predictor's p_parity. Costs: the table's dollars, else its tokens x the configured models'
    cost models (``cost_fits()``, read only then), else unknown.

    ``stand_in_reviews`` (N > 0; the table must have quality): the demo of the review loop on real
    answers. The table's quality is set aside as the truth, N pairs drawn at random (seeded) have it
    as their review (parity: the small answer at least as good), and the projection is made as a
    team without a judge would have it: the rule's labels and the predictor on every pair,
    corrected by those N "reviews" (scoring.quality.ppi), its kept_source saying they stand in."""
    from scoring.agreement.table import score_pair_table
    from scoring.replay.imported import SEGMENT_COLUMNS, quality_columns, quality_measure

    reviews = None
    if stand_in_reviews:
        table, reviews = _stand_in_reviews(table, stand_in_reviews, cfg.sample.seed)
        given = given - {c for pair in QUALITY_PAIRS for c in pair}
    agree = p_parity = None
    if quality_measure(table) is None:  # with imported quality the text agreement is not scored at all
        pairs = table.select("request_id", pl.col("prompt").alias("question"),
                             pl.col("small_output").alias("small_answer"), pl.col("large_output").alias("large_answer"))
        scored = score_pair_table(pairs, cfg, judge=False).table
        agree, p_parity = scored["agree"], scored["p_parity"]
    measure, sample = quality_columns(table, agree)
    if p_parity is not None:
        sample = sample.with_columns(pl.Series("p_parity", p_parity, dtype=pl.Float64))
    if reviews is not None:
        sample = sample.join(reviews, on="request_id", how="left")
    sample = sample.with_columns(
        *[pl.lit(None, dtype=pl.String).alias(c) for c in SEGMENT_COLUMNS if c not in sample.columns],
        _query_lengths(sample["prompt"]),
    )
    routed = score_routers(sample.with_columns(pl.col("prompt").alias("query")), cfg)
    sample, costing = _imported_costs(sample, cfg, cost_fits, embedding=any(ROUTERS[r].trained for r in routed.runs))
    # A segment column the table lacks would be one segment, "unknown", the whole window again.
    segments = tuple(s for s in SEGMENTS if s == "query_length" or s in given)
    projection, metrics = project_all(sample, routed.scores, routed.seconds, cfg=cfg, costing=costing,
                                      days=sample["day"].n_unique(), dataset=name, quality_measure=measure,
                                      segments=segments)
    if costing.note == IMPORTED_COSTS:  # dollars as given: the dashboard does not reprice them
        projection = projection.with_columns(pl.lit(True).alias("large_hosted"))
    if reviews is not None:  # say wherever it is shown that these reviews stand in for people's
        projection = projection.with_columns(pl.col("kept_source").str.replace("reviews", "stand-in reviews"))
    pairs = sample.select("request_id", "prompt", "small_output", "large_output", "quality_small", "quality_large",
                          pl.when(pl.col("quality_small").is_not_null()).then(pl.col("label")).alias("label"),
                          *SEGMENT_COLUMNS).with_columns(pl.Series(name, scores) for name, scores in routed.scores.items())
    return ImportedProjection(projection, metrics, routed.skipped, pairs)


def _stand_in_reviews(table: pl.DataFrame, count: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the table without its quality columns, the review columns of ``count`` of its pairs drawn
    uniformly at random: review_parity from the quality set aside, review_inclusion count / n)."""
    from scoring.replay.imported import ReplayImportError, quality_columns, quality_measure

    if quality_measure(table) is None:
        raise ReplayImportError("stand-in reviews need the table's quality (small_quality and large_quality, "
                                "or small_correct and large_correct): it has neither")
    if not 0 < count <= table.height:
        raise ReplayImportError(f"stand-in reviews: {count} asked for, the table has {table.height} pairs")
    _, truth = quality_columns(table, None)
    drawn = truth.sample(count, seed=seed).select(
        "request_id", review_parity=pl.col("label").cast(pl.Float64),
        review_inclusion=pl.lit(count / table.height, dtype=pl.Float64))
    return table.drop(c for pair in QUALITY_PAIRS for c in pair if c in table.columns), drawn


def _imported_costs(sample: pl.DataFrame, cfg: PlanBConfig, cost_fits: Callable[[], pl.DataFrame], *,
                    embedding: bool) -> tuple[pl.DataFrame, Costing]:
    """Per-request seconds and dollars: the table's own dollars, or tokens x the cost models.
    ``embedding``: a router ran the sentence embedder (its device prices the routers)."""
    from scoring.agreement.embedding import resolve_device
    from scoring.costs.model import latest_fit

    if all(c in sample.columns for c in DOLLARS):
        # Routers run here, beside the import: priced as this machine's device.
        router_device = resolve_device(cfg.agreement.embedding_device) if embedding else "cpu"
        costing = Costing(device=None, dollars_per_gpu_hour=None, rank_by="dollars", note=IMPORTED_COSTS,
                          router_rate=device_rate(cfg.pricing, str(router_device)))
        unknown = pl.lit(None, dtype=pl.Float64)
        if all(c in sample.columns for c in TOKENS):
            costing = dataclasses.replace(costing, token_prices=_fitted_token_prices(sample))
        return sample.with_columns(unknown.alias("small_seconds"), unknown.alias("large_seconds"),
                                   pl.col("small_dollars"), pl.col("large_dollars")), costing
    fits: dict[str, dict | None] = {"small": None, "large": None}
    if all(c in sample.columns for c in TOKENS):
        known = cost_fits()
        fits = {role: latest_fit(known, spec.model_key) for role, spec in cfg.models.items()}
    else:
        sample = sample.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in TOKENS)
    return with_costs(sample, fits, cfg)


def _fitted_token_prices(sample: pl.DataFrame) -> tuple[float, ...] | None:
    """The per-token prices an imported table's dollars were computed at (both models'), so the
    dashboard can reprice them; None when its dollars are not tokens at one price per model."""
    prices = []
    for role in ("small", "large"):
        tokens = sample.select(f"{role}_prompt_tokens", f"{role}_output_tokens").to_numpy()
        fitted = fitted_prices(tokens, sample[f"{role}_dollars"].to_numpy())
        if fitted is None:
            return None
        prices.extend(fitted)
    return tuple(prices)
