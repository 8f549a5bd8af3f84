"""GPU cost model: seconds per request from its prompt and output tokens, fitted on batches.

A padded batch does the work of every token slot it holds (``batch_size x longest prompt``
prompt slots, ``batch_size x decode_steps`` output slots), and each decode step also pays a
fixed overhead whatever the batch size (kernel launches, Python: it dominates small models).
Measured batch seconds are modelled as

    c x batch_size + a x prompt slots + b x output slots + d x decode_steps

and fitted by non-negative least squares (no cost is negative); R^2 says how well it fits.
A request is then charged ``c + a x prompt_tokens + (b + d / B) x output_tokens``, B being the
mean measured batch size: its cost in a server without padding waste (continuous batching, as
production serving runs) at the measured batch size on the measured device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import nnls


@dataclass(frozen=True)
class CostModel:
    seconds_per_request: float
    seconds_per_prompt_token: float
    seconds_per_output_token: float
    r2: float | None
    n_batches: int

    def seconds(self, prompt_tokens: np.ndarray, output_tokens: np.ndarray) -> np.ndarray:
        """Predicted device-seconds of each request.

        Example:
            >>> CostModel(0.1, 0.001, 0.02, None, 1).seconds(np.array([100]), np.array([10]))
            array([0.4])
        """
        return (
            self.seconds_per_request
            + self.seconds_per_prompt_token * np.asarray(prompt_tokens, dtype=float)
            + self.seconds_per_output_token * np.asarray(output_tokens, dtype=float)
        )


def fit_cost_model(batches: pl.DataFrame) -> CostModel:
    """Fit on rows of batch_size, padded_prompt_tokens, decode_steps and seconds.

    R^2 is None with fewer than five batches (four coefficients leave nothing to judge by).

    Example:
        >>> b = pl.DataFrame({"batch_size": [1, 2, 4, 8, 8], "padded_prompt_tokens": [10, 30, 50, 90, 200],
        ...                   "decode_steps": [5, 10, 3, 4, 9]})
        >>> b = b.with_columns(seconds=0.1 * pl.col("batch_size") + 0.01 * pl.col("padded_prompt_tokens")
        ...                    + 0.05 * pl.col("batch_size") * pl.col("decode_steps"))
        >>> m = fit_cost_model(b)
        >>> round(m.seconds_per_output_token, 4), round(m.r2, 4)
        (0.05, 1.0)
    """
    if batches.is_empty():
        raise ValueError("no replay batches to fit a cost model on")
    design = batches.select(
        "batch_size",
        "padded_prompt_tokens",
        (pl.col("batch_size") * pl.col("decode_steps")).alias("output_slots"),
        "decode_steps",
    ).to_numpy().astype(float)
    seconds = batches["seconds"].to_numpy().astype(float)
    coef, _ = nnls(design, seconds)
    per_output_token = coef[2] + coef[3] / float(batches["batch_size"].mean())
    r2 = None
    if len(seconds) >= 5:
        residual = float(np.sum((seconds - design @ coef) ** 2))
        spread = float(np.sum((seconds - seconds.mean()) ** 2))
        r2 = 1.0 - residual / spread if spread > 0 else 1.0
    return CostModel(float(coef[0]), float(coef[1]), float(per_output_token), r2, len(seconds))
