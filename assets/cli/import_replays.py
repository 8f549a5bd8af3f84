"""`planb import-replays FILE`: analyse replay results made elsewhere (a published router
dataset, a replay run on another system) with the same routers and projection as the pipeline.

    planb import-replays routerbench_sample.parquet --name routerbench

The table's columns are documented in scoring/replay/imported.py and README; every value is
checked first, and a bad one stops the import with one line naming row, column and value.
Imported quality scores or correctness, when given, are the quality, and the answers' text is
not scored at all (nothing uses it); without them agreement of the two answers, scored with the
configured rule (without the judge), is the quality. Costs come from the table's
``small_dollars`` / ``large_dollars`` when given, else from the token counts and the cost models
of the configured small and large models (unknown without either). The rows go to
routing_projection and router_metrics under ``dataset = NAME`` (replacing an earlier import of
that name), the snapshot is published, and the summary printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

# The work's dependencies (polars, torch through the embedder, scikit-learn through the
# routers, Dagster through assets.projection) are imported where used: `planb --help` and
# `planb sql` build this command's parser too.
if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from scoring.config import PlanBConfig
    from scoring.projection.run import Costing

IMPORTED_COSTS = "dollars: each request's small_dollars and large_dollars from the table; device-hours unknown"
# The real pair `planb demo` imports beside its live replay of the toy pair (NOTICE beside it).
DEMO_PAIR = Path(__file__).resolve().parents[2] / "warehouse" / "sample_replays" / "mt_bench_mixtral_gpt4.parquet"
DEMO_PAIR_NAME = "mt_bench_mixtral_gpt4"


def add_parser(sub) -> None:
    cmd = sub.add_parser("import-replays", help="project routing savings for a table of replay results made elsewhere")
    cmd.add_argument("file", help="CSV, JSON lines or Parquet: request_id, prompt, small_output, large_output, ...")
    cmd.add_argument("--name", help="the dataset name its rows get (default: the file name without extension)")
    cmd.set_defaults(func=cmd_import_replays)


# The embedder (configured_embedder: loaded once per process) is asked for only where it is used:
# an import with imported quality and without the query classifier never loads it.
def _router_scores(cfg: PlanBConfig, sample: pl.DataFrame) -> tuple[dict, dict, list[str]]:
    """Scores and own seconds per request of each configured router that the table allows."""
    import polars as pl

    from scoring.routing.routers import score_requests

    frame = sample.select("request_id", pl.col("prompt").alias("query"),
                          "agree",  # what the classifier learns (NaN: unscored, left out of its training)
                          "quality_small", "quality_large",  # what the oracle knows
                          *([pl.col("small_mean_logprob")] if "small_mean_logprob" in sample.columns else []))
    scores, seconds, skipped = {}, {}, []
    for router in cfg.projection.routers:
        if router == "small_confidence" and "small_mean_logprob" not in frame.columns:
            skipped.append("small_confidence (no small_mean_logprob column)")
        elif router == "query_classifier":
            from scoring.agreement.embedding import configured_embedder
            from scoring.routing.query_classifier import score_queries

            result = score_queries(frame["query"].to_list(), frame["agree"].to_numpy(),
                                   embedder=configured_embedder(cfg.agreement),
                                   folds=cfg.projection.classifier_folds, seed=cfg.projection.seed)
            scores[router], seconds[router] = result.scores, result.seconds_per_request
        else:
            scores[router] = score_requests(router, frame, seed=cfg.projection.seed)
    return scores, seconds, skipped


def _text_agreement(cfg: PlanBConfig, table: pl.DataFrame) -> np.ndarray:
    """The configured rule's agree label of each pair (only when agreement is the quality)."""
    import numpy as np

    from scoring.agreement.embedding import configured_embedder
    from scoring.agreement.rule import rule_from_config
    from scoring.agreement.pairs import score_pairs

    return np.array(score_pairs(table["small_output"].to_list(), table["large_output"].to_list(),
                                embedder=configured_embedder(cfg.agreement), rule=rule_from_config(cfg.agreement),
                                questions=table["prompt"].to_list())["agree"])


def _costs(cfg: PlanBConfig, sample: pl.DataFrame) -> tuple[pl.DataFrame, Costing]:
    """Per-request seconds and dollars: the table's own dollars, or tokens x the cost models."""
    import polars as pl

    from assets.projection import latest_fit
    from scoring.agreement.embedding import resolve_device
    from scoring.costs.pricing import device_rate
    from scoring.projection.run import Costing, with_costs
    from scoring.replay.imported import DOLLARS, TOKENS
    from warehouse.db import writer
    from warehouse.pipeline_queries import cost_model_fits

    if all(c in sample.columns for c in DOLLARS):
        # Routers run here, beside the import: priced as this machine's device.
        router_device = "cpu" if "query_classifier" not in cfg.projection.routers else \
            resolve_device(cfg.agreement.embedding_device)
        costing = Costing(device=None, dollars_per_gpu_hour=None, rank_by="dollars", note=IMPORTED_COSTS,
                          router_rate=device_rate(cfg.pricing, str(router_device)))
        unknown = pl.lit(None, dtype=pl.Float64)
        return sample.with_columns(unknown.alias("small_seconds"), unknown.alias("large_seconds"),
                                   pl.col("small_dollars"), pl.col("large_dollars")), costing
    fits: dict[str, dict | None] = {"small": None, "large": None}
    if all(c in sample.columns for c in TOKENS):
        with writer(cfg.data_dir) as con:
            known = cost_model_fits(con)
        fits = {role: latest_fit(known, spec.model_key) for role, spec in cfg.models.items()}
    else:
        sample = sample.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in TOKENS)
    return with_costs(sample, fits, cfg)


def import_replays(cfg: PlanBConfig, path: str | Path, name: str) -> tuple[int, list[str]]:
    """Project the table at ``path`` as dataset ``name``; returns (rows written, routers skipped)."""
    import polars as pl

    from scoring.projection.run import project_all
    from scoring.projection.table import SEGMENTS, query_length_bucket
    from scoring.replay.imported import (
        SEGMENT_COLUMNS,
        ReplayImportError,
        checked,
        quality_columns,
        quality_measure,
        read_table,
    )
    from warehouse.db import publish_snapshot, writer
    from warehouse.keys import PIPELINE
    from warehouse.pipeline_queries import store_projection

    if name == PIPELINE:
        raise ReplayImportError(f"--name {PIPELINE!r} is the pipeline's own dataset: choose another")
    try:
        raw = read_table(path)
        given, table = set(raw.columns), checked(raw)
        del raw
    except ReplayImportError as err:
        raise ReplayImportError(f"{path}: {err}" if not str(err).startswith(str(path)) else str(err)) from None
    # With imported quality nothing reads the text agreement: it is not scored.
    agree = None if quality_measure(table) else _text_agreement(cfg, table)
    measure, sample = quality_columns(table, agree)
    words = sample["prompt"].str.count_matches(r"\S+").to_numpy()
    sample = sample.with_columns(
        *[pl.lit(None, dtype=pl.String).alias(c) for c in SEGMENT_COLUMNS if c not in sample.columns],
        pl.Series("query_length", query_length_bucket(words)),
    )
    scores, router_seconds, skipped = _router_scores(cfg, sample)
    sample, costing = _costs(cfg, sample)
    # A segment column the table lacks would be one segment, "unknown", the whole window again.
    segments = tuple(s for s in SEGMENTS if s == "query_length" or s in given)
    projection, metrics = project_all(sample, scores, router_seconds, cfg=cfg, costing=costing,
                                      days=sample["day"].n_unique(), dataset=name, quality_measure=measure,
                                      segments=segments)
    if costing.note == IMPORTED_COSTS:  # dollars as given: the dashboard does not reprice them
        projection = projection.with_columns(pl.lit(True).alias("large_hosted"))
    with writer(cfg.data_dir) as con:
        store_projection(con, name, projection, metrics)
    publish_snapshot(cfg.data_dir)
    return projection.height, skipped


def import_demo_pair(cfg: PlanBConfig) -> str:
    """Import the bundled real pair as dataset DEMO_PAIR_NAME; its summary, headed by what it is.

    Example:
        >>> print(import_demo_pair(load_config(None)))  # doctest: +SKIP
        Imported real pair (dataset 'mt_bench_mixtral_gpt4'): ...
    """
    from assets.cli.summary import summary

    rows, skipped = import_replays(cfg, DEMO_PAIR, DEMO_PAIR_NAME)
    heading = (f"Imported real pair (dataset {DEMO_PAIR_NAME!r}, {rows} routing_projection rows): MT-Bench's 80 "
               "questions x 2 turns answered by Mixtral-8x7B-Instruct (small) and GPT-4-1106-preview (large), "
               "quality = GPT-4's 1-10 grade / 10, dollars = each answer's tokens at API list prices "
               "(warehouse/sample_replays/NOTICE)" + (f"; skipped: {', '.join(skipped)}" if skipped else "") + ".")
    return f"{heading}\n{summary(cfg, dataset=DEMO_PAIR_NAME)}"


def cmd_import_replays(args: argparse.Namespace) -> None:
    from transformers.utils import logging as hf_logging

    from assets.cli.summary import summary
    from scoring.config import load_config

    hf_logging.disable_progress_bar()  # a summary, not progress bars
    cfg = load_config(args.config, data_dir=args.data_dir)
    name = args.name or Path(args.file).stem
    rows, skipped = import_replays(cfg, args.file, name)
    print(f"import-replays: {args.file} projected as dataset {name!r} ({rows} routing_projection rows)"
          + (f"; skipped: {', '.join(skipped)}" if skipped else ""))
    print(summary(cfg, dataset=name))
