"""scoring.costs.model: the batch-seconds model recovers the coefficients it was built from, its
backtest measures how well it predicts batches it did not see, and a request is charged at the
batch size its model is served at.

Batch seconds = c x batch_size + a x padded_prompt_tokens + b x batch_size x decode_steps
                + d x decode_steps;
a request is charged c + a x prompt_tokens + (b + d / B) x output_tokens, B the mean batch size.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.config import load_config
from scoring.costs.model import (
    MIN_BACKTEST_BATCHES,
    CostModel,
    backtest,
    backtest_batch_sizes,
    backtest_columns,
    backtest_replay_batches,
    backtest_text,
    fit_columns,
    fit_cost_model,
    folds_by_id,
    serving_charge,
)
from scoring.projection.run import with_costs

C, A, B, D = 0.05, 0.0004, 0.002, 0.03


def _batches(n: int, *, c=C, a=A, b=B, d=D, noise: float = 0.0, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    batch_size = rng.choice([1, 2, 4, 8, 16], size=n)
    longest_prompt = rng.integers(10, 300, size=n)
    steps = rng.integers(1, 64, size=n)
    padded = batch_size * longest_prompt
    seconds = c * batch_size + a * padded + b * batch_size * steps + d * steps
    seconds = seconds * (1.0 + noise * rng.standard_normal(n))
    return pl.DataFrame(
        {"batch_size": batch_size, "padded_prompt_tokens": padded, "decode_steps": steps, "seconds": seconds}
    )


def test_recovers_known_coefficients():
    batches = _batches(40)
    model = fit_cost_model(batches)
    mean_batch = float(batches["batch_size"].mean())
    assert model.seconds_per_request == pytest.approx(C, rel=1e-6)
    assert model.seconds_per_prompt_token == pytest.approx(A, rel=1e-6)
    assert model.seconds_per_output_token == pytest.approx(B + D / mean_batch, rel=1e-6)
    assert model.r2 == pytest.approx(1.0, abs=1e-9)
    assert model.n_batches == 40


def test_hand_computed_five_batches():
    # d = 0: per output token is exactly b. Docstring example.
    b = pl.DataFrame({"batch_size": [1, 2, 4, 8, 8], "padded_prompt_tokens": [10, 30, 50, 90, 200],
                      "decode_steps": [5, 10, 3, 4, 9]})
    b = b.with_columns(seconds=0.1 * pl.col("batch_size") + 0.01 * pl.col("padded_prompt_tokens")
                       + 0.05 * pl.col("batch_size") * pl.col("decode_steps"))
    m = fit_cost_model(b)
    assert m.seconds_per_request == pytest.approx(0.1, abs=1e-9)
    assert m.seconds_per_prompt_token == pytest.approx(0.01, abs=1e-9)
    assert m.seconds_per_output_token == pytest.approx(0.05, abs=1e-9)
    assert m.r2 == pytest.approx(1.0)


def test_step_overhead_is_shared_by_the_mean_batch_size():
    # Only a per-step overhead: 0.03 s a step, batches of 2 and 6 (mean 4) -> 0.0075 s per output token.
    batches = pl.DataFrame({"batch_size": [2, 6, 2, 6, 2, 6], "padded_prompt_tokens": [20, 60, 40, 90, 10, 30],
                            "decode_steps": [10, 5, 7, 3, 12, 1]})
    batches = batches.with_columns(seconds=0.03 * pl.col("decode_steps"))
    m = fit_cost_model(batches)
    assert m.seconds_per_request == pytest.approx(0.0, abs=1e-9)
    assert m.seconds_per_prompt_token == pytest.approx(0.0, abs=1e-9)
    assert m.seconds_per_output_token == pytest.approx(0.03 / 4, rel=1e-6)


def test_noisy_fit_is_close_and_r2_below_one():
    model = fit_cost_model(_batches(400, noise=0.02, seed=1))
    assert model.seconds_per_request == pytest.approx(C, rel=0.2)
    assert model.seconds_per_prompt_token == pytest.approx(A, rel=0.1)
    assert 0.95 < model.r2 < 1.0


def test_coefficients_never_negative():
    # Seconds that fall with the prompt would need a < 0: non-negative least squares pins it at 0.
    batches = _batches(30, a=0.0).with_columns(seconds=pl.col("seconds") - 1e-5 * pl.col("padded_prompt_tokens"))
    model = fit_cost_model(batches)
    assert model.seconds_per_request >= 0
    assert model.seconds_per_prompt_token >= 0
    assert model.seconds_per_output_token >= 0


def test_r2_needs_five_batches():
    assert fit_cost_model(_batches(4)).r2 is None
    assert fit_cost_model(_batches(5)).r2 is not None
    assert fit_cost_model(_batches(1)).n_batches == 1


def test_constant_seconds_r2_is_one():
    batches = pl.DataFrame({"batch_size": [1] * 5, "padded_prompt_tokens": [10] * 5,
                            "decode_steps": [4] * 5, "seconds": [0.5] * 5})
    assert fit_cost_model(batches).r2 == 1.0


def test_empty_frame_raises():
    empty = pl.DataFrame(schema={"batch_size": pl.Int64, "padded_prompt_tokens": pl.Int64,
                                 "decode_steps": pl.Int64, "seconds": pl.Float64})
    with pytest.raises(ValueError, match="no replay batches"):
        fit_cost_model(empty)


def test_cost_model_seconds_hand_computed():
    model = CostModel(0.1, 0.001, 0.02, None, 1)
    # 0.1 + 0.001 x 100 + 0.02 x 10 = 0.4; 0.1 + 0 + 0.02 x 5 = 0.2; lists are accepted
    assert model.seconds(np.array([100, 0]), np.array([10, 5])) == pytest.approx([0.4, 0.2])
    assert model.seconds([250], [0]) == pytest.approx([0.35])
    assert model.seconds(np.array([], dtype=int), np.array([], dtype=int)).shape == (0,)


def test_fitted_model_predicts_request_cost():
    batches = _batches(40)
    model = fit_cost_model(batches)
    mean_batch = float(batches["batch_size"].mean())
    predicted = model.seconds(np.array([120]), np.array([7]))
    assert predicted == pytest.approx([C + A * 120 + (B + D / mean_batch) * 7], rel=1e-6)


# --- The per-step split and the serving batch size ------------------------------------------


def test_the_fit_keeps_the_per_slot_and_per_step_split_and_the_batch_sizes():
    model = fit_cost_model(_batches(40))
    assert model.seconds_per_output_slot == pytest.approx(B, rel=1e-6)
    assert model.seconds_per_decode_step == pytest.approx(D, rel=1e-6)
    assert (model.min_batch_size, model.max_batch_size) == (1, 16)
    # The stored per-token cost is the split at the mean batch size.
    assert model.seconds_per_output_token == pytest.approx(B + D / model.mean_batch_size, rel=1e-9)


def _row(model: CostModel, source: str = "replay") -> dict:
    return {**fit_columns(model), "source": source, "device": "cpu"}


def test_serving_charge_at_a_measured_batch_size_is_the_true_per_token_cost():
    row = _row(fit_cost_model(_batches(60)))
    for size in (1, 4, 16):
        charge = serving_charge(row, size)
        assert charge.seconds_per_output_token == pytest.approx(B + D / size, rel=1e-6)
        assert charge.batch_size == size and charge.basis == f"serving batch {size} (measured 1-16)"


def test_serving_charge_never_extrapolates_beyond_the_measured_sizes():
    row = _row(fit_cost_model(_batches(60)))
    above = serving_charge(row, 64)
    assert above.seconds_per_output_token == pytest.approx(B + D / 16, rel=1e-6) and above.batch_size == 16
    assert above.basis == "serving batch 64, charged at 16 (measured 1-16)"
    large_only = _row(fit_cost_model(_batches(60).filter(pl.col("batch_size") >= 4)))
    below = serving_charge(large_only, 1)
    assert below.batch_size == 4 and below.seconds_per_output_token == pytest.approx(B + D / 4, rel=1e-6)
    one_size = _row(fit_cost_model(_batches(30).with_columns(batch_size=pl.lit(8))))
    charge = serving_charge(one_size, 32)
    assert charge.seconds_per_output_token == pytest.approx(one_size["seconds_per_output_token"], rel=1e-9)
    assert charge.basis == "serving batch 32, charged at 8 (the only size measured)"


def test_without_a_serving_batch_size_the_basis_is_the_measured_mean():
    model = fit_cost_model(_batches(40))
    charge = serving_charge(_row(model), None)
    assert charge.seconds_per_output_token == model.seconds_per_output_token
    assert charge.basis == f"replay mean batch {model.mean_batch_size:.3g} (no serving batch size set)"
    # A row written before migration 011 has no split: charged as measured, and said so.
    old = {"seconds_per_output_token": 0.02, "source": "calibrate-gpu"}
    assert serving_charge(old, 16).seconds_per_output_token == 0.02
    assert serving_charge(old, 16).basis == ("serving batch 16 asked; calibrate-gpu mean batch n/a "
                                             "(no per-step split stored)")


def test_with_costs_charges_each_role_at_its_serving_batch_size():
    fits = {role: {**_row(fit_cost_model(_batches(60))), "device": "cpu"} for role in ("small", "large")}
    tokens = pl.DataFrame({"small_prompt_tokens": [100, 20], "small_output_tokens": [10, 40],
                           "large_prompt_tokens": [100, 20], "large_output_tokens": [12, 30]})
    cfg = load_config(None, pricing={"serving_batch_size": {"small": 16}})
    frame, costing = with_costs(tokens, fits, cfg)
    assert frame["small_seconds"].to_list() == pytest.approx(
        [C + A * p + (B + D / 16) * o for p, o in ((100, 10), (20, 40))], rel=1e-6)
    mean = fits["large"]["mean_batch_size"]
    assert frame["large_seconds"].to_list() == pytest.approx(
        [C + A * p + (B + D / mean) * o for p, o in ((100, 12), (20, 30))], rel=1e-6)
    assert costing.basis == (f"small: serving batch 16 (measured 1-16); large: replay mean batch {mean:.3g} "
                             "(no serving batch size set)")


def test_a_serving_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="pricing.serving_batch_size: a batch size is at least 1"):
        load_config(None, pricing={"serving_batch_size": {"large": 0}})
    with pytest.raises(ValueError, match="serving_batch_size"):
        load_config(None, pricing={"serving_batch_size": {"medium": 8}})


# --- The backtest -----------------------------------------------------------------------------


def _with_ids(batches: pl.DataFrame) -> pl.DataFrame:
    return batches.with_columns(batch_id=pl.format("batch-{}", pl.int_range(pl.len())))


def test_exactly_linear_seconds_backtest_to_zero_error():
    result = backtest_replay_batches(_with_ids(_batches(40)))
    assert result.method == "5-fold by batch_id" and result.n_predicted == 40 and result.note is None
    assert abs(result.total_error) < 1e-9
    assert result.median_abs_error < 1e-9 and result.median_rel_error < 1e-9


def test_noisy_seconds_backtest_to_the_noise():
    # 5% multiplicative noise: a held-out batch misses by |N(0, 0.05)| of its seconds, whose median
    # is 0.6745 x 0.05; over 600 batches the total misses by about 0.05 / sqrt(600) ~ 0.2%.
    noise = 0.05
    batches = _with_ids(_batches(600, noise=noise, seed=3))
    result = backtest_replay_batches(batches)
    assert result.median_rel_error == pytest.approx(0.6745 * noise, rel=0.15)
    truth = _batches(600, seed=3)["seconds"].to_numpy()  # the same draws without the noise
    measured = batches["seconds"].to_numpy()
    assert result.median_abs_error == pytest.approx(float(np.median(np.abs(measured - truth))), rel=0.15)
    assert abs(result.total_error) < 0.01


def test_the_backtest_sees_a_misfit_the_r2_hides():
    # Seconds that grow with the square of the batch size (not in the model): the fit on all
    # batches still explains most of their spread, but predicting one batch size from the others
    # misses a typical batch by over half its seconds (the total less: misses of both signs).
    rows = [(size, size * prompt, steps) for size in (1, 2, 4, 8, 16) for prompt in (32, 128) for steps in (16, 64)]
    batches = pl.DataFrame(rows, schema=["batch_size", "padded_prompt_tokens", "decode_steps"], orient="row")
    batches = batches.with_columns(seconds=0.002 * pl.col("batch_size") ** 2 * pl.col("decode_steps")
                                   + 0.03 * pl.col("decode_steps"))
    assert fit_cost_model(batches).r2 > 0.9
    result = backtest_batch_sizes(batches)
    assert result.method == "each batch size predicted from the others" and result.n_predicted == 20
    assert result.median_rel_error > 0.5 and result.total_error < 0


def test_too_few_batches_or_batch_sizes_give_no_figures_and_say_why():
    few = backtest_replay_batches(_with_ids(_batches(MIN_BACKTEST_BATCHES - 1)))
    assert (few.total_error, few.median_abs_error, few.median_rel_error, few.n_predicted) == (None, None, None, 0)
    assert few.note == "9 batches: a backtest needs at least 10 (5 folds, each fitted on the others)"
    assert backtest_replay_batches(_with_ids(_batches(MIN_BACKTEST_BATCHES))).total_error is not None
    two_sizes = _batches(30).with_columns(batch_size=pl.col("batch_size").clip(upper_bound=2))
    assert backtest_batch_sizes(two_sizes).note == (
        "measured at 2 batch sizes: predicting one from the others needs at least 3")
    exact = backtest_batch_sizes(_batches(30))  # 5 sizes, exactly linear
    assert abs(exact.total_error) < 1e-9 and exact.n_predicted == 30


def test_folds_by_id_are_balanced_and_do_not_depend_on_row_order():
    ids = [f"b{i}" for i in range(23)]
    folds = folds_by_id(ids)
    assert sorted(np.bincount(folds).tolist()) == [4, 4, 5, 5, 5]
    shuffled = list(np.random.default_rng(0).permutation(ids))
    again = dict(zip(shuffled, folds_by_id(shuffled), strict=True))
    assert [again[i] for i in ids] == folds.tolist()


def test_the_backtest_text_and_columns():
    result = backtest_replay_batches(_with_ids(_batches(40, noise=0.02, seed=5)))
    columns = backtest_columns(result)
    assert columns["backtest_total_error"] == result.total_error and columns["backtest_batches"] == 40
    assert backtest_text(result).startswith(f"total error {result.total_error:+.1%}, median absolute error ")


def test_each_fold_is_predicted_by_the_fit_on_the_others_only():
    # Three folds of the same shapes; the third ran twice as slow. Fold 0 (and 1) is predicted by
    # the fit on the other two (1.5x): 50% high; fold 2 by the fit on folds 0 and 1 (1x): 50% low.
    # A fit that had seen the held-out fold (4/3x) would miss each by a third instead.
    shapes = _batches(8)
    batches = pl.concat([shapes, shapes, shapes.with_columns(seconds=2 * pl.col("seconds"))])
    result = backtest(batches, np.repeat([0, 1, 2], 8), method="3 folds")
    assert result.median_rel_error == pytest.approx(0.5, rel=1e-6)
    assert result.total_error == pytest.approx(0.0, abs=1e-6)  # +50% of 1x twice, -50% of 2x once
