"""Routing projection at scale: 100 million logged requests, 5 routers x 1,001 thresholds,
1,000 bootstrap replicates for every interval, against a straightforward per-threshold Python
loop measured in the same run on a smaller population.

The population is stored as the design keeps it: daily aggregates, here 30 days x 3 surfaces x
3 modes = 270 strata whose sizes add up to 100,000,000 logged requests. The replay sample is
drawn from them proportionally (default 20,000 requests, about 670 a day), each sampled request
weighted by N_h / n_h, so the projection's cost grows with the sample and the thresholds, not
with the 100 million rows. Scores and agreement are synthetic (agreement rises with a hidden
easiness that each router sees through its own noise); costs come from two cost models priced
on an H100.

Timed: ``scoring.projection.run.project_all`` (what the pipeline runs) for the whole window,
and again with every segment (day, surface, mode, language, query length); the baseline loops
over thresholds and, inside, over the bootstrap replicates, with numpy over the requests. Both
use the same bootstrap draws, and their figures are compared.

    .venv/bin/python bench/projection.py [--sample 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import polars as pl
import scipy

from scoring.config import load_config
from scoring.projection.intervals import bootstrap_counts
from scoring.projection.run import project_all, with_costs
from scoring.projection.table import SEGMENTS, query_length_bucket, sweep_thresholds
from scoring.routing.metrics import weighted_auc
from scoring.routing.routers import ROUTERS

POPULATION = 100_000_000
DAYS, SURFACES, MODES = 30, ("chat", "search", "sidebar"), ("precise", "balanced", "creative")
ROUTER_NAMES = ("small_confidence", "query_classifier", "random", "length", "oracle")
FIT = {"small": {"seconds_per_request": 0.002, "seconds_per_prompt_token": 2e-5, "seconds_per_output_token": 0.004,
                 "device": "cuda:NVIDIA H100 80GB HBM3"},
       "large": {"seconds_per_request": 0.01, "seconds_per_prompt_token": 2e-4, "seconds_per_output_token": 0.03,
                 "device": "cuda:NVIDIA H100 80GB HBM3"}}


def synthetic_scores(rng: np.random.Generator, easiness: np.ndarray, words: np.ndarray,
                     agree: np.ndarray) -> dict[str, np.ndarray]:
    """Each router's scores: the model-based ones see the hidden easiness through their own
    noise, length sees only the query's words, the oracle sees the label."""
    n = len(easiness)
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))
    return {
        "small_confidence": sigmoid(easiness + rng.normal(0, 0.8, n)),
        "query_classifier": sigmoid(0.6 * easiness + rng.normal(0, 1.0, n)),
        "random": rng.uniform(size=n),
        "length": 1.0 / (1.0 + words / 8.0),
        "oracle": agree.astype(float),
    }


def population_and_sample(population: int, sample_size: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """The strata (daily aggregates) and a proportional sample with its scores."""
    rng = np.random.default_rng(seed)
    strata = pl.DataFrame([{"day": f"2026-11-{d + 1:02d}", "surface": s, "mode": m}
                           for d in range(DAYS) for s in SURFACES for m in MODES])
    shares = rng.dirichlet(np.full(strata.height, 5.0))
    sizes = np.floor(shares * population).astype(np.int64)
    sizes[0] += population - sizes.sum()
    taken = np.maximum(1, np.round(shares * sample_size)).astype(int)
    strata = strata.with_columns(logged=pl.Series(sizes), sampled=pl.Series(taken))
    sample = strata.select(pl.all().repeat_by("sampled").explode()).with_columns(
        weight=pl.col("logged") / pl.col("sampled"))
    n = sample.height
    easiness = rng.normal(size=n)
    agree = rng.uniform(size=n) < 1 / (1 + np.exp(-(0.8 + 1.5 * easiness)))
    words = np.maximum(1, rng.geometric(0.12, size=n))
    sample = sample.with_columns(
        request_id=pl.Series([f"r{i}" for i in range(n)]), language=pl.Series(rng.choice(["en", "de", "fr", "es"], n)),
        query_length=pl.Series(query_length_bucket(words)),
        agree=pl.Series(agree.astype(float)), quality_small=pl.Series(agree.astype(float)), quality_large=pl.lit(1.0),
        label=pl.Series(agree),
        small_prompt_tokens=pl.Series(words * 2 + 20), small_output_tokens=pl.Series(rng.integers(5, 120, n)),
        large_prompt_tokens=pl.Series(words * 2 + 20), large_output_tokens=pl.Series(rng.integers(5, 150, n)),
    )
    scores = synthetic_scores(rng, easiness, words, agree)
    return strata, sample, scores


def baseline(sample: pl.DataFrame, scores: dict, thresholds: dict, counts: np.ndarray, cascade: dict) -> dict:
    """The straightforward way: for every router, for every threshold, for the point estimate
    and every replicate, mask the routed requests and sum with numpy; then percentiles, and
    CPT / APGR / AUC replicate by replicate."""
    w = sample["weight"].to_numpy()
    agree = sample["agree"].to_numpy()
    small, large = sample["small_seconds"].to_numpy(), sample["large_seconds"].to_numpy()
    small_d, large_d = sample["small_dollars"].to_numpy(), sample["large_dollars"].to_numpy()
    out = {}
    for router, score in scores.items():
        rows = []
        for t in thresholds[router]:
            routed = score >= t
            reps = []
            for b in range(counts.shape[1] + 1):
                wb = w if b == 0 else w * counts[:, b - 1]
                total, small_w = wb.sum(), wb[routed].sum()
                small_paid = np.ones_like(routed) if cascade[router] else routed
                cost = (wb * (small_paid * small + ~routed * large)).sum()
                dollars = (wb * (small_paid * small_d + ~routed * large_d)).sum()
                reps.append((small_w / total,
                             (wb * agree)[routed].sum() / small_w if small_w > 0 else np.nan,
                             1 - (wb * (1 - agree))[routed].sum() / total,
                             (wb * large).sum() - cost, (wb * large_d).sum() - dollars))
            reps = np.array(reps)
            lo, hi = np.nanpercentile(reps[1:], [2.5, 97.5], axis=0)
            rows.append((reps[0], lo, hi, reps[:, 0], reps[:, 2]))
        # CPT(50%) and APGR per replicate from the per-threshold curves, AUC per replicate
        share = np.array([r[3] for r in rows])
        quality = np.array([r[4] for r in rows])
        apgrs, cpts, aucs = [], [], []
        for b in range(counts.shape[1] + 1):
            wb = w if b == 0 else w * counts[:, b - 1]
            weak = (wb * agree).sum() / wb.sum()
            pgr = (quality[:, b] - weak) / (1 - weak)
            c = np.concatenate([[0.0], 1 - share[:, b], [1.0]])
            p = np.concatenate([[0.0], pgr, [1.0]])
            apgrs.append(np.trapezoid(p, c))
            cpts.append(min(ci for ci, pi in zip(c, p) if pi >= 0.5))
            aucs.append(weighted_auc(score, agree.astype(bool), wb[:, None])[0])
        out[router] = {"rows": rows, "apgr": apgrs[0], "cpt50": cpts[0], "auc": aucs[0],
                       "apgr_interval": np.percentile(apgrs[1:], [2.5, 97.5])}
    return out


def run_ours(cfg, sample, costing, scores, segments):
    start = time.perf_counter()
    table, metrics = project_all(sample, scores, {}, cfg=cfg, costing=costing, days=DAYS,
                                 dataset="bench", quality_measure="agreement", segments=segments)
    return time.perf_counter() - start, table, metrics


def compare(table: pl.DataFrame, metrics: pl.DataFrame, base: dict) -> float:
    """Largest absolute difference between our figures and the baseline's (shares, agreement,
    unchanged share with their bounds; APGR, CPT(50%), AUC). Where every request routed small
    agrees, our lower bounds are the exact binomial bound, not the bootstrap's collapsed 100%:
    those two bounds are left out."""
    worst = 0.0
    for router, result in base.items():
        ours = table.filter(pl.col("router") == router, pl.col("segment_by") == "all").sort("threshold")
        all_agree = (ours["agreement_small"] == 1.0).fill_null(False).to_numpy()
        columns = [("share_small", 0), ("agreement_small", 1), ("unchanged_share", 2)]
        for name, index in columns:
            for suffix, which in (("", 0), ("_lo", 1), ("_hi", 2)):
                column = name + suffix if name != "unchanged_share" or not suffix else "unchanged" + suffix
                mine = ours[column].cast(pl.Float64).fill_null(np.nan).to_numpy()
                theirs = np.array([row[which][index] for row in result["rows"]], dtype=float)
                mask = ~np.isnan(theirs) & ~np.isnan(mine) & ~(all_agree & (suffix == "_lo"))
                if mask.any():
                    worst = max(worst, float(np.max(np.abs(mine[mask] - theirs[mask]))))
        m = metrics.filter(pl.col("router") == router, pl.col("segment_by") == "all").row(0, named=True)
        for name in ("apgr", "cpt50", "auc"):
            worst = max(worst, abs(m[name] - result[name]))
    return worst


def machine() -> dict:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines()[:15]
    return {"nproc": os.cpu_count(), "lscpu": lscpu, "load_average": os.getloadavg(), "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "polars": pl.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20_000, help="replayed requests behind the 100M (default 20,000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    parser.add_argument("--baseline-thresholds", type=int, default=101)
    parser.add_argument("--baseline-replicates", type=int, default=200)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "projection_cpu.json"))
    args = parser.parse_args()
    report = {"machine": machine(), "population": POPULATION, "routers": list(ROUTER_NAMES)}

    # Full size: 100M logged requests, 1,001 thresholds (+ the sample's percentiles), B = 1,000.
    cfg = load_config(None, projection={"thresholds": 1001, "bootstrap": 1000, "seed": 11})
    strata, sample, scores = population_and_sample(POPULATION, args.sample, seed=0)
    sample, costing = with_costs(sample, FIT, cfg)
    assert int(strata["logged"].sum()) == POPULATION
    window, segmented = [], []
    for _ in range(args.repeats):
        seconds, table, _ = run_ours(cfg, sample, costing, scores, segments=())
        window.append(seconds)
    for _ in range(max(1, args.repeats - 1)):
        seconds, full_table, _ = run_ours(cfg, sample, costing, scores, segments=SEGMENTS)
        segmented.append(seconds)
    thresholds = table.filter(pl.col("segment_by") == "all").group_by("router").len()["len"].to_list()
    report["full"] = {
        "logged_requests": POPULATION, "strata": strata.height, "sampled_requests": sample.height,
        "thresholds_per_router": thresholds, "replicates": 1000,
        "window_seconds": window, "window_rows": table.height,
        "with_segments_seconds": segmented, "with_segments_rows": full_table.height,
    }
    print(f"100,000,000 logged requests in {strata.height} daily strata, {sample.height:,} sampled; "
          f"5 routers x {min(thresholds)}-{max(thresholds)} thresholds x 1,000 replicates")
    print(f"  window: {', '.join(f'{s:.2f}' for s in window)} s  (best {min(window):.2f} s)")
    print(f"  window + day/surface/mode/language/length segments ({full_table.height:,} rows): "
          f"{', '.join(f'{s:.2f}' for s in segmented)} s")

    # Same run, smaller population: the engine against the per-threshold loop, same draws.
    small_cfg = load_config(None, projection={"thresholds": args.baseline_thresholds,
                                              "bootstrap": args.baseline_replicates, "seed": 11})
    population = POPULATION * args.baseline_sample // args.sample
    _, small_sample, small_scores = population_and_sample(population, args.baseline_sample, seed=1)
    small_sample, small_costing = with_costs(small_sample, FIT, small_cfg)
    ours_small = []
    for _ in range(args.repeats):
        seconds, small_table, small_metrics = run_ours(small_cfg, small_sample, small_costing, small_scores, segments=())
        ours_small.append(seconds)
    counts = bootstrap_counts(small_sample["day"].cast(pl.String).to_numpy(), args.baseline_replicates, 11)
    grids = {r: sweep_thresholds(args.baseline_thresholds, s)[0] for r, s in small_scores.items()}
    start = time.perf_counter()
    base = baseline(small_sample, small_scores, grids, counts, {r: ROUTERS[r].cascade for r in small_scores})
    loop_seconds = time.perf_counter() - start
    worst = compare(small_table, small_metrics, base)
    speedup = loop_seconds / min(ours_small)
    report["baseline"] = {
        "logged_requests": population, "sampled_requests": small_sample.height,
        "thresholds_per_router": [len(g) for g in grids.values()], "replicates": args.baseline_replicates,
        "loop_seconds": loop_seconds, "engine_seconds": ours_small, "speedup": speedup,
        "largest_difference": worst,
    }
    print(f"same run, {population:,} logged / {small_sample.height:,} sampled, 5 routers x "
          f"~{args.baseline_thresholds + 99} thresholds x {args.baseline_replicates} replicates:")
    print(f"  per-threshold Python loop {loop_seconds:.2f} s, engine best {min(ours_small):.3f} s: "
          f"{speedup:.0f}x; largest difference between their figures {worst:.2e}")
    report["machine"]["load_average_after"] = os.getloadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
