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
    from scoring.projection.run import ImportedProjection

# The real pair `planb demo` imports beside its live replay of the toy pair (NOTICE beside it).
DEMO_PAIR = Path(__file__).resolve().parents[2] / "warehouse" / "sample_replays" / "mt_bench_mixtral_gpt4.parquet"
DEMO_PAIR_NAME = "mt_bench_mixtral_gpt4"


# The review loop on the real pair: this many of its pairs have GPT-4's grades as stand-in reviews.
DEMO_STAND_IN_REVIEWS = 100
DEMO_REVIEWED_NAME = f"{DEMO_PAIR_NAME}_{DEMO_STAND_IN_REVIEWS}_reviews"


def add_parser(sub) -> None:
    cmd = sub.add_parser("import-replays", help="project routing savings for a table of replay results made elsewhere")
    cmd.add_argument("file", help="CSV, JSON lines or Parquet: request_id, prompt, small_output, large_output, ...")
    cmd.add_argument("--name", help="the dataset name its rows get (default: the file name without extension)")
    cmd.add_argument("--stand-in-reviews", type=int, default=0, metavar="N",
                     help="set the table's quality aside and let N random pairs' quality stand in for human "
                     "reviews of the rule's labels and the predictor (the review loop on answers with a known truth)")
    cmd.set_defaults(func=cmd_import_replays)


def import_replays(cfg: PlanBConfig, path: str | Path, name: str, *, stand_in_reviews: int = 0) -> ImportedProjection:
    """Project the table at ``path`` as dataset ``name`` (``stand_in_reviews``: see
    ``scoring.projection.run.project_imported``), store and publish it; returns the projection."""
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

    projected = project_imported(table, cfg=cfg, name=name, given=given, cost_fits=fits,
                                 stand_in_reviews=stand_in_reviews)
    with writer(cfg.data_dir) as con:
        store_projection(con, name, projected.projection, projected.metrics)
        store_imported_pairs(con, name, projected.pairs, [r for r in projected.pairs.columns if r in cfg.projection.routers],
                             keep=cfg.import_replays.example_pairs, seed=cfg.sample.seed)
    publish_snapshot(cfg.data_dir)
    return projected


def import_demo_pair(cfg: PlanBConfig) -> str:
    """Import the bundled real pair as dataset DEMO_PAIR_NAME, then again as DEMO_REVIEWED_NAME
    with the review loop (stand-in reviews); their summaries, each headed by what it is.

    Example:
        >>> print(import_demo_pair(load_config(None)))  # doctest: +SKIP
        Imported real pair (dataset 'mt_bench_mixtral_gpt4'): ...
    """
    from assets.cli.summary import summary

    graded = import_replays(cfg, DEMO_PAIR, DEMO_PAIR_NAME)
    heading = (f"Imported real pair (dataset {DEMO_PAIR_NAME!r}, {graded.projection.height} routing_projection rows): "
               "MT-Bench's 80 questions x 2 turns answered by Mixtral-8x7B-Instruct (small) and GPT-4-1106-preview "
               "(large), quality = GPT-4's 1-10 grade / 10, dollars = each answer's tokens at API list prices "
               "(warehouse/sample_replays/NOTICE)" + (f"; skipped: {', '.join(graded.skipped)}" if graded.skipped else "")
               + ".")
    reviewed = import_replays(cfg, DEMO_PAIR, DEMO_REVIEWED_NAME, stand_in_reviews=DEMO_STAND_IN_REVIEWS)
    return f"{heading}\n{summary(cfg, dataset=DEMO_PAIR_NAME)}\n\n{review_loop(reviewed, graded.pairs)}"


def review_loop(reviewed: ImportedProjection, truth: pl.DataFrame) -> str:
    """The review loop on the real pair in words: for each router (the oracle aside) at the
    threshold routing nearest half the requests small, quality kept (parity: the small answer
    graded at least as good) from the rule's labels alone, from the predictor corrected by the
    stand-in reviews with its 95% interval, and the truth from every pair's grades; then what is
    recommended."""
    import polars as pl

    parity = dict(zip(truth["request_id"], truth["label"], strict=True))  # GPT-4's grades: small >= large
    window = reviewed.projection.filter(pl.col("segment_by") == "all")
    metrics = reviewed.metrics.filter(pl.col("segment_by") == "all")
    pairs = reviewed.pairs
    scored = int(pairs["label"].is_not_null().sum())
    lines = [f"The review loop on the same real pair (dataset {DEMO_REVIEWED_NAME!r}), as a team without a judge has "
             f"it: the rule labels {scored} of {pairs.height} pairs (the rest open-ended: unscored), the predictor "
             f"(p_parity) scores all {pairs.height}, and {DEMO_STAND_IN_REVIEWS} pairs drawn at random have GPT-4's "
             "grades standing in for human reviews (parity: the small answer graded at least as good). Quality kept "
             "among the requests routed small:"]
    for router in sorted(r for r in window["router"].unique().to_list() if r != "oracle"):
        rows = window.filter(pl.col("router") == router).sort((pl.col("share_small") - 0.5).abs(), "threshold")
        row = rows.row(0, named=True)
        routed = pairs.filter(pl.col(router) >= row["threshold"])["request_id"].to_list()
        true = sum(parity[r] for r in routed) / len(routed) if routed else None
        with_reviews = ("—" if row["kept_small"] is None else f"{row['kept_small']:.1%}" + (
            f" [{row['kept_small_lo']:.1%}, {row['kept_small_hi']:.1%}]" if row["kept_small_lo"] is not None else ""))
        # No review routed small at this threshold: kept_small is the labels' figure itself.
        alone = row["kept_small"] if row["kept_source"] == "predictions" else row.get("kept_without_reviews")
        lines.append(f"  {router} at {row['threshold']:.2f} ({row['share_small']:.0%} routed small): labels alone "
                     f"{'—' if alone is None else f'{alone:.1%}'}; predictor + {row['kept_reviews'] or 0} stand-in "
                     f"reviews {with_reviews}; truth (all {len(routed)} grades) "
                     f"{'—' if true is None else f'{true:.1%}'}")
    certified = metrics.filter(pl.col("recommended_threshold").is_not_null() & (pl.col("router") != "oracle"))
    if certified.height:
        best = certified.row(0, named=True)
        lines.append(f"Recommendation: {best['router']} at {best['recommended_threshold']:.2f}, certified on the "
                     "stand-in reviews.")
    else:
        target = metrics["agreement_target"][0]
        overall = sum(parity.values()) / len(parity)
        lines.append(f"Recommendation: none. No threshold's quality kept is shown >= {target:.0%} by the reviews "
                     f"(the small answer is graded at least as good on {overall:.0%} of all {len(parity)} pairs).")
    return "\n".join(lines)


def cmd_import_replays(args: argparse.Namespace) -> None:
    from transformers.utils import logging as hf_logging

    from assets.cli.summary import summary
    from scoring.config import load_config

    hf_logging.disable_progress_bar()  # a summary, not progress bars
    cfg = load_config(args.config, data_dir=args.data_dir)
    name = args.name or Path(args.file).stem
    projected = import_replays(cfg, args.file, name, stand_in_reviews=args.stand_in_reviews)
    print(f"import-replays: {args.file} projected as dataset {name!r} ({projected.projection.height} routing_projection "
          "rows)" + (f"; skipped: {', '.join(projected.skipped)}" if projected.skipped else ""))
    print(summary(cfg, dataset=name))
