"""scoring.projection.run: request costs from cost models and the price table (a missing GPU type,
a price of zero, a hosted large model, no cost model), and the rows of every router."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.config import load_config
from scoring.projection.run import project_all, with_costs
from scoring.projection.sweep import HOURS

SMALL_FIT = {"seconds_per_request": 0.1, "seconds_per_prompt_token": 0.01, "seconds_per_output_token": 0.1,
             "device": "cuda:NVIDIA H100 80GB HBM3"}
LARGE_FIT = {"seconds_per_request": 0.5, "seconds_per_prompt_token": 0.02, "seconds_per_output_token": 0.5,
             "device": "cuda:NVIDIA H100 80GB HBM3"}


def _tokens(n: int = 4) -> pl.DataFrame:
    return pl.DataFrame({"small_prompt_tokens": [10] * n, "small_output_tokens": [5] * n,
                         "large_prompt_tokens": [10] * n, "large_output_tokens": [4] * n})


def _config(**pricing):
    return load_config(None, pricing={"dollars_per_hour": {"cpu": 0.1, "H100": 3.6}, "utilisation": 0.5, **pricing})


def test_seconds_and_dollars_from_the_cost_models():
    frame, costing = with_costs(_tokens(), {"small": SMALL_FIT, "large": LARGE_FIT}, _config())
    # small: 0.1 + 0.01 x 10 + 0.1 x 5 = 0.7 s; large: 0.5 + 0.02 x 10 + 0.5 x 4 = 2.7 s
    assert frame["small_seconds"].to_list() == pytest.approx([0.7] * 4)
    assert frame["large_seconds"].to_list() == pytest.approx([2.7] * 4)
    # $3.6 per paid hour at 50% utilisation: $0.002 per useful second
    assert frame["large_dollars"].to_list() == pytest.approx([2.7 * 0.002] * 4)
    assert (costing.device, costing.dollars_per_gpu_hour, costing.rank_by, costing.note) == (
        "cuda:NVIDIA H100 80GB HBM3", 3.6, "dollars", None)


def test_a_missing_gpu_type_gives_no_dollars_and_ranks_by_gpu_hours():
    a10 = {**LARGE_FIT, "device": "cuda:NVIDIA A10G"}
    frame, costing = with_costs(_tokens(), {"small": SMALL_FIT, "large": a10}, _config())
    assert frame["large_dollars"].is_nan().all() and not frame["small_dollars"].is_nan().any()
    assert costing.rank_by == "gpu_hours" and costing.dollars_per_gpu_hour is None
    assert "no price for the GPU type of device 'cuda:NVIDIA A10G'" in costing.note


def test_a_price_of_zero_gives_zero_dollars_and_ranks_by_gpu_hours():
    frame, costing = with_costs(_tokens(), {"small": SMALL_FIT, "large": LARGE_FIT},
                                _config(dollars_per_hour={"H100": 0.0}))
    assert frame["large_dollars"].to_list() == [0.0] * 4
    assert costing.rank_by == "gpu_hours" and "price of H100 is 0" in costing.note


def test_a_hosted_large_model_costs_tokens_not_gpu_hours():
    cfg = _config(large_hosted=True, hosted_large_price={
        "input_dollars_per_million": 1.0, "output_dollars_per_million": 4.0, "as_of": "2026-11-01", "source": "test"})
    frame, costing = with_costs(_tokens(), {"small": SMALL_FIT, "large": LARGE_FIT}, cfg)
    assert frame["large_seconds"].to_list() == [0.0] * 4  # the provider's GPUs
    assert frame["large_dollars"].to_list() == pytest.approx([(10 * 1.0 + 4 * 4.0) / 1e6] * 4)
    assert costing.rank_by == "dollars" and costing.device == "cuda:NVIDIA H100 80GB HBM3"


def test_no_cost_model_leaves_costs_unknown():
    frame, costing = with_costs(_tokens(), {"small": None, "large": None}, _config())
    assert frame["small_seconds"].is_nan().all() and costing.rank_by == "share_small"
    assert "costs unknown" in costing.note


def test_project_all_writes_every_router_with_its_own_cost():
    n = 40
    rng = np.random.default_rng(0)
    agree = (rng.uniform(size=n) < 0.6).astype(float)
    sample = _tokens(n).with_columns(
        day=pl.lit("2026-11-01"), weight=pl.lit(5.0), agree=pl.Series(agree), quality_small=pl.Series(agree),
        quality_large=pl.lit(1.0), label=pl.Series(agree.astype(bool)), surface=pl.lit("chat"),
        mode=pl.lit("precise"), language=pl.lit("en"), query_length=pl.lit("1-4"))
    cfg = _config()
    sample, costing = with_costs(sample, {"small": SMALL_FIT, "large": LARGE_FIT}, cfg)
    scores = {"random": rng.uniform(size=n), "small_confidence": rng.uniform(size=n)}
    table, metrics = project_all(sample, scores, {"random": 0.0, "small_confidence": 0.0}, cfg=cfg,
                                 costing=costing, days=1, dataset="t", quality_measure="agreement")
    window = table.filter(pl.col("segment_by") == "all", pl.col("threshold") == 0.0)
    by_router = {r["router"]: r for r in window.iter_rows(named=True)}
    # threshold 0 routes everything small: choosing up front saves 2.0 s a request; the cascade
    # (small_confidence) also saves 2.0 s there, and at threshold 1.0 pays 0.7 s for nothing
    for router in scores:
        assert by_router[router]["gpu_hours_saved_per_day"] == pytest.approx(n * 5 * 2.0 / HOURS)
    top = table.filter(pl.col("segment_by") == "all", pl.col("threshold") == 1.0)
    cascade = top.filter(pl.col("router") == "small_confidence")["gpu_hours_saved_per_day"][0]
    assert cascade == pytest.approx(-n * 5 * 0.7 / HOURS)
    assert set(metrics["router"]) == set(scores) and metrics["cascade"].to_list().count(True) == \
        metrics.filter(pl.col("router") == "small_confidence").height
    assert (table["dataset"] == "t").all() and (table["dollars_per_gpu_hour"] == 3.6).all()
