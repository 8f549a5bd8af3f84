"""scoring.projection.token_prices on the bundled real pair (MT-Bench, Mixtral and GPT-4 priced per
token): the prices its dollars were made at are recovered, and a saving repriced from a row's
stored sums equals projecting the pair again with its dollars recomputed at the new prices: the
point exactly, the interval up to the pivot's shape (the bootstrap-t's quantiles at the old
prices against those at the new)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from assets.cli.import_replays import DEMO_PAIR
from dashboards.repricing import price_vector, reprice_savings
from scoring.config import load_config
from scoring.projection.run import project_imported
from scoring.replay.imported import checked, read_table

LIST_PRICES = (0.54, 0.54, 10.0, 30.0)  # warehouse/sample_replays/NOTICE
SAVED = ("dollars_saved_per_day", "dollars_saved_per_day_lo", "dollars_saved_per_day_hi")


def _project(table: pl.DataFrame) -> pl.DataFrame:
    cfg = load_config(None, projection={"routers": ["length", "random"]})
    projected = project_imported(checked(table, max_text_chars=100_000), cfg=cfg, name="pair", given=set(table.columns),
                                 cost_fits=lambda: pl.DataFrame())
    return projected.projection.filter(pl.col("segment_by") == "all").sort("router", "threshold")


@pytest.fixture(scope="module")
def pair() -> pl.DataFrame:
    return read_table(DEMO_PAIR)


@pytest.fixture(scope="module")
def projected(pair) -> pl.DataFrame:
    return _project(pair)


def _repriced(rows: pl.DataFrame, prices: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    sums, moments = (np.array(rows[c].to_list()) for c in ("token_savings_per_day", "token_moments_per_day"))
    return reprice_savings(sums, moments, rows["n_sample"].to_numpy(), price_vector(LIST_PRICES), price_vector(prices),
                           *(rows[c].fill_null(np.nan).to_numpy() for c in SAVED))


def test_the_prices_the_dollars_were_made_at_are_recovered_and_reproduce_the_interval(projected):
    assert set(map(tuple, projected["token_prices"].to_list())) == {LIST_PRICES}
    point, lo, hi = _repriced(projected, LIST_PRICES)
    for values, column in zip((point, lo, hi), SAVED, strict=True):
        np.testing.assert_allclose(values, projected[column].fill_null(np.nan).to_numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("prices", [(0.15, 0.60, 2.5, 10.0),  # gpt-4o-mini as the small model, gpt-4o large
                                    (0.54, 0.54, 30.0, 10.0)])  # prompts dearer than answers
def test_a_saving_at_new_prices_matches_projecting_again_at_them(pair, projected, prices):
    again = _project(pair.with_columns(
        small_dollars=(pl.col("small_prompt_tokens") * prices[0] + pl.col("small_output_tokens") * prices[1]) / 1e6,
        large_dollars=(pl.col("large_prompt_tokens") * prices[2] + pl.col("large_output_tokens") * prices[3]) / 1e6))
    assert set(map(tuple, again["token_prices"].to_list())) == {prices}
    point, lo, hi = _repriced(projected, prices)
    np.testing.assert_allclose(point, again["dollars_saved_per_day"].to_numpy(), rtol=1e-9, atol=1e-12)
    # The interval: the same standard error at the new prices, the pivot's quantiles carried over
    # from the old. Against the bootstrap-t's own at the new prices, where 30 or more sampled
    # requests are routed small: a bound off by 0.7-4.7% of the width in the median, 15% at most
    # (prompts made dearer than answers: the pivot's shape moves); coverage at such prices is
    # what the study measures (bench/coverage.py --token-prices).
    has = (~np.isnan(lo) & again["dollars_saved_per_day_lo"].is_not_null().to_numpy()
           & (projected["n_routed_small"].to_numpy() >= 30))
    width = again["dollars_saved_per_day_hi"].to_numpy()[has] - again["dollars_saved_per_day_lo"].to_numpy()[has]
    assert has.sum() > 20
    off = np.fmax(np.abs(lo[has] - again["dollars_saved_per_day_lo"].to_numpy()[has]),
                  np.abs(hi[has] - again["dollars_saved_per_day_hi"].to_numpy()[has])) / width
    assert np.median(off) <= 0.06 and np.max(off) <= 0.2, (float(np.median(off)), float(np.max(off)))


def test_a_table_whose_dollars_are_not_its_tokens_at_one_price_keeps_no_token_sums(pair):
    # A discount on some requests (cached prompts, a tier): no per-token price gives its dollars.
    discounted = pair.with_columns(large_dollars=pl.when(pl.int_range(pl.len()) % 2 == 0)
                                   .then(pl.col("large_dollars") * 0.5).otherwise(pl.col("large_dollars")))
    rows = _project(discounted)
    assert "token_prices" not in rows.columns


def test_a_hosted_large_model_keeps_its_configured_per_token_prices_and_the_small_model_none():
    from scoring.projection.run import with_costs

    cfg = load_config(None, pricing={"large_hosted": True,
                                     "hosted_large_price": {"input_dollars_per_million": 2.5,
                                                            "output_dollars_per_million": 10.0,
                                                            "as_of": "2026-11-26", "source": "a test"}})
    fit = {"seconds_per_request": 0.1, "seconds_per_prompt_token": 0.01, "seconds_per_output_token": 0.1,
           "device": "cpu"}
    tokens = pl.DataFrame({c: [10, 20] for c in ("small_prompt_tokens", "small_output_tokens",
                                                  "large_prompt_tokens", "large_output_tokens")})
    _, costing = with_costs(tokens, {"small": fit, "large": fit}, cfg)
    assert costing.token_prices == (None, None, 2.5, 10.0)
    # The small model's GPU time stays in the part not priced per token.
    assert price_vector(costing.token_prices).tolist() == [1.0, 0.0, 0.0, 2.5e-06, 1e-05]
