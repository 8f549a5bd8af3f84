"""The projection with reviews (scoring.projection.table.project_router): the optional columns
p_parity, review_parity and review_inclusion correct kept among the routed small; without
reviews the output is today's and says it rests on predictions."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.projection.intervals import bootstrap_counts
from scoring.projection.sweep import replicate_weights
from scoring.projection.table import Sweep, project_router

N = 600


def _sample(agree: np.ndarray, **extra) -> pl.DataFrame:
    n = len(agree)
    return pl.DataFrame({
        "day": ["2026-11-01"] * n, "weight": np.full(n, 10.0),
        "agree": agree, "quality_small": agree, "quality_large": np.ones(n), "label": agree.astype(bool),
        "small_seconds": np.ones(n), "large_seconds": np.full(n, 4.0), "router_seconds": np.zeros(n),
        "small_dollars": np.full(n, 0.01), "large_dollars": np.full(n, 0.04), "router_dollars": np.zeros(n),
        "surface": ["chat"] * n, "mode": ["precise"] * n, "language": ["en"] * n, "query_length": ["1-4"] * n,
        **extra,
    })


def _run(sample: pl.DataFrame, scores: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame]:
    thresholds = np.array([0.0, 0.25, 0.5, 0.75])
    sweep = Sweep(thresholds, ["grid"] * 4, False, 1, 30, 0.95, "dollars", True)
    counts = bootstrap_counts(sample["day"].to_numpy(), 200, 0)
    weights = replicate_weights(sample["weight"].to_numpy(), counts)
    table, metrics = project_router(sample, scores, weights, sweep, segments=())
    return table, metrics


def _world(seed=0):
    rng = np.random.default_rng(seed)
    scores = rng.uniform(size=N)
    truth = (rng.uniform(size=N) < 0.85 + 0.14 * scores).astype(float)  # 0.85 .. 0.99, rising with the score
    return rng, scores, truth


def test_without_reviews_the_output_stands_and_says_predictions():
    _, scores, truth = _world()
    plain, plain_metrics = _run(_sample(truth), scores)
    nulls = {c: pl.Series(c, [None] * N, dtype=pl.Float64) for c in ("p_parity", "review_parity", "review_inclusion")}
    empty, empty_metrics = _run(_sample(truth, **nulls), scores)
    assert plain.equals(empty) and plain_metrics.equals(empty_metrics)
    assert set(plain["kept_source"].to_list()) == {"predictions"}
    assert "kept_small_lo" not in plain.columns


def test_reviews_correct_a_judge_that_calls_everything_kept():
    rng, scores, truth = _world()
    reviewed = rng.uniform(size=N) < 0.5
    sample = _sample(np.ones(N), review_parity=np.where(reviewed, truth, np.nan),
                     review_inclusion=np.where(reviewed, 0.5, np.nan))
    judged_only, _ = _run(_sample(np.ones(N)), scores)
    assert judged_only["certified"].any()  # the judge alone certifies: it sees no loss at all
    table, metrics = _run(sample, scores)
    window = table.filter(pl.col("segment_by") == "all")
    assert set(window["kept_source"].to_list()) == {"predictions and reviews"}
    true_kept = np.array([truth[scores >= t].mean() for t in window["threshold"]])
    assert (window["kept_small"].to_numpy() < 0.99).all()  # no longer the judge's 1.0
    lo, hi = window["kept_small_lo"].to_numpy(), window["kept_small_hi"].to_numpy()
    assert ((lo <= true_kept) & (true_kept <= hi)).all()
    assert (window["kept_reviews"].to_numpy() == [int(reviewed[scores >= t].sum()) for t in window["threshold"]]).all()


def test_a_p_parity_predictor_is_used_and_reviews_to_certify_is_on_the_candidate():
    rng, scores, truth = _world(1)
    reviewed = rng.uniform(size=N) < 0.1
    p_parity = np.clip(truth * 0.9 + 0.05 + rng.normal(0, 0.02, N), 0, 1)  # a good predictor
    sample = _sample(np.zeros(N), p_parity=p_parity, review_parity=np.where(reviewed, truth, np.nan),
                     review_inclusion=np.where(reviewed, 0.1, np.nan))
    table, _ = _run(sample, scores)
    window = table.filter(pl.col("segment_by") == "all")
    # the predictor carries weight (not the agree = 0 labels) where the reviews routed small hold
    # both labels; where all are kept it cannot be told from noise and lambda is 0
    assert window["kept_lambda"][0] > 0.5
    assert (window["kept_small"].to_numpy() > 0.85).all()
    need = window.filter(pl.col("reviews_to_certify").is_not_null())
    assert need.height <= 1
    if need.height:
        assert need["reviews_to_certify"][0] > 0 and not need["certified"][0]


def test_reviews_without_a_predictor_give_the_estimate():
    rng, scores, truth = _world(2)
    reviewed = rng.uniform(size=N) < 0.5
    unscored = pl.Series("agree", [None] * N, dtype=pl.Float64)
    sample = _sample(np.ones(N), review_parity=np.where(reviewed, truth, np.nan),
                     review_inclusion=np.where(reviewed, 0.5, np.nan)).with_columns(
        unscored, unscored.alias("quality_small"), unscored.alias("quality_large"), unscored.alias("label"))
    table, _ = _run(sample, scores)
    window = table.filter(pl.col("segment_by") == "all")
    assert set(window["kept_source"].to_list()) == {"reviews"}
    first = window.row(0, named=True)
    assert abs(first["kept_small"] - truth[reviewed].mean()) < 1e-9 and first["kept_lambda"] == 0.0


def test_the_new_columns_are_stored_by_migration_018():
    import duckdb

    from warehouse.db import insert_rows, migrate

    rng, scores, truth = _world(3)
    reviewed = rng.uniform(size=N) < 0.3
    table, _ = _run(_sample(np.ones(N), review_parity=np.where(reviewed, truth, np.nan),
                            review_inclusion=np.where(reviewed, 0.3, np.nan)), scores)
    con = duckdb.connect()
    migrate(con)
    insert_rows(con, "routing_projection", table.with_columns(pl.lit("d").alias("dataset"), pl.lit("r").alias("router"),
                                                              pl.lit(0.5).alias("utilisation")))
    stored = con.execute("SELECT kept_source, kept_small_lo, kept_small_hi, kept_reviews, kept_lambda, "
                         "reviews_to_certify FROM routing_projection ORDER BY threshold").fetchall()
    window = table.filter(pl.col("segment_by") == "all").sort("threshold")
    assert [r[0] for r in stored] == window["kept_source"].to_list()
    assert [r[3] for r in stored] == window["kept_reviews"].to_list()
    assert [r[1] for r in stored] == pytest.approx(window["kept_small_lo"].to_list())
