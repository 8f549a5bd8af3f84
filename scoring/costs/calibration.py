"""Dummy weights: the device-seconds per token of a model that is not downloaded.

The architecture is built from its ``config.json`` with random weights: same shapes, same
kernels, so the same time per token as the trained model (the tokens mean nothing). Batches of
synthetic prompts run through the replay engine's decode loop (``scoring.replay.decode``),
timed the way replays are (CUDA events on a GPU), and the pipeline's cost model is fitted on
them. No stop token ends an answer early: every batch decodes exactly its new tokens.

Each batch size is measured at three token shapes (full prompt and answer, a quarter of the
answer, a quarter of the prompt) so the fit can tell prompt cost from output cost. As for
replays, an output token is charged at the mean measured batch size unless the config names the
batch size the model is served at (pricing.serving_batch_size), which is charged from the fit
within the measured sizes. The backtest predicts each measured batch size from the fit on the
others: how far a serving batch size that was not measured may be off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from scoring.costs.model import Backtest, CostModel, backtest_batch_sizes, fit_cost_model


class CalibrationError(ValueError):
    """A calibration that cannot run; the message says what and where."""


@dataclass(frozen=True)
class Calibration:
    fit: CostModel
    batches: pl.DataFrame  # batch_size, padded_prompt_tokens, decode_steps, output_tokens, seconds
    device: str  # label as in replays: cpu or cuda:<card name>
    dtype: str
    architecture: str
    backtest: Backtest  # each batch size predicted from the others


def token_shapes(batch_sizes: list[int], prompt_tokens: int, new_tokens: int) -> list[tuple[int, int, int]]:
    """(batch size, prompt tokens, new tokens) of every measured batch.

    Example:
        >>> token_shapes([1, 8], 64, 128)
        [(1, 64, 128), (1, 64, 32), (1, 16, 128), (8, 64, 128), (8, 64, 32), (8, 16, 128)]
    """
    shapes = [(prompt_tokens, new_tokens), (prompt_tokens, max(1, new_tokens // 4)),
              (max(1, prompt_tokens // 4), new_tokens)]
    return [(b, p, n) for b in batch_sizes for p, n in dict.fromkeys(shapes)]


def build_random_model(config_path: str | Path, *, device: str, dtype: str | None = None):
    """A causal LM of the architecture in ``config_path`` (a config.json or its folder), with
    random weights, on ``device``: bfloat16 on CUDA and float32 on the CPU unless ``dtype``."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    path = Path(config_path)
    if not path.exists():
        raise CalibrationError(f"model config {path} does not exist")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CalibrationError(f"device {device}: no CUDA device on this machine (use --device cpu)")
    try:
        config = AutoConfig.from_pretrained(str(path))
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as err:
        reason = str(err).strip().splitlines()[0]  # transformers adds paragraphs of upgrade advice
        raise CalibrationError(f"{path}: not a model config.json transformers knows: {reason}") from None
    torch_dtype = getattr(torch, dtype or ("bfloat16" if device.startswith("cuda") else "float32"))
    with torch.device(device):  # random init on the device itself: fast even for 70B shapes
        model = AutoModelForCausalLM.from_config(config, dtype=torch_dtype)
    return model.eval()


def measure(model, shapes: list[tuple[int, int, int]], *, repeats: int = 2, seed: int = 0) -> pl.DataFrame:
    """Time every shape ``repeats`` times after one untimed warm-up (lazy initialisation,
    CUDA graph memory); one row per timed batch."""
    import torch

    from scoring.replay.decode import greedy_decode

    vocab = model.config.get_text_config(decoder=True).vocab_size
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for batch, prompt, new in shapes:
        ids = torch.randint(0, vocab, (batch, prompt), generator=generator)
        mask = torch.ones_like(ids)
        try:
            for attempt in range(repeats + 1):
                out = greedy_decode(model, ids, mask, max_new_tokens=new)
                if attempt:
                    rows.append({"batch_size": batch, "padded_prompt_tokens": batch * prompt,
                                 "decode_steps": out.steps, "output_tokens": sum(out.lengths),
                                 "seconds": out.seconds})
        except torch.OutOfMemoryError:
            raise CalibrationError(
                f"batch {batch} x ({prompt} prompt + {new} new tokens) does not fit in "
                f"{model.device} memory: use smaller --batch-sizes or tokens"
            ) from None
        except ValueError as err:  # e.g. prompt + answer beyond a sliding window
            raise CalibrationError(f"batch {batch} x ({prompt} + {new} tokens): {err}") from None
    return pl.DataFrame(rows)


def calibrate(
    config_path: str | Path,
    *,
    batch_sizes: list[int],
    prompt_tokens: int,
    new_tokens: int,
    device: str,
    dtype: str | None = None,
    repeats: int = 2,
) -> Calibration:
    """Build the random-weight model, measure it and fit the cost model.

    Example:
        >>> c = calibrate("llama-3-70b/config.json", batch_sizes=[8, 32], prompt_tokens=64,
        ...               new_tokens=128, device="cuda")  # doctest: +SKIP
        >>> c.fit.seconds_per_output_token  # doctest: +SKIP
        0.00061
    """
    from scoring.replay.engine import device_name

    if not batch_sizes or min(batch_sizes) < 1 or prompt_tokens < 1 or new_tokens < 1 or repeats < 1:
        raise CalibrationError("batch sizes, prompt tokens, new tokens and repeats must be positive")
    model = build_random_model(config_path, device=device, dtype=dtype)
    batches = measure(model, token_shapes(batch_sizes, prompt_tokens, new_tokens), repeats=repeats)
    return Calibration(
        fit=fit_cost_model(batches),
        batches=batches,
        device=device_name(device),
        dtype=str(model.dtype).removeprefix("torch."),
        architecture=type(model).__name__,
        backtest=backtest_batch_sizes(batches),
    )
