"""Coverage study: do the projection's 95% intervals cover the truth as often as they claim?

A synthetic logged population with a known truth (default 7 days x 200,000 requests in 9
surface x mode strata of unequal size), in three regimes: agreement high (~97%), moderate
(~80%), and moderate with imported quality scores (correctness of each answer) and 10% of the
sampled pairs unscored (label NULL, issue 14). Router scores are correlated with agreement;
per-request device-seconds are skewed (lognormal token counts: the top 1% of requests carry
13-24% of the savings).

Each replication draws a sample the way the pipeline draws it (``scoring.replay.sampling``: each day
on its own, strata allocated by ``_allocate``, a uniformly random subset of each stratum,
weight N_h / n_h; the pipeline's sha256 ranks are a seeded random permutation, and hashing 1.4
million ids per replication would take the study hours, so the subset is drawn with numpy:
tests/scoring/projection/test_intervals_coverage.py checks the plan is the same), runs the real
``scoring.projection.run.project_all`` on it (window and per day), and records whether each
interval covers the population's value: share routed small, agreement among them, unchanged
share, quality, GPU-hours and dollars saved per day (at thresholds 0.3, 0.5, 0.7), AUC, APGR
and CPT(50%, 80%); and the recommended threshold's miss rate (its true agreement below target).
Coverage is reported with its Monte-Carlo standard error sqrt(c (1 - c) / trials).

    .venv/bin/python bench/coverage.py [--replications 500] [--per-day 12 50 200] [--regimes high moderate imported]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import polars as pl

from scoring.config import load_config
from scoring.projection.run import project_all, with_costs
from scoring.projection.sweep import HOURS, request_values
from scoring.projection.table import kept_curve, sweep_thresholds
from scoring.quality.betting import graded_p_value
from scoring.quality.ppi import Z95, ReviewedKept, ReviewInputs, estimate_kept
from scoring.replay.sampling import _allocate
from scoring.routing.metrics import (
    RISK,
    apgr,
    call_performance_threshold,
    certify,
    hoeffding_bentkus_p_value,
    performance_gap_recovered,
    recommend,
    weighted_auc,
)

ROUTER = "query_classifier"  # chooses up front (not a cascade): savings are large - small where routed
REPORTED_THRESHOLDS = (0.3, 0.5, 0.7)
SURFACES = {"chat": 0.6, "search": 0.3, "sidebar": 0.1}
MODES = {"precise": 0.2, "balanced": 0.5, "creative": 0.3}
FIT = {"small": {"seconds_per_request": 0.002, "seconds_per_prompt_token": 2e-5, "seconds_per_output_token": 0.004,
                 "device": "cuda:NVIDIA H100 80GB HBM3"},
       "large": {"seconds_per_request": 0.01, "seconds_per_prompt_token": 2e-4, "seconds_per_output_token": 0.03,
                 "device": "cuda:NVIDIA H100 80GB HBM3"}}
# agree ~ Bernoulli(sigmoid(intercept + 1.5 easiness)); imported: each answer's correctness too.
REGIMES = {"high": {"intercept": 4.6, "imported": False, "unscored": 0.0},
           "moderate": {"intercept": 1.9, "imported": False, "unscored": 0.0},
           "imported": {"intercept": 1.9, "imported": True, "unscored": 0.1}}
# (figure, projection column, lo column, hi column)
TABLE_FIGURES = (("share_small", "share_small", "share_small_lo", "share_small_hi"),
                 ("agreement", "agreement_small", "agreement_small_lo", "agreement_small_hi"),
                 ("unchanged", "unchanged_share", "unchanged_lo", "unchanged_hi"),
                 ("quality", "quality", "quality_lo", "quality_hi"),
                 ("gpu_hours_saved", "gpu_hours_saved_per_day", "gpu_hours_saved_lo", "gpu_hours_saved_hi"),
                 ("dollars_saved", "dollars_saved_per_day", "dollars_saved_per_day_lo", "dollars_saved_per_day_hi"))
SUMMARY_FIGURES = ("auc", "apgr", "cpt50", "cpt80")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def make_population(regime: str, *, days: int = 7, per_day: int = 200_000,
                    seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """The logged population with every column the projection needs (costs included) and its
    router scores. Strata differ in size, easiness and answer length, so stratification matters."""
    spec = REGIMES[regime]
    rng = np.random.default_rng(seed)
    n = days * per_day
    surface = rng.choice(list(SURFACES), n, p=list(SURFACES.values()))
    mode = rng.choice(list(MODES), n, p=list(MODES.values()))
    shift = {"chat": 0.0, "search": 0.5, "sidebar": -0.4, "precise": 0.3, "balanced": 0.0, "creative": -0.5}
    easiness = rng.normal(size=n) + np.vectorize(shift.get)(surface) + np.vectorize(shift.get)(mode)
    agree = rng.uniform(size=n) < _sigmoid(spec["intercept"] + 1.5 * easiness)
    if spec["imported"]:
        large_right = rng.uniform(size=n) < 0.9
        small_right = np.where(agree, large_right, rng.uniform(size=n) < 0.2)
        quality_small, quality_large = small_right.astype(float), large_right.astype(float)
    else:
        quality_small, quality_large = agree.astype(float), np.ones(n)
    longer = np.where(mode == "creative", 0.6, 0.0) - 0.3 * easiness  # hard questions get long answers
    output = np.maximum(1, np.rint(np.exp(3.5 + longer + rng.normal(0, 1.2, n)))).astype(np.int64)
    prompt = np.maximum(1, np.rint(np.exp(3.0 + rng.normal(0, 0.8, n)))).astype(np.int64)
    frame = pl.DataFrame({
        "request_id": np.arange(n), "day": np.repeat([f"2026-11-{d + 1:02d}" for d in range(days)], per_day),
        "surface": surface, "mode": mode, "agree": agree.astype(float), "label": agree,
        "quality_small": quality_small, "quality_large": quality_large,
        "small_prompt_tokens": prompt, "large_prompt_tokens": prompt,
        "small_output_tokens": np.maximum(1, np.rint(output * 0.9)).astype(np.int64), "large_output_tokens": output,
    })
    frame, _ = with_costs(frame, FIT, load_config(None))
    scores = _sigmoid(easiness + rng.normal(0, 0.8, n))
    return frame.with_columns(router_seconds=pl.lit(0.0), router_dollars=pl.lit(0.0), weight=pl.lit(1.0)), scores


@dataclass(frozen=True)
class Truth:
    """The population's figures for one group (the window or one day)."""

    sorted_scores: np.ndarray
    routed_suffix: np.ndarray  # ROUTED values summed over requests with score >= sorted_scores[k] (k .. n)
    kept_suffix: np.ndarray  # quality kept, 1 - max(0, q_large - q_small), summed likewise
    totals: np.ndarray  # TOTALS summed over the group
    days: int
    summary: dict[str, float]

    def at(self, thresholds: np.ndarray) -> dict[str, np.ndarray]:
        """Each table figure at ``thresholds`` (the projection's own definitions)."""
        k = np.searchsorted(self.sorted_scores, thresholds, side="left")
        routed, _, agree, gain, seconds, dollars = self.routed_suffix[:, k]
        requests, _, q_small, q_large, seconds_fixed, dollars_fixed, _, _ = self.totals
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"share_small": routed / requests, "agreement": np.where(routed > 0, agree / routed, np.nan),
                    "unchanged": 1 - (routed - agree) / requests, "quality": (q_large + gain) / requests,
                    "gpu_hours_saved": (seconds_fixed + seconds) / HOURS / self.days,
                    "dollars_saved": (dollars_fixed + dollars) / self.days,
                    "kept": np.where(routed > 0, self.kept_suffix[k] / np.maximum(routed, 1), np.nan)}


def truth_of(frame: pl.DataFrame, scores: np.ndarray, days: int) -> Truth:
    """The population truth of one group, AUC, APGR and CPT included (APGR and CPT over the
    operating points the projection would sweep on the whole population)."""
    order = np.argsort(scores, kind="stable")
    routed, totals = request_values(frame[order], cascade=False)
    suffix = np.vstack([np.cumsum(routed[::-1], axis=0)[::-1], np.zeros((1, routed.shape[1]))]).T
    kept = 1.0 - np.clip(totals[:, 3] - totals[:, 2], 0.0, 1.0)  # quality_large - quality_small
    truth = Truth(scores[order], suffix, np.append(np.cumsum(kept[::-1])[::-1], 0.0), totals.sum(axis=0), days, {})
    thresholds, _ = sweep_thresholds(101, scores)
    curve = truth.at(thresholds)
    weak, strong = totals[:, 2].mean(), totals[:, 3].mean()
    pgr = performance_gap_recovered(curve["quality"][:, None], np.array([[weak]]), np.array([[strong]]))
    share = curve["share_small"][:, None]
    truth.summary.update(auc=float(weighted_auc(scores, frame["label"].to_numpy(), np.ones((len(scores), 1)))[0]),
                         apgr=float(apgr(share, pgr)[0]),
                         cpt50=float(call_performance_threshold(share, pgr, 0.5)[0]),
                         cpt80=float(call_performance_threshold(share, pgr, 0.8)[0]))
    return truth


class Sampler:
    """Draws the pipeline's stratified sample (per day, surface x mode, proportional allocation)."""

    def __init__(self, frame: pl.DataFrame):
        keyed = frame.select("day", pl.concat_str(["surface", "mode"], separator="|").alias("stratum"))
        self.cells: dict[str, list[np.ndarray]] = {}
        for (day,), part in keyed.with_row_index().group_by(["day"], maintain_order=True):
            members = part.group_by("stratum").agg("index").sort("stratum")  # sorted, as stratified_sample
            self.cells[day] = [np.asarray(m) for m in members["index"].to_list()]

    def plan(self, day: str, per_day: int) -> list[int]:
        return _allocate([len(m) for m in self.cells[day]], per_day)

    def draw(self, per_day: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers of the sampled requests and their weights."""
        rows, weights = [], []
        for day, members in self.cells.items():
            for stratum, take in zip(members, self.plan(day, per_day)):
                rows.append(rng.choice(stratum, take, replace=False))
                weights.append(np.full(take, len(stratum) / take))
        return np.concatenate(rows), np.concatenate(weights)


def one_replication(frame, scores, sampler, truths, *, per_day, cfg, regime, rng) -> tuple[list[dict], dict]:
    """Intervals of one sample against the truth: a record per (segment, figure, threshold)."""
    spec = REGIMES[regime]
    rows, weights = sampler.draw(per_day, rng)
    sample = frame[rows].with_columns(weight=pl.Series(weights))
    if spec["unscored"]:
        unscored = rng.uniform(size=len(rows)) < spec["unscored"]
        sample = sample.with_columns(*[pl.when(pl.Series(unscored)).then(None).otherwise(pl.col(c)).alias(c)
                                       for c in ("agree", "label", "quality_small", "quality_large")])
    costing = with_costs(sample.head(1), FIT, cfg)[1]
    table, metrics = project_all(sample, {ROUTER: scores[rows]}, {}, cfg=cfg, costing=costing, days=len(sampler.cells),
                                 dataset="coverage", quality_measure="correctness" if spec["imported"] else "agreement",
                                 segments=("day",))
    records = []
    for (segment_by, segment), part in table.group_by(["segment_by", "segment"]):
        truth = truths["all" if segment_by == "all" else segment]
        thresholds = part["threshold"].to_numpy()
        picked = [int(np.argmin(np.abs(thresholds - t))) for t in REPORTED_THRESHOLDS]
        true = truth.at(thresholds[picked])
        for figure, column, lo, hi in TABLE_FIGURES:
            for j, t in zip(picked, REPORTED_THRESHOLDS):
                records.append(_record(segment_by, figure, t, part[column][j], part[lo][j], part[hi][j],
                                       true[figure][picked.index(j)]))
    for row in metrics.iter_rows(named=True):
        truth = truths["all" if row["segment_by"] == "all" else row["segment"]]
        for figure in SUMMARY_FIGURES:
            records.append(_record(row["segment_by"], figure, None, row[figure], row[f"{figure}_lo"],
                                   row[f"{figure}_hi"], truth.summary[figure]))
    window = metrics.filter(pl.col("segment_by") == "all").row(0, named=True)
    chosen = window["recommended_threshold"]
    # what the recommendation certifies among the requests routed small: agreement, or with
    # imported quality the quality kept (scoring.projection.table.kept_curve)
    gate = "kept" if spec["imported"] else "agreement"
    true_gate = None if chosen is None else float(truths["all"].at(np.array([chosen]))[gate][0])
    return records, {"recommended": chosen, "true_gate": true_gate, "gate": gate}


def _record(segment_by, figure, threshold, point, lo, hi, true) -> dict:
    true = float(true)
    has = lo is not None and hi is not None and not np.isnan(true)
    return {"segment": "window" if segment_by == "all" else "day", "figure": figure,
            "threshold": None if threshold is None else float(threshold),
            "has_interval": has, "covered": bool(has and lo - 1e-12 <= true <= hi + 1e-12),
            "low_miss": bool(has and true < lo - 1e-12), "width": (hi - lo) if has else None,
            "relative_width": (hi - lo) / abs(true) if has and true else None, "defined": not np.isnan(true)}


def study(regime: str, per_day: int, replications: int, *, population_per_day: int, days: int, bootstrap: int,
          seed: int, thresholds: int = 101) -> tuple[pl.DataFrame, dict]:
    """Coverage table of one regime and sample size, and the recommendation's misses (``miss_rate``:
    among the samples that recommend a threshold)."""
    frame, scores = make_population(regime, days=days, per_day=population_per_day, seed=seed)
    truths = {"all": truth_of(frame, scores, days)}
    for day, idx in frame.with_row_index().group_by("day").agg("index").iter_rows():
        idx = np.asarray(idx)
        truths[day] = truth_of(frame[idx], scores[idx], 1)
    sampler = Sampler(frame)
    cfg = load_config(None, projection={"bootstrap": bootstrap, "seed": seed, "thresholds": thresholds})
    rng = np.random.default_rng(seed + 1)
    records, chosen = [], []
    for r in range(replications):
        cfg = cfg.model_copy(update={"projection": cfg.projection.model_copy(update={"seed": seed + 1000 + r})})
        recs, rec = one_replication(frame, scores, sampler, truths, per_day=per_day, cfg=cfg, regime=regime, rng=rng)
        records.extend(recs)
        chosen.append(rec)
    table = summarise(pl.DataFrame(records, infer_schema_length=None))
    target = cfg.projection.agreement_target
    made = [c for c in chosen if c["recommended"] is not None]
    misses = sum(c["true_gate"] < target for c in made)
    recommendation = {"replications": replications, "recommended": len(made), "misses": misses,
                      "gate": chosen[0]["gate"],
                      "thresholds": [c["recommended"] for c in chosen], "true_gate": [c["true_gate"] for c in chosen],
                      "miss_rate": misses / len(made) if made else None,
                      "miss_rate_se": (np.sqrt(misses / len(made) * (1 - misses / len(made)) / len(made))
                                       if made else None)}
    return table.with_columns(regime=pl.lit(regime), per_day=pl.lit(per_day)), recommendation


def summarise(records: pl.DataFrame) -> pl.DataFrame:
    """Coverage, its Monte-Carlo standard error, misses below, width and share with an interval."""
    return (records.filter(pl.col("defined"))
            .group_by("segment", "figure", "threshold", maintain_order=True)
            .agg(trials=pl.col("has_interval").sum(), with_interval=pl.col("has_interval").mean(),
                 coverage=pl.col("covered").filter(pl.col("has_interval")).mean(),
                 low_misses=pl.col("low_miss").filter(pl.col("has_interval")).mean(),
                 mean_width=pl.col("width").mean(), relative_width=pl.col("relative_width").median())
            .with_columns(coverage_se=_standard_error(pl.col("coverage"), pl.col("trials"))))


def _standard_error(coverage: pl.Expr, trials: pl.Expr) -> pl.Expr:
    # sqrt(c (1 - c) / trials), at least that of a 95% coverage (a run that covers every time
    # does not have an error of 0)
    return pl.when(trials > 0).then((pl.max_horizontal(coverage * (1 - coverage), pl.lit(0.95 * 0.05)) / trials).sqrt())


def markdown(table: pl.DataFrame, recommendations: list[dict]) -> str:
    """The study as Markdown: per regime, sample size, window / day and figure, the coverage
    at each threshold (or the figure's one) with its Monte-Carlo standard error, the share of
    samples that had an interval, and the median width relative to the truth."""
    lines = ["| regime | a day | where | figure | coverage (t = 0.3 / 0.5 / 0.7) | MC s.e. | with interval | "
             "rel. width |",
             "|---|---|---|---|---|---|---|---|"]
    table = table.with_columns(coverage_se=_standard_error(pl.col("coverage"), pl.col("trials")))
    grouped = table.group_by("regime", "per_day", "segment", "figure", maintain_order=True).agg(
        pl.col("coverage"), pl.col("coverage_se"), pl.col("with_interval"),
        pl.col("relative_width").median())
    order = {name: k for k, name in enumerate(["share_small", "agreement", "unchanged", "quality", "gpu_hours_saved",
                                               "dollars_saved", *SUMMARY_FIGURES])}
    grouped = grouped.with_columns(rank=pl.col("figure").replace_strict(order, return_dtype=pl.Int32)).sort(
        "regime", "per_day", "segment", "rank", descending=[False, False, True, False])
    for row in grouped.iter_rows(named=True):
        if not any(row["with_interval"]):  # no interval at all (12 a day per day): said in the text
            continue
        cover = " / ".join("-" if c is None else f"{c:.3f}" for c in row["coverage"])
        se = " / ".join("-" if e is None else f"{e:.3f}" for e in row["coverage_se"])
        width = "-" if row["relative_width"] is None else f"{row['relative_width']:.2f}"
        has = " / ".join(f"{h:.0%}" for h in row["with_interval"])
        lines.append(f"| {row['regime']} | {row['per_day']} | {row['segment']} | {row['figure']} | {cover} | {se} | "
                     f"{has} | {width} |")
    # The guarantee bounds the share of all samples whose recommendation misses (a sample that
    # recommends nothing claims nothing); the share among recommendations is shown beside it.
    lines += ["", "| regime | a day | samples | recommended | gate | missed, of all samples [MC s.e.] | "
              "missed, of recommendations [MC s.e.] |", "|---|---|---|---|---|---|---|"]
    for r in recommendations:
        of_all = r["misses"] / r["replications"]
        of_all_se = np.sqrt(max(of_all * (1 - of_all), 0.05 * 0.95) / r["replications"])
        of_made = "-" if r["miss_rate"] is None else (
            f"{r['misses']} of {r['recommended']} = {r['miss_rate']:.3f} [{r['miss_rate_se']:.3f}]")
        lines.append(f"| {r['regime']} | {r['per_day']} | {r['replications']} | {r['recommended']} | "
                     f"{r.get('gate', 'agreement')} | {r['misses']} of {r['replications']} = {of_all:.3f} "
                     f"[{of_all_se:.3f}] | {of_made} |")
    return "\n".join(lines) + "\n"


# Issue 23: judges whose verdicts are predictions of the truth (the population's agree). Each
# judge's errors are a property of the pair (drawn once for the population), as a real judge's are.
JUDGES = ("right", "noisy", "biased", "anti")
REVIEW_COUNTS = (30, 100, 300)
JUDGE_SAMPLE_PER_DAY = 200  # replayed pairs a day the reviews are drawn from (1,400 in the window)


def judge_verdicts(truth: np.ndarray, judge: str, rng: np.random.Generator) -> np.ndarray:
    """The judge's label of every pair: right (the truth), noisy (15% flipped either way), biased
    towards "same" (half of the pairs where the large answer is better called kept), anti (the
    opposite of the truth)."""
    if judge == "right":
        return truth.copy()
    if judge == "noisy":
        return np.where(rng.uniform(size=len(truth)) < 0.15, 1.0 - truth, truth)
    if judge == "biased":
        return np.where(truth == 1.0, 1.0, (rng.uniform(size=len(truth)) < 0.5).astype(float))
    if judge == "anti":
        return 1.0 - truth
    raise ValueError(f"judge {judge!r} is not one of {', '.join(JUDGES)}")


def _share_small(weight: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    order = np.argsort(scores)
    routed = np.append(np.cumsum(weight[order][::-1])[::-1], 0.0)[np.searchsorted(scores[order], thresholds)]
    return routed / weight.sum()


def judge_study(judge: str, reviews: int, replications: int, *, population_per_day: int, days: int,
                seed: int, thresholds: int = 101, regime: str = "moderate",
                population: tuple | None = None) -> tuple[list[dict], dict]:
    """Kept among the routed small (agreement) from the judge's labels and ``reviews`` reviews
    of a replayed sample of JUDGE_SAMPLE_PER_DAY a day: each replication's 95% intervals at
    REPORTED_THRESHOLDS against the population's truth, with the judge (PPI++) and from the
    reviews alone, and the recommendation (certified by the betting test, ranked by share routed
    small) against the target; beside it today's certificate on the judge's labels alone."""
    frame, scores, truth_all = population or judge_population(regime, days, population_per_day, seed)
    rng = np.random.default_rng(seed + 7)
    truth = frame["agree"].to_numpy()
    verdicts = judge_verdicts(truth, judge, rng)
    sampler = Sampler(frame)
    target = load_config(None).projection.agreement_target
    records, chosen = [], {"ppi": [], "judge_alone": []}
    for _ in range(replications):
        rows, weights = sampler.draw(JUDGE_SAMPLE_PER_DAY, rng)
        reviewed = np.zeros(len(rows), dtype=bool)
        reviewed[rng.choice(len(rows), reviews, replace=False)] = True
        inclusion = np.where(reviewed, reviews / len(rows), np.nan)
        y = np.where(reviewed, truth[rows], np.nan)
        s = scores[rows]
        grid, _ = sweep_thresholds(thresholds, s)
        picked = np.array([int(np.argmin(np.abs(grid - t))) for t in REPORTED_THRESHOLDS])
        true = truth_all.at(grid)["agreement"]
        estimates = {"ppi": estimate_kept(ReviewInputs(verdicts[rows], y, inclusion, weights), s, grid, target),
                     "reviews_alone": estimate_kept(ReviewInputs(np.full(len(rows), np.nan), y, inclusion, weights),
                                                    s, grid, target)}
        k = estimates["ppi"]  # PPI++'s CLT interval, for comparison (not shown by the projection)
        clt = ReviewedKept(k.estimate, np.where(np.isnan(k.lo), np.nan, np.clip(k.estimate - Z95 * k.se, 0, 1)),
                           np.where(np.isnan(k.lo), np.nan, np.clip(k.estimate + Z95 * k.se, 0, 1)), *(
                               getattr(k, f) for f in ("lam", "reviews", "p_value", "testable", "source",
                                                       "review_share", "se")))
        for method, k in {**estimates, "ppi_clt": clt}.items():
            for t, j in zip(REPORTED_THRESHOLDS, picked):
                has = bool(not np.isnan(k.lo[j]))
                records.append({"method": method, "threshold": t, "has_interval": has,
                                "covered": bool(has and k.lo[j] - 1e-12 <= true[j] <= k.hi[j] + 1e-12),
                                "width": float(k.hi[j] - k.lo[j]) if has else None})
        share = _share_small(weights, s, grid)
        k = estimates["ppi"]
        test = certify(k.estimate, k.reviews.astype(float), target, binary=True, p_value=k.p_value, testable=k.testable)
        best = recommend(share, test.certified, grid)
        chosen["ppi"].append(None if best is None else float(true[best]))
        judged = kept_curve(pl.DataFrame({"weight": weights, "quality_small": verdicts[rows],
                                          "quality_large": np.ones(len(rows))}), s, grid)
        best = recommend(share, certify(judged.share, judged.n_eff, target, binary=True).certified, grid)
        chosen["judge_alone"].append(None if best is None else float(true[best]))
    recommendation = {}
    for method, values in chosen.items():
        made = [v for v in values if v is not None]
        misses = sum(v < target for v in made)
        recommendation[method] = {"recommended": len(made), "misses": misses, "miss_rate": misses / replications}
    return records, recommendation


def judge_population(regime: str, days: int, per_day: int, seed: int) -> tuple:
    """The population, its router scores and its truth (built once for every judge and review count)."""
    frame, scores = make_population(regime, days=days, per_day=per_day, seed=seed)
    return frame, scores, truth_of(frame, scores, days)


def summarise_judges(records: list[dict]) -> pl.DataFrame:
    """Coverage, its Monte-Carlo s.e., the share with an interval and the mean width, by method and threshold."""
    frame = pl.DataFrame(records)
    return (frame.group_by("method", "threshold", maintain_order=True)
            .agg(trials=pl.col("has_interval").sum(), with_interval=pl.col("has_interval").mean(),
                 coverage=pl.col("covered").filter(pl.col("has_interval")).mean(),
                 mean_width=pl.col("width").mean())
            .with_columns(coverage_se=_standard_error(pl.col("coverage"), pl.col("trials"))))


def judges_main(args) -> None:
    """Every judge at every number of reviews: coverage and width against the reviews alone,
    and the recommendation's misses against today's certificate on the judge's labels alone."""
    results = []
    population = judge_population(args.judge_regime, args.days, args.population_per_day, args.seed)
    for judge in args.judges:
        for reviews in args.reviews:
            start = time.perf_counter()
            records, rec = judge_study(judge, reviews, args.replications, population_per_day=args.population_per_day,
                                       days=args.days, seed=args.seed, thresholds=args.thresholds,
                                       regime=args.judge_regime, population=population)
            table = summarise_judges(records)
            results.append({"judge": judge, "reviews": reviews, "regime": args.judge_regime, "coverage": table.to_dicts(),
                            "recommendation": rec})
            print(f"{judge}, {reviews} reviews: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps({"args": vars(args), "judges": results}, indent=1) + "\n",
                                      encoding="utf-8")
    text = judges_markdown(results, args.replications)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")


def judges_markdown(results: list[dict], replications: int) -> str:
    """Per judge and number of reviews: coverage at t = 0.3 / 0.5 / 0.7 (PPI++), its width as a
    ratio to the reviews alone's (and that one's coverage), and the recommendation's misses of all
    samples, with the judge and reviews and with today's certificate on the judge's labels alone."""
    lines = ["| judge | reviews | coverage, PPI++ (t = 0.3 / 0.5 / 0.7) | with interval | coverage, reviews alone | "
             "width, PPI++ / reviews alone | PPI++ width | coverage, PPI++ CLT | missed, PPI++ + betting [recommended] | "
             "missed, judge alone [recommended] |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows = {(c["method"], c["threshold"]): c for c in r["coverage"]}

        def cell(method, key, fmt, rows=rows):
            return " / ".join("-" if rows[(method, t)][key] is None else format(rows[(method, t)][key], fmt)
                              for t in REPORTED_THRESHOLDS)

        ratio = " / ".join("-" if None in (rows[("ppi", t)]["mean_width"], rows[("reviews_alone", t)]["mean_width"])
                           else f"{rows[('ppi', t)]['mean_width'] / rows[('reviews_alone', t)]['mean_width']:.2f}"
                           for t in REPORTED_THRESHOLDS)
        rec = r["recommendation"]
        missed = {m: f"{rec[m]['misses']} of {replications} = {rec[m]['miss_rate']:.3f} [{rec[m]['recommended']}]"
                  for m in rec}
        lines.append(f"| {r['judge']} | {r['reviews']} | {cell('ppi', 'coverage', '.3f')} | "
                     f"{cell('ppi', 'with_interval', '.0%')} | {cell('reviews_alone', 'coverage', '.3f')} | {ratio} | "
                     f"{cell('ppi', 'mean_width', '.3f')} | {cell('ppi_clt', 'coverage', '.3f')} | "
                     f"{missed['ppi']} | {missed['judge_alone']} |")
    return "\n".join(lines) + "\n"


def power_main(args) -> None:
    """The certificate's power for graded quality at the boundary, n = 300, target 0.95: the share
    of samples in which each test rejects "kept < 0.95", Hoeffding-Bentkus (the certificate before
    issue 23) against the betting test, at true mean 0.95 (the null: at most 5%) and 0.97, for
    two kinds of graded scores: ``mixed`` (1 with probability p, else uniform on [0.5, 1): mean
    p + 0.75 (1 - p); many perfect scores and a spread of partial ones) and ``beta``
    (Beta(30 mean, 30 (1 - mean)): every score near the mean, sd 0.03)."""
    rng = np.random.default_rng(args.seed)
    draws = {"mixed": lambda mean: np.where(rng.uniform(size=300) < (mean - 0.75) / 0.25, 1.0,
                                            rng.uniform(0.5, 1.0, 300)),
             "beta": lambda mean: rng.beta(30 * mean, 30 * (1 - mean), 300)}
    out = {}
    for kind, draw in draws.items():
        for mean in (0.95, 0.97):
            hb = wsr = 0
            for _ in range(args.replications):
                x = draw(mean)
                hb += hoeffding_bentkus_p_value(np.array([x.mean()]), np.array([300.0]), 0.95)[0] <= RISK
                wsr += graded_p_value(x, np.ones(300), np.ones(300), np.array([0.0]), 0.95)[0][0] <= RISK
            out[f"{kind} {mean}"] = {"hoeffding_bentkus": hb / args.replications, "betting": wsr / args.replications}
            share = wsr / args.replications
            se = np.sqrt(max(share * (1 - share), 0.05 * 0.95) / args.replications)
            print(f"{kind} scores, true mean {mean}, n = 300, {args.replications} samples: rejected by "
                  f"Hoeffding-Bentkus {hb / args.replications:.3f}, by the betting test {share:.3f} "
                  f"(MC s.e. <= {se:.3f})")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"args": vars(args), "power": out}, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--per-day", type=int, nargs="+", default=[12, 50, 200])
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=list(REGIMES))
    parser.add_argument("--population-per-day", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--thresholds", type=int, default=101, help="projection.thresholds (grid size)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "coverage.json"))
    parser.add_argument("--markdown", help="also write the tables as Markdown here")
    parser.add_argument("--judges", nargs="*", choices=JUDGES,
                        help="issue 23: the reviews study instead (judges, --reviews; default all four)")
    parser.add_argument("--reviews", type=int, nargs="+", default=list(REVIEW_COUNTS))
    parser.add_argument("--judge-regime", default="moderate", choices=["high", "moderate"],
                        help="the reviews study's population (agreement: high ~97%%, moderate ~79%%)")
    parser.add_argument("--power", action="store_true",
                        help="issue 23: Hoeffding-Bentkus against the betting test for graded quality")
    args = parser.parse_args()
    if args.power:
        return power_main(args)
    if args.judges is not None:
        args.judges = args.judges or list(JUDGES)
        return judges_main(args)
    tables, recommendations = [], []
    for regime in args.regimes:
        for per_day in args.per_day:
            start = time.perf_counter()
            table, rec = study(regime, per_day, args.replications, population_per_day=args.population_per_day,
                               days=args.days, bootstrap=args.bootstrap, seed=args.seed, thresholds=args.thresholds)
            tables.append(table)
            recommendations.append({"regime": regime, "per_day": per_day, **rec})
            print(f"{regime}, {per_day}/day: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
            _write(args, pl.concat(tables), recommendations)  # after each cell: a long run keeps what it has
    table = pl.concat(tables)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, float_precision=3, tbl_width_chars=200):
        print(table.select("regime", "per_day", "segment", "figure", "threshold", "coverage", "coverage_se",
                           "low_misses", "with_interval", "relative_width"))
        print(pl.DataFrame(recommendations))
    print(f"written to {args.out}", file=sys.stderr)


def _write(args, table: pl.DataFrame, recommendations: list[dict]) -> None:
    table = table.sort("regime", "per_day", "segment", "figure", "threshold", nulls_last=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"args": vars(args), "coverage": table.to_dicts(),
                                          "recommendation": recommendations}, indent=1) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(markdown(table, recommendations), encoding="utf-8")


if __name__ == "__main__":
    main()
