"""scoring.projection.table: intervals, the recommended threshold, segments and bad input, on
samples small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.stats import beta

from scoring.projection.intervals import bootstrap_counts
from scoring.projection.sweep import HOURS, replicate_weights
from scoring.projection.table import (
    Sweep,
    project_router,
    query_length_bucket,
    sweep_thresholds,
)


def _sample(n: int, *, agree, weight=10.0, day=None, small=1.0, large=4.0) -> pl.DataFrame:
    agree = np.asarray(agree, dtype=float)
    return pl.DataFrame({
        "day": day if day is not None else ["2026-11-01"] * n, "weight": np.full(n, weight),
        "agree": agree, "quality_small": agree, "quality_large": np.ones(n), "label": agree.astype(bool),
        "small_seconds": np.full(n, small), "large_seconds": np.full(n, large), "router_seconds": np.zeros(n),
        "small_dollars": np.full(n, small / 100), "large_dollars": np.full(n, large / 100), "router_dollars": np.zeros(n),
        "surface": ["chat"] * n, "mode": ["precise"] * n, "language": ["en"] * n, "query_length": ["1-4"] * n,
    })


def _sweep(thresholds, *, min_sample=30, target=0.95, days=1, cascade=False, rank_by="dollars") -> Sweep:
    thresholds = np.asarray(thresholds, dtype=float)
    return Sweep(thresholds, ["grid"] * len(thresholds), cascade, days, min_sample, target, rank_by, True)


def _run(sample, scores, sweep, replicates=4000, seed=0):
    counts = bootstrap_counts(sample["day"].to_numpy(), replicates, seed)
    return project_router(sample, np.asarray(scores, dtype=float), replicate_weights(sample["weight"].to_numpy(), counts), sweep)


def _window(table: pl.DataFrame) -> pl.DataFrame:
    return table.filter(pl.col("segment_by") == "all")


def test_bootstrap_interval_by_hand():
    # Two requests of one day, weight 10; A (score 0.9) routed small saves 3 s, B saves nothing.
    # Resamples: AA (1/4) saves 60 s, AB (1/2) 30 s, BB (1/4) 0 s. Bootstrap-t: AA and BB have
    # no spread (SE 0, no t), AB is the sample (t = 0): the interval is the point. (Two requests
    # say nothing of a total's spread; min_sample keeps this from the tables.)
    table, _ = _run(_sample(2, agree=[1, 0]), [0.9, 0.1], _sweep([0.5], min_sample=2))
    row = _window(table).row(0, named=True)
    assert row["gpu_hours_saved_per_day"] == pytest.approx(30 / HOURS)
    assert (row["gpu_hours_saved_lo"], row["gpu_hours_saved_hi"]) == pytest.approx((30 / HOURS, 30 / HOURS))
    assert row["dollars_saved_per_year"] == pytest.approx(0.30 * 365)
    # share 1/2: bootstrap variance 1/8 (up to Monte Carlo error), doubled: n* = 1/4 / 1/4 = 1,
    # Clopper-Pearson at 1/2 of 1
    assert row["share_small_lo"] == pytest.approx(beta.ppf(0.025, 0.5, 1.5), rel=0.3)
    assert row["share_small_hi"] == pytest.approx(beta.ppf(0.975, 1.5, 0.5), rel=1e-3)


def test_resampling_stays_within_each_day():
    # The same two requests on two days: each day resamples its only request, so every
    # replicate is the sample itself and the interval is the point.
    table, _ = _run(_sample(2, agree=[1, 0], day=["2026-11-01", "2026-11-02"]), [0.9, 0.1],
                    _sweep([0.5], min_sample=2, days=2))
    row = _window(table).row(0, named=True)
    assert row["gpu_hours_saved_lo"] == pytest.approx(row["gpu_hours_saved_per_day"])
    assert row["gpu_hours_saved_hi"] == pytest.approx(row["gpu_hours_saved_per_day"])


def test_all_agree_gets_the_exact_bound_not_a_point():
    # Four equal-weight requests routed small, all agree: the bootstrap only ever sees 100%.
    table, _ = _run(_sample(6, agree=[1, 1, 1, 1, 0, 0]), [0.9, 0.8, 0.7, 0.6, 0.1, 0.1], _sweep([0.5], min_sample=4))
    row = _window(table).row(0, named=True)
    assert row["agreement_small"] == 1.0
    assert row["agreement_small_lo"] == pytest.approx(0.025 ** (1 / 4))  # Clopper-Pearson, n_eff 4
    assert row["agreement_small_hi"] == 1.0
    # unchanged: none of the 6 changes, a proportion of 1 in 6 of its own
    assert (row["unchanged_share"], row["unchanged_hi"]) == (1.0, 1.0)
    assert row["unchanged_lo"] == pytest.approx(0.025 ** (1 / 6))


def test_none_routed_disagrees_with_fewer_than_30_routed():
    # 20 of 60 routed small, all agree; 40 routed large, half of which would have disagreed.
    # Agreement has no interval (20 < 30), but the unchanged share (1: no answer changes) has
    # its own, from the 60: it used to collapse to [1, 1] (issue 15).
    agree = [1] * 20 + [1, 0] * 20
    scores = [0.9] * 20 + [0.1] * 40
    table, _ = _run(_sample(60, agree=agree), scores, _sweep([0.5]), replicates=500)
    row = _window(table).row(0, named=True)
    assert row["n_routed_small"] == 20 and row["agreement_small"] == 1.0
    assert row["agreement_small_lo"] is None and row["agreement_small_hi"] is None
    assert row["unchanged_share"] == 1.0 and row["unchanged_hi"] == 1.0
    assert row["unchanged_lo"] == pytest.approx(0.025 ** (1 / 60))
    assert row["quality_lo"] == row["unchanged_lo"]  # quality is agreement here


def test_every_routed_request_disagrees():
    # 40 routed small, none agrees: agreement 0 in every replicate, so the upper bound is the
    # exact one, 1 - 0.025^(1/40); the unchanged share 1 - 40/80 gets a proper interval.
    agree = [0] * 40 + [1] * 40
    scores = [0.9] * 40 + [0.1] * 40
    table, _ = _run(_sample(80, agree=agree), scores, _sweep([0.5]), replicates=1000)
    row = _window(table).row(0, named=True)
    assert row["agreement_small"] == 0.0 and row["agreement_small_lo"] == 0.0
    assert row["agreement_small_hi"] == pytest.approx(1 - 0.025 ** (1 / 40))
    assert row["unchanged_share"] == 0.5
    assert 0.3 < row["unchanged_lo"] < 0.45 and 0.55 < row["unchanged_hi"] < 0.7


def test_too_small_a_sample_has_no_interval_and_says_so():
    table, metrics = _run(_sample(5, agree=[1, 1, 0, 1, 0]), [0.9, 0.8, 0.7, 0.6, 0.1], _sweep([0.0, 0.5, 1.0]))
    window = _window(table)
    interval_columns = [c for c in window.columns if c.endswith(("_lo", "_hi"))]
    assert len(interval_columns) == 20  # 10 figures, each with lo and hi
    assert all(window[c].null_count() == window.height for c in interval_columns)
    assert window["share_small"].to_list() == [1.0, 0.8, 0.0]  # the point estimates are still there
    summary = metrics.filter(pl.col("segment_by") == "all").row(0, named=True)
    assert summary["auc"] is not None and summary["auc_lo"] is None and summary["apgr_lo"] is None
    assert "5 sampled requests < 30: no intervals" in summary["note"]


def test_recommended_threshold_by_hand():
    # 80 agreeing requests scored 0.30 to 0.89 and 20 disagreeing ones all scored 0.2. Any
    # threshold at or below 0.2 routes the 20 too (agreement 80%); from 0.2 up to 0.30 it routes
    # exactly the 80, all agreeing: agreement 1 with lower bound 0.025^(1/80) = 0.9549 >= 95%.
    # Routing more saves more, so the recommendation is the highest threshold that routes all
    # 80: 0.30, saving 80 x (4 - 1) s x weight 10 a day.
    scores = np.concatenate([0.30 + 0.0075 * np.arange(80), np.full(20, 0.2)])
    sample = _sample(100, agree=[1] * 80 + [0] * 20)
    thresholds, source = sweep_thresholds(101, scores)
    sweep = Sweep(thresholds, source, False, 1, 30, 0.95, "dollars", True)
    table, metrics = _run(sample, scores, sweep, replicates=1000)
    window = _window(table)
    best = window.filter(pl.col("recommended")).row(0, named=True)
    assert best["threshold"] == pytest.approx(0.30)
    assert best["share_small"] == 0.8 and best["n_routed_small"] == 80
    assert best["agreement_small_lo"] == pytest.approx(0.025 ** (1 / 80))
    assert best["gpu_hours_saved_per_day"] == pytest.approx(80 * 3 * 10 / HOURS)
    assert best["dollars_saved_per_day"] == pytest.approx(80 * 0.03 * 10)
    summary = metrics.filter(pl.col("segment_by") == "all").row(0, named=True)
    assert summary["recommended_threshold"] == pytest.approx(0.30)
    # 20 disagreeing requests: too few for AUC's, APGR's and CPT's intervals, and the note says so
    assert summary["note"] == ("AUC rests on 20 requests of its rarer label < 30: no interval; APGR and CPT rest "
                               "on 20 requests whose answers differ in quality < 30: no intervals")
    assert summary["auc"] is not None and summary["auc_lo"] is None and summary["apgr_lo"] is None
    # certified by the fixed-sequence test: 80 of 80 kept, p = P(Binomial(80, 0.95) >= 80) = 0.95^80
    assert best["certified"] and best["kept_small"] == 1.0 and best["kept_p_value"] == pytest.approx(0.95**80)
    assert summary["certify_min_routed"] == 59 and summary["recommendation_risk"] == 0.05
    # one recommended row per segment, and a stricter target finds none, with a reason: 97% takes
    # 99 routed small all kept (0.97^99 <= 5%), and no threshold routes more than 80 that all agree
    assert window["recommended"].sum() == 1
    _, strict = _run(sample, scores, Sweep(thresholds, source, False, 1, 30, 0.97, "dollars", True), replicates=200)
    row = strict.filter(pl.col("segment_by") == "all").row(0, named=True)
    assert row["recommended_threshold"] is None and "not certified at 97%" in row["note"], row["note"]


def test_cpt_and_apgr_come_with_intervals():
    rng = np.random.default_rng(1)
    scores = rng.uniform(size=400)
    agree = rng.uniform(size=400) < 0.2 + 0.7 * scores
    _, metrics = _run(_sample(400, agree=agree), scores, _sweep(np.linspace(0, 1, 51)), replicates=500)
    row = metrics.filter(pl.col("segment_by") == "all").row(0, named=True)
    for name in ("auc", "apgr", "cpt50", "cpt80", "cpt95"):
        assert row[f"{name}_lo"] <= row[name] <= row[f"{name}_hi"], name
        assert row[f"{name}_hi"] - row[f"{name}_lo"] > 0, name
    assert 0.6 < row["auc"] < 0.9 and 0.5 < row["apgr"] < 1.0  # a useful router beats random (0.5)


def test_a_router_that_scores_every_request_the_same():
    rng = np.random.default_rng(2)
    sample = _sample(60, agree=rng.permutation([1, 0] * 30))
    table, metrics = _run(sample, np.full(60, 0.4), _sweep([0.0, 0.4, 0.41, 1.0]), replicates=300)
    window = _window(table)
    assert window["share_small"].to_list() == [1.0, 1.0, 0.0, 0.0]
    assert window["agreement_small"][2] is None and window["agreement_small_lo"][2] is None
    row = metrics.filter(pl.col("segment_by") == "all").row(0, named=True)
    assert (row["auc"], row["apgr"], row["cpt50"], row["cpt95"]) == (0.5, 0.5, 1.0, 1.0)
    # every replicate is the same: AUC's and APGR's intervals are the point, not NaN
    assert (row["auc_lo"], row["auc_hi"], row["apgr_lo"], row["apgr_hi"]) == (0.5, 0.5, 0.5, 0.5)
    # all routed small or none: the share's bounds are the exact ones of 60 of 60 and 0 of 60
    assert window["share_small_lo"][1] == pytest.approx(0.025 ** (1 / 60)) and window["share_small_hi"][1] == 1.0
    assert window["share_small_lo"][2] == 0.0 and window["share_small_hi"][2] == pytest.approx(1 - 0.025 ** (1 / 60))
    # savings do not vary with the (single) score: BCa gives an interval around the point
    for i in range(4):
        assert window["gpu_hours_saved_lo"][i] <= window["gpu_hours_saved_per_day"][i] <= window["gpu_hours_saved_hi"][i]


def test_no_request_on_one_side_of_the_grid():
    # Every score below the lowest positive threshold: all large at every threshold above 0.
    table, _ = _run(_sample(40, agree=[1, 0] * 20), np.full(40, 0.0), _sweep([0.0, 0.5, 1.0]), replicates=200)
    window = _window(table)
    assert window["share_small"].to_list() == [1.0, 0.0, 0.0]
    assert window["agreement_small"].to_list() == [0.5, None, None]
    assert window["unchanged_share"].to_list() == [0.5, 1.0, 1.0]
    assert window["gpu_hours_saved_per_day"][1] == 0.0 and window["gpu_hours_saved_lo"][1] == 0.0


def test_segments_and_days():
    n = 60
    sample = _sample(n, agree=[1, 0, 1] * 20, day=["2026-11-01"] * 40 + ["2026-11-02"] * 20).with_columns(
        surface=pl.Series(["chat", "search"] * 30))
    table, metrics = _run(sample, np.linspace(0, 1, n), _sweep([0.5], min_sample=10, days=2), replicates=200)
    rows = {(r["segment_by"], r["segment"]): r for r in table.iter_rows(named=True)}
    assert rows[("all", "all")]["requests_per_day"] == pytest.approx(n * 10 / 2)
    assert rows[("day", "2026-11-01")]["requests_per_day"] == pytest.approx(400.0)  # a day is one day
    assert rows[("day", "2026-11-02")]["n_sample"] == 20
    assert rows[("surface", "chat")]["n_sample"] + rows[("surface", "search")]["n_sample"] == n
    # segment totals add up to the window's
    saved = rows[("surface", "chat")]["gpu_hours_saved_per_day"] + rows[("surface", "search")]["gpu_hours_saved_per_day"]
    assert saved == pytest.approx(rows[("all", "all")]["gpu_hours_saved_per_day"])
    assert set(metrics["segment_by"]) == {"all", "day", "surface", "mode", "language", "query_length"}


def test_sweep_thresholds_and_length_buckets():
    thresholds, source = sweep_thresholds(11, np.array([0.05, 0.05, 0.33]))
    assert np.allclose(thresholds, [0.0, 0.05, 0.1, 0.2, 0.3, 0.33, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert [s for t, s in zip(thresholds, source) if s == "quantile"] == ["quantile", "quantile"]
    assert query_length_bucket(np.array([0, 4, 5, 8, 9, 16, 17])) == ["1-4", "1-4", "5-8", "5-8", "9-16", "9-16", "17+"]


def test_unscored_pairs_are_left_out_of_agreement_and_auc():
    rng = np.random.default_rng(4)
    n = 120
    scores = rng.uniform(size=n)
    agree = (rng.uniform(size=n) < 0.3 + 0.6 * scores).astype(float)
    unscored = np.arange(n) % 6 == 0
    sample = _sample(n, agree=agree).with_columns(
        *[pl.Series(c, [None if u else a for u, a in zip(unscored, agree)], dtype=pl.Float64)
          for c in ("agree", "quality_small")],
        pl.Series("label", [None if u else bool(a) for u, a in zip(unscored, agree)], dtype=pl.Boolean))
    table, metrics = _run(sample, scores, _sweep([0.0, 0.5]), replicates=300)
    scored_only, scored_metrics = _run(_sample(n, agree=agree)[np.flatnonzero(~unscored)], scores[~unscored],
                                       _sweep([0.0, 0.5]), replicates=300)
    row, alone = _window(table).row(1, named=True), _window(scored_only).row(1, named=True)
    assert row["agreement_small"] == pytest.approx(alone["agreement_small"])
    assert row["unchanged_share"] == pytest.approx(alone["unchanged_share"])
    assert row["n_routed_small"] == int((scores >= 0.5).sum())  # every request is routed
    auc = metrics.filter(pl.col("segment_by") == "all")["auc"][0]
    assert auc == pytest.approx(scored_metrics.filter(pl.col("segment_by") == "all")["auc"][0])
    assert row["agreement_small_lo"] < row["agreement_small"] < row["agreement_small_hi"]


def test_cpt_intervals_stay_shares_of_calls():
    # A router that barely helps: its CPT(50%) sits near 100% and the widened percentile interval
    # once reached 102.1% in the demo; a share of calls never leaves [0, 1].
    rng = np.random.default_rng(3)
    scores = rng.uniform(size=60)
    agree = rng.uniform(size=60) < 0.05
    _, metrics = _run(_sample(60, agree=agree), scores, _sweep(np.linspace(0, 1, 51)), replicates=500)
    for row in metrics.iter_rows(named=True):
        for name in ("cpt50", "cpt80", "cpt95", "cpt50_routellm", "cpt80_routellm", "cpt95_routellm"):
            for bound in (row[f"{name}_lo"], row[f"{name}_hi"]):
                assert bound is None or 0.0 <= bound <= 1.0, (name, bound)
