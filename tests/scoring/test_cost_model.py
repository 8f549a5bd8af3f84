"""scoring.cost_model: the batch-seconds model recovers the coefficients it was built from.

Batch seconds = c x batch_size + a x padded_prompt_tokens + b x batch_size x decode_steps
                + d x decode_steps;
a request is charged c + a x prompt_tokens + (b + d / B) x output_tokens, B the mean batch size.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.cost_model import CostModel, fit_cost_model

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
