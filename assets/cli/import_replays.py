"""`planb import-replays FILE`: analyse replay results made elsewhere (a published router
dataset, a replay run on another system) with the same routers and projection as the pipeline.

    planb import-replays routerbench_sample.parquet --name routerbench

The table's columns are documented in scoring/replay/imported.py and docs/OWN_DATA.md; every value is
checked first, and a bad one stops the import with one line naming row, column and value.
Imported quality scores or correctness, when given, are the quality, and the answers' text is
not scored at all (nothing uses it); without them agreement of the two answers, scored with the
configured rule (without the judge), is the quality. Costs come from the table's
``small_dollars`` / ``large_dollars`` when given, else from the token counts and the cost models
of the configured small and large models (unknown without either). The rows go to
routing_projection and router_metrics under ``dataset = NAME`` (replacing an earlier import of
that name), up to ``import_replays.example_pairs`` of its pairs (text PII-redacted, with each
router's score) to imported_pairs for the Examples page, the snapshot is published, and the
summary printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

# The work's dependencies (polars, torch through the embedder, scikit-learn through the
# routers) are imported where used: `planb --help` and `planb sql` build this command's parser too.
if TYPE_CHECKING:
    import polars as pl

    from scoring.config import PlanBConfig

# The real pair `planb demo` imports beside its live replay of the toy pair (NOTICE beside it).
DEMO_PAIR = Path(__file__).resolve().parents[2] / "warehouse" / "sample_replays" / "mt_bench_mixtral_gpt4.parquet"
DEMO_PAIR_NAME = "mt_bench_mixtral_gpt4"


def add_parser(sub) -> None:
    cmd = sub.add_parser("import-replays", help="project routing savings for a table of replay results made elsewhere")
    cmd.add_argument("file", help="CSV, JSON lines or Parquet: request_id, prompt, small_output, large_output, ...")
    cmd.add_argument("--name", help="the dataset name its rows get (default: the file name without extension)")
    cmd.set_defaults(func=cmd_import_replays)


def import_replays(cfg: PlanBConfig, path: str | Path, name: str) -> tuple[int, list[str]]:
    """Project the table at ``path`` as dataset ``name``; returns (rows written, routers skipped)."""
    from scoring.projection.run import project_imported
    from scoring.replay.imported import ReplayImportError, checked, read_table
    from warehouse.db import publish_snapshot, writer
    from warehouse.keys import PIPELINE
    from warehouse.pipeline_queries import cost_model_fits, store_imported_pairs, store_projection

    if name == PIPELINE:
        raise ReplayImportError(f"--name {PIPELINE!r} is the pipeline's own dataset: choose another")
    try:
        raw = read_table(path)
        given, table = set(raw.columns), checked(raw, max_text_chars=cfg.import_replays.max_text_chars)
        del raw
    except ReplayImportError as err:
        raise ReplayImportError(f"{path}: {err}" if not str(err).startswith(str(path)) else str(err)) from None

    def fits() -> pl.DataFrame:  # read only when the table's tokens are to be costed
        with writer(cfg.data_dir) as con:
            return cost_model_fits(con)

    projected = project_imported(table, cfg=cfg, name=name, given=given, cost_fits=fits)
    with writer(cfg.data_dir) as con:
        store_projection(con, name, projected.projection, projected.metrics)
        store_imported_pairs(con, name, projected.pairs, [r for r in projected.pairs.columns if r in cfg.projection.routers],
                             keep=cfg.import_replays.example_pairs, seed=cfg.sample.seed)
    publish_snapshot(cfg.data_dir)
    return projected.projection.height, projected.skipped


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
