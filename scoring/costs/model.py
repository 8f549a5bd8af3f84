"""GPU cost model: seconds per request from its prompt and output tokens, fitted on batches,
backtested on batches it did not see, and charged at the batch size production serves at.

A padded batch does the work of every token slot it holds (``batch_size x longest prompt``
prompt slots, ``batch_size x decode_steps`` output slots), and each decode step also pays a
fixed overhead whatever the batch size (kernel launches, Python: it dominates small models).
Measured batch seconds are modelled as

    c x batch_size + a x prompt slots + b x output slots + d x decode_steps

and fitted by non-negative least squares (no cost is negative); R^2 says how well it fits.
A request is then charged ``c + a x prompt_tokens + (b + d / S) x output_tokens``: its cost in
a server without padding waste (continuous batching, as production serving runs) that decodes
S requests a step. S is the mean measured batch size unless the config names the batch size
the model is served at (``serving_cost``): one decode step shared by S requests is the
throughput-vs-batch-size curve the fit measures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import nnls

MIN_BACKTEST_BATCHES = 10  # 5 folds, each fitted on 8 or more batches (4 coefficients)
MIN_BACKTEST_BATCH_SIZES = 3  # predicting one batch size from two others still separates b from d
BACKTEST_FOLDS = 5
# Types of the cost_models columns that can be NULL in every row (polars would infer Null).
COST_MODEL_SCHEMA = {"r2": pl.Float64, "backtest_total_error": pl.Float64, "backtest_median_abs_error": pl.Float64,
                     "backtest_median_rel_error": pl.Float64, "backtest_batches": pl.Int32,
                     "backtest_method": pl.String, "backtest_note": pl.String}


@dataclass(frozen=True)
class CostModel:
    seconds_per_request: float
    seconds_per_prompt_token: float
    seconds_per_output_token: float  # b + d / mean_batch_size
    r2: float | None
    n_batches: int
    seconds_per_output_slot: float = 0.0  # b
    seconds_per_decode_step: float = 0.0  # d
    mean_batch_size: float = 1.0
    min_batch_size: int = 1
    max_batch_size: int = 1

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

    def batch_seconds(self, batches: pl.DataFrame) -> np.ndarray:
        """Predicted seconds of each padded batch (rows as ``fit_cost_model`` takes).

        Example:
            >>> m = CostModel(0.1, 0.01, 0.0, None, 1, seconds_per_output_slot=0.05, seconds_per_decode_step=0.2)
            >>> m.batch_seconds(pl.DataFrame({"batch_size": [2], "padded_prompt_tokens": [20], "decode_steps": [3]}))
            array([1.3])
        """
        coef = np.array([self.seconds_per_request, self.seconds_per_prompt_token,
                         self.seconds_per_output_slot, self.seconds_per_decode_step])
        return _design(batches) @ coef


def _design(batches: pl.DataFrame) -> np.ndarray:
    return batches.select(
        "batch_size",
        "padded_prompt_tokens",
        (pl.col("batch_size") * pl.col("decode_steps")).alias("output_slots"),
        "decode_steps",
    ).to_numpy().astype(float)


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
    design = _design(batches)
    seconds = batches["seconds"].to_numpy().astype(float)
    coef, _ = nnls(design, seconds)
    sizes = batches["batch_size"]
    mean_batch = float(sizes.mean())
    r2 = None
    if len(seconds) >= 5:
        residual = float(np.sum((seconds - design @ coef) ** 2))
        spread = float(np.sum((seconds - seconds.mean()) ** 2))
        r2 = 1.0 - residual / spread if spread > 0 else 1.0
    return CostModel(float(coef[0]), float(coef[1]), float(coef[2] + coef[3] / mean_batch), r2, len(seconds),
                     seconds_per_output_slot=float(coef[2]), seconds_per_decode_step=float(coef[3]),
                     mean_batch_size=mean_batch, min_batch_size=int(sizes.min()), max_batch_size=int(sizes.max()))


@dataclass(frozen=True)
class Backtest:
    """How well a cost model fitted on some batches predicts the seconds of the others. The
    figures are None, with ``note`` saying why, when there are too few batches to hold any out."""

    method: str
    total_error: float | None  # (predicted - measured) / measured seconds, over every held-out batch
    median_abs_error: float | None  # seconds, median over the held-out batches of |predicted - measured|
    median_rel_error: float | None  # median of |predicted - measured| / measured
    n_predicted: int  # held-out batches predicted (each once)
    note: str | None = None


def folds_by_id(ids: Sequence[str], k: int = BACKTEST_FOLDS) -> np.ndarray:
    """A fold in 0..k-1 for each id: ids ranked by their sha256, dealt round-robin, so the split
    is the same on every run over the same batches and the folds differ in size by at most one.

    Example:
        >>> folds_by_id(["a", "b", "c", "d", "e"], 2).tolist()
        [0, 0, 1, 0, 1]
    """
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in ids]
    folds = np.empty(len(digests), dtype=int)
    folds[np.argsort(digests, kind="stable")] = np.arange(len(digests)) % k
    return folds


def backtest(batches: pl.DataFrame, folds: np.ndarray, *, method: str) -> Backtest:
    """Fit on every fold but one and predict that fold's batch seconds, for each fold.

    Example:
        >>> b = pl.DataFrame({"batch_size": [1, 2, 4, 8] * 3, "padded_prompt_tokens": list(range(10, 130, 10)),
        ...                   "decode_steps": [5, 6, 7, 8] * 3})
        >>> b = b.with_columns(seconds=0.01 * pl.col("padded_prompt_tokens") + 0.2 * pl.col("decode_steps"))
        >>> t = backtest(b, np.arange(12) % 3, method="3-fold")
        >>> abs(t.total_error) < 1e-6, t.n_predicted
        (True, 12)
    """
    folds = np.asarray(folds)
    predicted = np.empty(batches.height)
    for fold in np.unique(folds):
        held = folds == fold
        model = fit_cost_model(batches.filter(pl.Series(~held)))
        predicted[held] = model.batch_seconds(batches.filter(pl.Series(held)))
    measured = batches["seconds"].to_numpy().astype(float)
    if measured.sum() <= 0:
        return Backtest(method, None, None, None, len(measured), note="the held-out batches measured 0 seconds")
    miss = predicted - measured
    positive = measured > 0
    return Backtest(
        method=method,
        total_error=float(miss.sum() / measured.sum()),
        median_abs_error=float(np.median(np.abs(miss))),
        median_rel_error=float(np.median(np.abs(miss[positive]) / measured[positive])),
        n_predicted=len(measured),
    )


def backtest_replay_batches(batches: pl.DataFrame, *, k: int = BACKTEST_FOLDS) -> Backtest:
    """k-fold backtest of the replay batches of one model on one device, folds by batch_id.

    Example:
        >>> backtest_replay_batches(pl.DataFrame({"batch_id": ["x"], "batch_size": [1],
        ...     "padded_prompt_tokens": [9], "decode_steps": [3], "seconds": [0.4]})).note
        '1 batches: a backtest needs at least 10 (5 folds, each fitted on the others)'
    """
    method = f"{k}-fold by batch_id"
    if batches.height < MIN_BACKTEST_BATCHES:
        return Backtest(method, None, None, None, 0, note=f"{batches.height} batches: a backtest needs at least "
                        f"{MIN_BACKTEST_BATCHES} ({k} folds, each fitted on the others)")
    return backtest(batches, folds_by_id(batches["batch_id"].to_list(), k), method=method)


def backtest_batch_sizes(batches: pl.DataFrame) -> Backtest:
    """Each measured batch size predicted by the fit on the other sizes (calibrate-gpu's timings):
    what charging a serving batch size that was not measured would miss.

    Example:
        >>> b = pl.DataFrame({"batch_size": [1, 8], "padded_prompt_tokens": [64, 512], "decode_steps": [32, 32],
        ...                   "seconds": [0.5, 0.7]})
        >>> backtest_batch_sizes(b).note
        'measured at 2 batch sizes: predicting one from the others needs at least 3'
    """
    method = "each batch size predicted from the others"
    sizes = batches["batch_size"].n_unique()
    if sizes < MIN_BACKTEST_BATCH_SIZES:
        return Backtest(method, None, None, None, 0, note=f"measured at {sizes} batch size{'s' * (sizes != 1)}: "
                        f"predicting one from the others needs at least {MIN_BACKTEST_BATCH_SIZES}")
    return backtest(batches, batches["batch_size"].to_numpy(), method=method)


def backtest_text(result: Backtest) -> str:
    """The backtest in one phrase, as `planb calibrate-gpu` prints it.

    Example:
        >>> backtest_text(Backtest("5-fold by batch_id", -0.031, 0.0042, 0.05, 14))
        'total error -3.1%, median absolute error 4.2 ms (5.0%) over 14 held-out batches'
        >>> backtest_text(Backtest("5-fold by batch_id", None, None, None, 0, note="4 batches: too few"))
        'none (4 batches: too few)'
    """
    if result.total_error is None:
        return f"none ({result.note})"
    miss = result.median_abs_error
    shown = f"{miss:.3g} s" if miss >= 1 else f"{miss * 1e3:.3g} ms"
    return (f"total error {result.total_error:+.1%}, median absolute error {shown} "
            f"({result.median_rel_error:.1%}) over {result.n_predicted} held-out batches")


def backtest_columns(result: Backtest) -> dict:
    """The cost_models columns (migration 011) of a backtest."""
    return {"backtest_method": result.method, "backtest_total_error": result.total_error,
            "backtest_median_abs_error": result.median_abs_error, "backtest_median_rel_error": result.median_rel_error,
            "backtest_batches": result.n_predicted, "backtest_note": result.note}


def fit_columns(fit: CostModel) -> dict:
    """The cost_models columns of a fit: coefficients, the per-step split and the measured batch sizes."""
    return {"seconds_per_request": fit.seconds_per_request, "seconds_per_prompt_token": fit.seconds_per_prompt_token,
            "seconds_per_output_token": fit.seconds_per_output_token, "r2": fit.r2, "n_batches": fit.n_batches,
            "seconds_per_output_slot": fit.seconds_per_output_slot,
            "seconds_per_decode_step": fit.seconds_per_decode_step, "mean_batch_size": fit.mean_batch_size,
            "min_batch_size": fit.min_batch_size, "max_batch_size": fit.max_batch_size}


@dataclass(frozen=True)
class ServingCharge:
    seconds_per_output_token: float
    batch_size: float | None  # the batch size output tokens are charged at; None when not recorded
    basis: str  # what the charge rests on, in words


def serving_charge(fit: dict, serving_batch_size: int | None) -> ServingCharge:
    """Seconds per output token of a cost_models row (a dict) when the model is served at
    ``serving_batch_size`` requests a decode step: b + d / S inside the measured batch sizes,
    the nearest measured size outside them (never extrapolated); None: the measured mean.

    Example:
        >>> fit = {"seconds_per_output_token": 0.03, "seconds_per_output_slot": 0.01, "seconds_per_decode_step": 0.08,
        ...        "mean_batch_size": 4.0, "min_batch_size": 1, "max_batch_size": 8, "source": "replay"}
        >>> serving_charge(fit, 8)
        ServingCharge(seconds_per_output_token=0.02, batch_size=8, basis='serving batch 8 (measured 1-8)')
        >>> serving_charge(fit, 64).basis
        'serving batch 64, charged at 8 (measured 1-8)'
        >>> serving_charge(fit, None).basis
        'replay mean batch 4 (no serving batch size set)'
    """
    measured = fit["seconds_per_output_token"]
    mean = fit.get("mean_batch_size")
    mean_text = f"{fit.get('source') or 'measured'} mean batch {'n/a' if mean is None else format(mean, '.3g')}"
    if serving_batch_size is None:
        return ServingCharge(measured, mean, f"{mean_text} (no serving batch size set)")
    slot, step = fit.get("seconds_per_output_slot"), fit.get("seconds_per_decode_step")
    low, high = fit.get("min_batch_size"), fit.get("max_batch_size")
    if slot is None or step is None or low is None or high is None:
        return ServingCharge(measured, mean, f"serving batch {serving_batch_size} asked; {mean_text} "
                             "(no per-step split stored)")
    size = min(max(serving_batch_size, low), high)
    if low == high and size != serving_batch_size:
        basis = f"serving batch {serving_batch_size}, charged at {size} (the only size measured)"
    elif size != serving_batch_size:
        basis = f"serving batch {serving_batch_size}, charged at {size} (measured {low}-{high})"
    else:
        basis = f"serving batch {size} (measured {low}-{high})"
    return ServingCharge(slot + step / size, size, basis)


def latest_fit(fits: pl.DataFrame, model_key: str) -> dict | None:
    """The cost model of a model key among ``fits`` (cost_models rows): fitted on its replays, else
    the latest one `planb calibrate-gpu` measured for it; None when there is neither."""
    mine = fits.filter(pl.col("model_key") == model_key)
    for source in ("replay", "calibrate-gpu"):
        rows = mine.filter(pl.col("source") == source).sort("fitted_at", descending=True)
        if rows.height:
            return rows.row(0, named=True)
    return None
