"""One router's projection table and summary, for the whole window and for each segment.

Segments (``segment_by``): ``all`` (the window), ``day``, ``surface``, ``mode``, ``language`` and
``query_length`` (query words: 1-4, 5-8, 9-16, 17+). Each segment's figures come from its own
sampled requests, with the window's bootstrap replicates restricted to them (a domain estimate:
the number of its requests drawn varies from replicate to replicate, as it does between samples).

Intervals (95%, ``scoring.projection.intervals``; coverage in docs/STATISTICS.md): proportions (shares,
agreement, unchanged share, quality, AUC, APGR) by Korn-Graubard, savings by bootstrap-t, CPT by
the widened percentile bootstrap. NULL where the figure rests on fewer than ``min_sample``
sampled requests: the segment's (its scored ones for quality figures), the scored ones routed
small for agreement among them, the rarer label's for AUC, those whose answers differ in
quality for APGR and CPT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from scoring.projection.intervals import LEVEL, percentile_interval, proportion_interval, rescaled, studentized_interval
from scoring.projection.sweep import HOURS, Curves, Weights, project_group, suffix_sums, threshold_bins
from scoring.projection.token_prices import token_sums
from scoring.quality.betting import graded_p_value
from scoring.quality.ppi import ReviewedKept, estimate_kept, review_inputs, reviews_to_certify
from scoring.routing.metrics import (
    RISK,
    apgr,
    call_performance_threshold,
    call_performance_threshold_interpolated,
    certify,
    pareto_front,
    performance_gap_recovered,
    recommend,
    weighted_auc,
)

SEGMENTS = ("day", "surface", "mode", "language", "query_length")
LENGTH_BUCKETS = ((4, "1-4"), (8, "5-8"), (16, "9-16"))
CPT_TARGETS = (0.5, 0.8, 0.95)
# Bootstrap-t of skewed savings (the top 1% of requests carrying 13-24%) covers 91-93% at a
# nominal 95% with 50-200 sampled a day, 92.7-94.4% per day at 50 a day at a nominal 97% (the
# 500-sample study, seed 0), 94.6-95.1% at 97.5% (seed 1; docs/STATISTICS.md): the sample rarely
# holds the tail, and no resample can show it. The price is width where the tail is light.
SAVINGS_LEVEL = 0.975
# CPTs are steps of the sweep and their percentile interval ran short at 95% (92.5% for CPT(80%)
# in the window at 200 a day with high agreement, seed 0): percentiles at 96%.
CPT_LEVEL = 0.96
MAX_LEVELS = 2000  # sweep_thresholds(every_level=True) adds at most this many distinct scores


@dataclass(frozen=True)
class Sweep:
    """How one router is swept (the same for every segment)."""

    thresholds: np.ndarray  # sorted
    threshold_source: list[str]  # grid or quantile, by threshold
    cascade: bool
    days: int  # days of logs the window spans
    min_sample: int
    agreement_target: float
    rank_by: str  # dollars (every price known and positive), gpu_hours, or share_small (no costs)
    quality_is_agreement: bool
    # Dollars per million tokens the costs were computed at (scoring.projection.token_prices), when
    # a model is priced per token: its rows keep what repricing them needs.
    token_prices: tuple[float | None, ...] | None = None


def query_length_bucket(words: np.ndarray) -> list[str]:
    """Bucket of each query's word count.

    Example:
        >>> query_length_bucket(np.array([1, 5, 16, 40]))
        ['1-4', '5-8', '9-16', '17+']
    """
    edges = np.array([edge for edge, _ in LENGTH_BUCKETS])
    names = [name for _, name in LENGTH_BUCKETS] + [f"{edges[-1] + 1}+"]
    return [names[i] for i in np.searchsorted(edges, words, side="left")]


def sweep_thresholds(grid_size: int, scores: np.ndarray, *, every_level: bool = False) -> tuple[np.ndarray, list[str]]:
    """``grid_size`` evenly spaced thresholds in [0, 1] plus the 1st to 99th percentiles of the
    sample's scores (actual scores, so each is an operating point), sorted, without repeats;
    ``every_level``: each distinct score too (source "level"), up to MAX_LEVELS of them, so
    a router with few levels (the oracle) has an operating point at each corner of its curve.

    Example:
        >>> t, source = sweep_thresholds(3, np.array([0.2, 0.2, 0.7]))
        >>> t.tolist(), source
        ([0.0, 0.2, 0.5, 0.7, 1.0], ['grid', 'quantile', 'grid', 'quantile', 'grid'])
        >>> sweep_thresholds(3, np.array([0.1] * 200 + [0.9]), every_level=True)[1]
        ['grid', 'quantile', 'grid', 'level', 'grid']
        >>> t, _ = sweep_thresholds(101, np.array([]))
        >>> [float(x) for x in t[[7, 29, 57, 70]]]
        [0.07, 0.29, 0.57, 0.7]
    """
    # i / (n - 1), not np.linspace: each grid threshold is then the double its decimal names
    # (0.7, not linspace's 0.7000000000000001), so SQL's `threshold = 0.7` finds it (issue 24).
    grid = np.arange(grid_size) / max(grid_size - 1, 1)
    quantiles = (np.quantile(scores, np.arange(1, 100) / 100, method="inverted_cdf")
                 if len(scores) else np.array([]))
    levels = np.unique(scores) if every_level else np.array([])
    levels = levels if len(levels) <= MAX_LEVELS else np.array([])
    thresholds = np.unique(np.concatenate([grid, quantiles, levels]))
    source = np.where(np.isin(thresholds, grid), "grid", np.where(np.isin(thresholds, quantiles), "quantile", "level"))
    return thresholds, source.tolist()


def _interval(values: np.ndarray, enough: np.ndarray | bool, scale: float = 1.0,
              bounds: tuple[float, float] = (-np.inf, np.inf), level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of each row (column 0 the point) at ``level``, widened by the
    bootstrap's missing n / (n - 1) (``scale``), within ``bounds``; NaN where not ``enough``."""
    lo, hi = rescaled(values[:, 0], *percentile_interval(values[:, 1:], level), scale)
    lo, hi = np.clip(lo, *bounds), np.clip(hi, *bounds)
    return np.where(enough, lo, np.nan), np.where(enough, hi, np.nan)


def _proportion(values: np.ndarray, enough: np.ndarray | bool, count, n_eff,
                c: Curves) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = proportion_interval(values[:, 0], values[:, 1:], count, n_eff, variance_scale=c.variance_scale)
    return np.where(enough, lo, np.nan), np.where(enough, hi, np.nan)


def _rows(c: Curves, sweep: Sweep, days: int) -> dict[str, np.ndarray]:
    """The table's columns (point, lo, hi) from the curves of one group."""
    enough = c.n_sample >= sweep.min_sample
    scored_enough = c.n_scored >= sweep.min_sample
    out: dict[str, np.ndarray] = {"share_small": c.share_small[:, 0]}
    out["share_small_lo"], out["share_small_hi"] = _proportion(c.share_small, enough, c.n_sample, c.n_eff, c)
    agree = c.agreement_small[:, 0]
    lo, hi = _proportion(c.agreement_small, scored_enough & (c.n_routed_scored >= sweep.min_sample),
                         c.n_routed_scored, c.n_eff_routed, c)
    out.update(agreement_small=agree, agreement_small_lo=lo, agreement_small_hi=hi)
    # Its own interval, over every scored request: none routed small disagreeing is a proportion
    # of 1 like any other, whatever agreement's interval (issue 15).
    out["unchanged_share"] = c.unchanged[:, 0]
    out["unchanged_lo"], out["unchanged_hi"] = _proportion(c.unchanged, scored_enough, c.n_scored, c.n_eff_scored, c)
    if sweep.quality_is_agreement:  # quality is the unchanged share: one figure, one interval
        out.update(quality=out["unchanged_share"], quality_lo=out["unchanged_lo"], quality_hi=out["unchanged_hi"])
    else:
        out["quality"] = c.quality[:, 0]
        out["quality_lo"], out["quality_hi"] = (
            _proportion(c.quality, scored_enough, c.n_scored, c.n_eff_scored, c) if c.quality_is_proportion
            else _interval(c.quality, scored_enough, c.variance_scale, bounds=(0.0, 1.0)))
    out["pgr"] = performance_gap_recovered(c.quality[:, :1], c.weak[:, :1], c.strong[:, :1])[:, 0]
    always_large = c.seconds_always_large[0, 0] / HOURS / days
    saved_hours, hours_lo, hours_hi = _triple(c.seconds_saved, c.seconds_squares, c, enough, 1 / HOURS / days)
    out.update(gpu_hours_per_day=always_large - saved_hours,
               gpu_hours_always_large_per_day=np.full_like(saved_hours, always_large),
               gpu_hours_saved_per_day=saved_hours, gpu_hours_saved_lo=hours_lo, gpu_hours_saved_hi=hours_hi)
    dollars = _triple(c.dollars_saved, c.dollars_squares, c, enough, 1 / days)
    for name, factor in (("per_30_days", 30), ("per_year", 365)):
        out[f"gpu_hours_saved_{name}"] = saved_hours * factor
        out[f"gpu_hours_saved_{name}_lo"], out[f"gpu_hours_saved_{name}_hi"] = hours_lo * factor, hours_hi * factor
    for name, factor in (("per_day", 1), ("per_30_days", 30), ("per_year", 365)):
        out[f"dollars_saved_{name}"] = dollars[0] * factor
        out[f"dollars_saved_{name}_lo"], out[f"dollars_saved_{name}_hi"] = dollars[1] * factor, dollars[2] * factor
    return out


def _triple(totals: np.ndarray, squares: np.ndarray, c: Curves, enough: bool,
            factor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Savings are skewed totals (a few long answers carry much of them): bootstrap-t, not
    # percentiles, at the nominal level that covers 95% in the coverage study (SAVINGS_LEVEL).
    lo, hi = studentized_interval(totals, squares, c.draws, level=SAVINGS_LEVEL)
    return totals[:, 0] * factor, np.where(enough, lo * factor, np.nan), np.where(enough, hi * factor, np.nan)


def _summary_interval(name: str, values: np.ndarray, enough: bool, c: Curves) -> tuple[np.ndarray, np.ndarray]:
    # AUC and APGR are probabilities / areas in [0, 1], skewed near their ends: the proportion
    # interval at the bootstrap's effective size (percentiles covered 91-94% per day at 200 a
    # day); CPTs are discrete steps of the sweep: percentiles.
    if name in ("auc", "apgr") and 0 <= values[0, 0] <= 1:
        return _proportion(values, enough, c.n_scored, c.n_eff_scored, c)
    if name.startswith("cpt"):  # a share of calls: widening never takes it past 0 or 1
        return _interval(values, enough, c.variance_scale, bounds=(0.0, 1.0), level=CPT_LEVEL)
    return _interval(values, enough, c.variance_scale)


def _rank_support(labels: np.ndarray, c: Curves, minimum: int) -> tuple[dict[str, int], list[str]]:
    """What AUC's interval rests on, the scored requests of its rarer label, and what APGR's and
    CPT's rest on, those whose small and large answers differ in quality (under agreement: the
    disagreeing ones); with a handful of them the bootstrap is far too narrow (issue 15's study:
    AUC 57% with ~2 disagreeing a day), so below ``minimum`` there is none, and a note says why."""
    rarer = int(min(np.sum(labels == 1), np.sum(labels == 0)))
    support = {"auc": rarer, "apgr": c.n_quality_differs}
    notes = []
    if 0 < rarer < minimum:
        notes.append(f"AUC rests on {rarer} requests of its rarer label < {minimum}: no interval")
    if 0 < c.n_quality_differs < minimum:
        notes.append(f"APGR and CPT rest on {c.n_quality_differs} requests whose answers differ in quality "
                     f"< {minimum}: no intervals")
    return support, notes


def _number(value) -> float | None:
    return None if np.isnan(value) else float(value)


def gate_measure(quality_measure: str) -> str:
    """What the recommendation certifies among the requests routed small, by quality measure.

    Example:
        >>> gate_measure("agreement"), gate_measure("imported correctness")
        ('agreement', 'quality kept (imported correctness)')
    """
    return "agreement" if quality_measure == "agreement" else f"quality kept ({quality_measure})"


@dataclass(frozen=True)
class Kept:
    """Quality kept among the requests routed small, by threshold: the weighted mean of each
    request's 1 - max(0, quality_large - quality_small) (agreement: the agree label; imported
    correctness: the small answer is right or the large one wrong), unscored requests left out."""

    share: np.ndarray  # by threshold; NaN where no scored request is routed small
    n_eff: np.ndarray  # Kish's effective size of the scored requests routed small
    binary: bool  # every kept value is 0 or 1 (binomial test; else the betting test below)
    values: np.ndarray | None = None  # each request's kept value (NaN: unscored)
    p_value: np.ndarray | None = None  # graded scores: the betting test's p-values (scoring.quality.betting)
    testable: np.ndarray | None = None  # ... and the thresholds it could reject at all


def kept_curve(sample: pl.DataFrame, scores: np.ndarray, thresholds: np.ndarray, target: float | None = None) -> Kept:
    """``Kept`` of one group from its quality_small, quality_large and weight columns; with
    ``target`` and graded (not 0 / 1) values, the betting test's p-values of "kept < target".

    Example:
        >>> s = pl.DataFrame({"weight": [1.0, 1.0, 2.0], "quality_small": [1.0, 0.0, None],
        ...                   "quality_large": [1.0, 1.0, 1.0]})
        >>> k = kept_curve(s, np.array([0.9, 0.2, 0.5]), np.array([0.1, 0.5]))
        >>> k.share.tolist(), k.n_eff.tolist(), k.binary
        ([0.5, 1.0], [2.0, 1.0], True)
    """
    small = sample["quality_small"].cast(pl.Float64).fill_nan(None).to_numpy()
    large = sample["quality_large"].cast(pl.Float64).fill_nan(None).to_numpy()
    kept = 1.0 - np.clip(large - small, 0.0, 1.0)
    scored = ~np.isnan(kept)
    w = sample["weight"].cast(pl.Float64).to_numpy()
    sums = suffix_sums(np.column_stack([w, w * w]), np.column_stack([scored, np.where(scored, kept, 0.0)]),
                       threshold_bins(scores, thresholds), len(thresholds))[:, 1:]
    routed, squares, kept_sum = sums[0, :, 0], sums[0, :, 1], sums[1, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(routed > 0, kept_sum / routed, np.nan)
        n_eff = np.where(squares > 0, routed**2 / squares, 0.0)
    binary = bool(np.isin(kept[scored], (0.0, 1.0)).all())
    if binary or target is None:
        return Kept(share, n_eff, binary, kept)
    # Graded scores: Hoeffding-Bentkus hardly ever rejects near the target; the betting test does.
    p_value, testable = graded_p_value(kept, w, scores, thresholds, target)
    return Kept(share, n_eff, binary, kept, p_value, testable)


def _summary(c: Curves, scores: np.ndarray, labels: np.ndarray, weights: Weights, sweep: Sweep,
             rows: dict[str, np.ndarray], kept: Kept,
             reviewed: tuple[ReviewedKept, object] | None = None) -> tuple[dict, np.ndarray, np.ndarray]:
    """AUC, APGR, CPTs (measured and RouteLLM's interpolated) with intervals; the Pareto flags
    and the recommended row, certified by the fixed-sequence test (``routing_metrics.certify``),
    whose p-values and verdicts go into ``rows``."""
    enough = c.n_sample >= sweep.min_sample
    notes = [] if enough else [f"{c.n_sample} sampled requests < {sweep.min_sample}: no intervals"]
    pgr = performance_gap_recovered(c.quality, c.weak, c.strong)
    scored = ~np.isnan(labels)  # AUC over the scored requests (an unscored pair's label is NaN)
    stats = {"auc": weights.columns(lambda m: weighted_auc(scores, labels == 1, m * scored[:, None].astype(m.dtype))),
             "apgr": apgr(c.share_small, pgr)}
    for target in CPT_TARGETS:
        stats[f"cpt{round(target * 100)}"] = call_performance_threshold(c.share_small, pgr, target)
        stats[f"cpt{round(target * 100)}_routellm"] = call_performance_threshold_interpolated(
            c.share_small, pgr, target)
    summary = {"n_sample": c.n_sample, "weak_quality": _number(c.weak[0, 0]), "strong_quality": _number(c.strong[0, 0])}
    support, support_notes = _rank_support(labels, c, sweep.min_sample)
    notes += support_notes if enough else []
    for name, values in stats.items():
        summary[name] = _number(values[0])
        rests = support["auc" if name == "auc" else "apgr"] >= sweep.min_sample
        lo, hi = _summary_interval(name, values[None, :], enough & rests & ~np.isnan(values[0]), c)
        summary[f"{name}_lo"], summary[f"{name}_hi"] = _number(lo[0]), _number(hi[0])
    if summary["auc"] is None:
        notes.append("the label has one value only: AUC undefined")
    if summary["apgr"] is None:
        notes.append("the large model is not better than the small one here: PGR, CPT and APGR undefined")
    savings = {"dollars": rows["dollars_saved_per_day"], "gpu_hours": rows["gpu_hours_saved_per_day"],
               "share_small": rows["share_small"]}[sweep.rank_by]
    pareto = pareto_front(savings, rows["quality"])
    target = sweep.agreement_target
    if reviewed is None:  # the estimate rests on the rule's / judge's labels alone, as before
        test = certify(kept.share, kept.n_eff, target, binary=kept.binary, p_value=kept.p_value,
                       testable=kept.testable)
        rows.update(kept_small=kept.share, kept_p_value=test.p_value, certified=test.certified,
                    kept_source=np.full(len(kept.share), "predictions"))
    else:
        estimate, inputs = reviewed
        test = certify(estimate.estimate, kept.n_eff, target, binary=kept.binary, p_value=estimate.p_value,
                       testable=estimate.testable)
        rows.update(kept_small=estimate.estimate, kept_small_lo=estimate.lo, kept_small_hi=estimate.hi,
                    kept_without_reviews=kept.share,
                    kept_p_value=test.p_value, certified=test.certified, kept_source=estimate.source,
                    kept_reviews=estimate.reviews.astype(np.int32), kept_lambda=estimate.lam,
                    reviews_to_certify=_reviews_to_certify(estimate, inputs, scores, savings, test, rows, target))
    best = recommend(savings, test.certified, rows["threshold"])
    recommended = np.zeros(len(savings), dtype=bool)
    summary.update(recommendation_risk=RISK, certify_min_routed=test.min_routed, certifiable_share_small=(
        None if test.first_tested is None else float(rows["share_small"][test.first_tested])))
    if best is None:
        notes.append(_no_recommendation(test, kept, rows, target) if reviewed is None
                     else _not_certified_by_reviews(reviewed[0], test, target))
        summary["recommended_threshold"] = None
    else:
        recommended[best] = True
        summary["recommended_threshold"] = float(rows["threshold"][best])
    summary["note"] = "; ".join(notes) or None
    return summary, pareto, recommended


def _reviews_to_certify(estimate: ReviewedKept, inputs, scores: np.ndarray, savings: np.ndarray, test,
                        rows: dict[str, np.ndarray], target: float) -> np.ndarray:
    """More reviews it would take to certify the best candidate (on its row; NaN elsewhere): the
    most saving threshold not certified whose estimate is above the target and more saving than
    any certified one (``scoring.quality.ppi.reviews_to_certify``)."""
    out = np.full(len(savings), np.nan)
    certified_best = np.max(savings[test.certified], initial=0.0)
    candidates = np.flatnonzero(~test.certified & (savings > certified_best) & (estimate.estimate > target)
                                & (estimate.reviews > 0))
    if len(candidates):
        j = candidates[np.lexsort((rows["threshold"][candidates], savings[candidates]))[-1]]
        need = reviews_to_certify(inputs, scores, float(rows["threshold"][j]), target)
        out[j] = np.nan if need is None else need
    return out


def _not_certified_by_reviews(estimate: ReviewedKept, test, target: float) -> str:
    reviews = int(np.max(estimate.reviews, initial=0))
    if test.first_tested is None:
        return (f"too few reviews routed small to certify {target:.0%} at any threshold (at most {reviews}; "
                f"kept estimated from the predictions and the reviews)")
    return f"not certified at {target:.0%} by the reviews (kept estimated from the predictions and {reviews} reviews)"


def _no_recommendation(test, kept: Kept, rows: dict[str, np.ndarray], target: float) -> str:
    if test.first_tested is None:
        return (f"too few requests routed small to certify {target:.0%} at any threshold: it takes "
                f"{test.min_routed:.0f} (effective) routed small, all kept; at most "
                f"{np.max(kept.n_eff, initial=0):.0f} are")
    if not test.certified.any():
        first = test.first_tested
        return (f"not certified at {target:.0%} even at the strictest testable threshold "
                f"{rows['threshold'][first]:.3f} "
                f"({rows['share_small'][first]:.1%} routed small, {kept.n_eff[first]:.0f} effective, "
                f"{kept.share[first]:.1%} kept, p = {test.p_value[first]:.2f} > {RISK})")
    return f"no threshold certified at {target:.0%} saves anything"


def _groups(sample: pl.DataFrame, segments: tuple[str, ...]) -> list[tuple[str, str, np.ndarray | None]]:
    groups: list[tuple[str, str, np.ndarray | None]] = [("all", "all", None)]
    for column in segments:
        values = sample[column].cast(pl.String).fill_null("unknown").to_numpy()
        for value in sorted(set(values.tolist())):
            groups.append((column, value, np.flatnonzero(values == value)))
    return groups


def project_router(sample: pl.DataFrame, scores: np.ndarray, weights: Weights, sweep: Sweep, *,
                   segments: tuple[str, ...] = SEGMENTS) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(routing_projection rows, router_metrics rows) of one router: the window and ``segments``.

    ``sample`` has the columns ``scoring.projection.sweep.REQUIRED``, ``label`` (the small answer is
    good enough: AUC's target), ``day`` and the SEGMENTS; ``weights`` its
    ``scoring.projection.sweep.replicate_weights`` (the window's bootstrap, shared by all routers).
    """
    tables, summaries = [], []
    labels = sample["label"].cast(pl.Boolean).cast(pl.Float64).to_numpy()  # 1, 0, NaN: unscored
    size = len(sweep.thresholds)
    for segment_by, segment, members in _groups(sample, segments):
        part, part_weights, part_scores = ((sample, weights, scores) if segment_by == "all"  # no copy
                                           else (sample[members], weights[members], scores[members]))
        curves = project_group(part, part_scores, part_weights, thresholds=sweep.thresholds, cascade=sweep.cascade)
        days = 1 if segment_by == "day" else sweep.days
        rows = {"threshold": sweep.thresholds, **_rows(curves, sweep, days)}
        part_labels = labels if members is None else labels[members]
        kept = kept_curve(part, part_scores, sweep.thresholds, sweep.agreement_target)
        reviewed = _reviewed(part, part_scores, sweep, kept)
        summary, pareto, recommended = _summary(curves, part_scores, part_labels, part_weights, sweep, rows, kept,
                                                reviewed)
        tables.append(pl.DataFrame({
            "segment_by": segment_by, "segment": segment, **rows,
            "threshold_source": sweep.threshold_source,
            "n_sample": np.full(size, curves.n_sample, dtype=np.int32),
            "n_routed_small": curves.n_routed.astype(np.int32),
            "requests_per_day": np.full(size, float(part["weight"].sum()) / days),
            "pareto": pareto, "recommended": recommended,
        }, nan_to_null=True).with_columns(_token_columns(part, part_scores, sweep, days)))
        summaries.append({"segment_by": segment_by, "segment": segment, **summary})
    return pl.concat(tables, how="diagonal_relaxed"), pl.DataFrame(summaries, nan_to_null=True)


def _token_columns(part: pl.DataFrame, scores: np.ndarray, sweep: Sweep, days: int) -> list[pl.Series]:
    """What repricing a row per token needs (scoring.projection.token_prices): the prices used,
    the savings vector per day and its second moments; none when no model is priced per token."""
    if sweep.token_prices is None:
        return []
    hosted = (sweep.token_prices[0] is not None, sweep.token_prices[2] is not None)
    sums, moments = token_sums(part, scores, sweep.thresholds, hosted, cascade=sweep.cascade, days=days)
    size = len(sweep.thresholds)
    prices = [[None if p is None else float(p) for p in sweep.token_prices]] * size
    return [pl.Series("token_prices", prices, dtype=pl.List(pl.Float64)),
            pl.Series("token_savings_per_day", sums.tolist(), dtype=pl.List(pl.Float64)),
            pl.Series("token_moments_per_day", moments.tolist(), dtype=pl.List(pl.Float64))]


def _reviewed(part: pl.DataFrame, scores: np.ndarray, sweep: Sweep, kept: Kept) -> tuple[ReviewedKept, object] | None:
    """Kept among the routed small from the predictions and the reviews (``scoring.quality.ppi``),
    with its inputs; None without a reviewed pair in the group (the rule's labels alone, as before)."""
    inputs = review_inputs(part, kept.values)
    if inputs is None:
        return None
    return estimate_kept(inputs, scores, sweep.thresholds, sweep.agreement_target), inputs
