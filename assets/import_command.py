"""`planb import-replays FILE`: analyse replay results made elsewhere (a published router
dataset, a replay run on another system) with the same routers and projection as the pipeline.

    planb import-replays routerbench_sample.parquet --name routerbench

The table's columns are documented in scoring/replay_import.py and README. Agreement of the two
answers is scored with the configured rule (without the judge); imported quality scores or
correctness, when given, are the quality instead. Costs come from the token counts and the cost
models of the configured small and large models (unknown without either). The rows go to
routing_projection and router_metrics under ``dataset = NAME`` (replacing an earlier import of
that name), the snapshot is published, and the summary printed.
"""


import argparse
from pathlib import Path

import numpy as np
import polars as pl

from assets.projection import PIPELINE, latest_fit
from assets.summary import summary
from scoring.agreement_rule import rule_from_config
from scoring.agreement_scoring import score_pairs
from scoring.config import PlanBConfig, load_config
from scoring.embedding import embedder_path, load_embedder
from scoring.projection_run import project_all, with_costs
from scoring.projection_table import query_length_bucket
from scoring.query_classifier import score_queries
from scoring.replay_import import (
    TOKENS,
    ReplayImportError,
    checked,
    quality_columns,
    read_table,
)
from scoring.routers import score_requests
from warehouse.db import publish_snapshot, read_frame, replace_rows, writer


def add_parser(sub) -> None:
    cmd = sub.add_parser("import-replays", help="project routing savings for a table of replay results made elsewhere")
    cmd.add_argument("file", help="CSV, JSON lines or Parquet: request_id, prompt, small_output, large_output, ...")
    cmd.add_argument("--name", help="the dataset name its rows get (default: the file name without extension)")
    cmd.set_defaults(func=cmd_import_replays)


def _router_scores(cfg: PlanBConfig, sample: pl.DataFrame, embedder) -> tuple[dict, dict, list[str]]:
    """Scores and own seconds per request of each configured router that the table allows."""
    frame = sample.select("request_id", pl.col("prompt").alias("query"),
                          pl.col("label").alias("agree"),  # what the oracle knows, the classifier learns
                          *([pl.col("small_mean_logprob").cast(pl.Float64)] if "small_mean_logprob" in sample.columns else []))
    scores, seconds, skipped = {}, {}, []
    for router in cfg.projection.routers:
        if router == "small_confidence" and "small_mean_logprob" not in frame.columns:
            skipped.append("small_confidence (no small_mean_logprob column)")
        elif router == "query_classifier":
            result = score_queries(frame["query"].to_list(), frame["agree"].to_numpy(), embedder=embedder,
                                   folds=cfg.projection.classifier_folds, seed=cfg.projection.seed)
            scores[router], seconds[router] = result.scores, result.seconds_per_request
        else:
            scores[router] = score_requests(router, frame, seed=cfg.projection.seed)
    return scores, seconds, skipped


def import_replays(cfg: PlanBConfig, path: str | Path, name: str) -> tuple[int, list[str]]:
    """Project the table at ``path`` as dataset ``name``; returns (rows written, routers skipped)."""
    if name == PIPELINE:
        raise ReplayImportError(f"--name {PIPELINE!r} is the pipeline's own dataset: choose another")
    table = checked(read_table(path))
    embedder = load_embedder(embedder_path(cfg.agreement.embedding_model), cfg.agreement.embedding_device)
    agree = score_pairs(table["small_output"].to_list(), table["large_output"].to_list(), embedder=embedder,
                        rule=rule_from_config(cfg.agreement), questions=table["prompt"].to_list())["agree"]
    measure, sample = quality_columns(table, np.array(agree))
    words = sample["prompt"].str.count_matches(r"\S+").to_numpy()
    sample = sample.with_columns(
        *[(pl.col(c).cast(pl.String) if c in sample.columns else pl.lit(None, dtype=pl.String)).alias(c)
          for c in ("surface", "mode", "language")],
        pl.Series("query_length", query_length_bucket(words)),
    )
    scores, router_seconds, skipped = _router_scores(cfg, sample, embedder)
    fits: dict[str, dict | None] = {"small": None, "large": None}
    if all(c in sample.columns for c in TOKENS):
        with writer(cfg.data_dir) as con:
            known = read_frame(con, "SELECT * FROM cost_models")
        fits = {role: latest_fit(known, spec.model_key) for role, spec in cfg.models.items()}
    else:
        sample = sample.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in TOKENS)
    sample, costing = with_costs(sample, fits, cfg)
    projection, metrics = project_all(sample, scores, router_seconds, cfg=cfg, costing=costing,
                                      days=sample["day"].n_unique(), dataset=name, quality_measure=measure)
    with writer(cfg.data_dir) as con:
        replace_rows(con, "routing_projection", projection, "dataset = ?", [name])
        replace_rows(con, "router_metrics", metrics, "dataset = ?", [name])
    publish_snapshot(cfg.data_dir)
    return projection.height, skipped


def cmd_import_replays(args: argparse.Namespace) -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a summary, not progress bars
    cfg = load_config(args.config, data_dir=args.data_dir)
    name = args.name or Path(args.file).stem
    rows, skipped = import_replays(cfg, args.file, name)
    print(f"import-replays: {args.file} projected as dataset {name!r} ({rows} routing_projection rows)"
          + (f"; skipped: {', '.join(skipped)}" if skipped else ""))
    print(summary(cfg, dataset=name))
