"""Coverage study of savings repriced at your per-token prices (scoring/projection/token_prices.py):
does the interval the dashboard shows at prices other than the projection's cover the truth 95%
of the time?

The population is the bundled real pair's requests (MT-Bench, Mixtral-8x7B and GPT-4 with their
real token counts, warehouse/sample_replays), each repeated --copies times, one day of it; a
router scores each request from its prompt's length plus noise (a length router, not perfect).
Each replication draws a uniformly random sample of n requests (weight N / n, as the pipeline's
per-day sample), projects it at the pair's list prices with the product's arithmetic (the
within-day bootstrap, ``project_group`` and the bootstrap-t at SAVINGS_LEVEL), then reprices the
saving at each price set from the stored sums (``reprice_savings``) and records whether it covers
the population's saving at those prices, at thresholds 0.3, 0.5 and 0.7. The bootstrap-t
computed afresh at each price set (projecting again) is measured beside it: the interval the
repricing stands in for.

    .venv/bin/python bench/coverage_token_prices.py [--replications 500] [--sizes 50 160 400]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import polars as pl

from assets.cli.import_replays import DEMO_PAIR
from dashboards.repricing import price_vector, reprice_savings
from scoring.projection.intervals import bootstrap_counts, studentized_interval
from scoring.projection.sweep import project_group, replicate_weights
from scoring.projection.table import SAVINGS_LEVEL
from scoring.projection.token_prices import TOKEN_COLUMNS, token_sums
from scoring.replay.imported import read_table

LIST_PRICES = (0.54, 0.54, 10.0, 30.0)  # the pair's dollars: warehouse/sample_replays/NOTICE
PRICE_SETS = {
    "as projected": LIST_PRICES,
    "gpt-4o-mini small, gpt-4o large": (0.15, 0.60, 2.50, 10.00),
    "prompts dearer than answers": (0.54, 0.54, 30.0, 10.0),
    "answers only": (0.0, 1.0, 0.0, 60.0),
}
THRESHOLDS = np.array([0.3, 0.5, 0.7])


def population(copies: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """The pair's token counts, each request ``copies`` times, and each copy's router score."""
    rng = np.random.default_rng(seed)
    pair = read_table(DEMO_PAIR).select(*TOKEN_COLUMNS)
    frame = pl.concat([pair] * copies)
    length = np.log1p(frame["large_prompt_tokens"].to_numpy().astype(float))
    z = (length - length.mean()) / length.std()
    scores = 1.0 / (1.0 + np.exp(z + rng.normal(0.0, 1.0, frame.height)))  # short prompts go small
    return frame, scores


def priced(frame: pl.DataFrame, prices: tuple[float, ...], weight: float) -> pl.DataFrame:
    """The sample as the projection takes it: both models priced per token at ``prices``."""
    small = (frame["small_prompt_tokens"] * prices[0] + frame["small_output_tokens"] * prices[1]) / 1e6
    large = (frame["large_prompt_tokens"] * prices[2] + frame["large_output_tokens"] * prices[3]) / 1e6
    zero = pl.lit(0.0)
    return frame.with_columns(
        weight=pl.lit(weight), agree=pl.lit(1.0), quality_small=pl.lit(1.0), quality_large=pl.lit(1.0),
        small_seconds=zero, large_seconds=zero, router_seconds=zero, router_dollars=zero,
        small_dollars=small, large_dollars=large, day=pl.lit("2026-11-01"))


def bootstrap_t(sample: pl.DataFrame, scores: np.ndarray, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    curves = project_group(sample, scores, weights, thresholds=THRESHOLDS, cascade=False)
    lo, hi = studentized_interval(curves.dollars_saved, curves.dollars_squares, curves.draws, level=SAVINGS_LEVEL)
    return curves.dollars_saved[:, 0], lo, hi


def study(n: int, replications: int, copies: int, bootstrap: int, seed: int) -> list[dict]:
    frame, scores = population(copies, seed)
    truths = {}
    for name, prices in PRICE_SETS.items():
        full = priced(frame, prices, 1.0)
        saving = (full["large_dollars"] - full["small_dollars"]).to_numpy()
        truths[name] = np.array([saving[scores >= t].sum() for t in THRESHOLDS])
    rng = np.random.default_rng(seed + 1)
    records = []
    for rep in range(replications):
        members = rng.choice(frame.height, size=n, replace=False)
        part, part_scores = frame[members], scores[members]
        weights = replicate_weights(np.full(n, frame.height / n), bootstrap_counts(np.zeros(n), bootstrap, seed + rep))
        reference = priced(part, LIST_PRICES, frame.height / n)
        point0, lo0, hi0 = bootstrap_t(reference, part_scores, weights)
        sums, moments = token_sums(reference, part_scores, THRESHOLDS, (True, True), cascade=False, days=1)
        for name, prices in PRICE_SETS.items():
            point, lo, hi = reprice_savings(sums, moments, np.full(len(THRESHOLDS), n), price_vector(LIST_PRICES),
                                            price_vector(prices), point0, lo0, hi0)
            _, fresh_lo, fresh_hi = bootstrap_t(priced(part, prices, frame.height / n), part_scores, weights)
            for j, threshold in enumerate(THRESHOLDS):
                true = truths[name][j]
                records.append({"n": n, "prices": name, "threshold": float(threshold),
                                "repriced_covers": bool(lo[j] <= true <= hi[j]), "repriced_width": hi[j] - lo[j],
                                "fresh_covers": bool(fresh_lo[j] <= true <= fresh_hi[j]),
                                "fresh_width": fresh_hi[j] - fresh_lo[j]})
    return records


def summarise(records: list[dict]) -> pl.DataFrame:
    trials = pl.len()
    return (pl.DataFrame(records).group_by("n", "prices", "threshold", maintain_order=True).agg(
        trials=trials,
        repriced=pl.col("repriced_covers").mean(), fresh=pl.col("fresh_covers").mean(),
        width_ratio=(pl.col("repriced_width") / pl.col("fresh_width")).median(),
    ).with_columns(mc_se=(pl.col("repriced") * (1 - pl.col("repriced")) / pl.col("trials")).sqrt()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 160, 400])
    parser.add_argument("--copies", type=int, default=100, help="times each of the pair's 160 requests is in the population")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "coverage_token_prices.json")
    args = parser.parse_args()
    records = [r for n in args.sizes for r in study(n, args.replications, args.copies, args.bootstrap, args.seed)]
    table = summarise(records)
    with pl.Config(tbl_rows=100, tbl_cols=20, tbl_width_chars=160):
        print(table)
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": table.to_dicts()},
                                   indent=1) + "\n")


if __name__ == "__main__":
    main()
