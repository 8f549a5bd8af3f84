"""`planb calibrate-gpu`: a cost model for a model that is not downloaded (DESIGN.md, "dummy
weights"), written to cost_models with source 'calibrate-gpu'.

    planb calibrate-gpu llama-3-70b/config.json --role large --device cuda --batch-sizes 8,32

The row is stored under the model_key of the configured model of ``--role`` (or
``--model-key``), so the projection charges that model's requests with it when its replays
measured nothing (the logged backend). It stays until calibrated again; the next window run
(`planb demo`, or planb_window in Dagster) uses it.
"""

from __future__ import annotations

import argparse
import json


def _positive_ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values


def add_parser(sub) -> None:
    cal = sub.add_parser(
        "calibrate-gpu",
        help="measure device-seconds per token of an architecture from its config.json, random weights",
    )
    cal.add_argument("model_config", help="the architecture's config.json (or its folder)")
    cal.add_argument("--role", choices=["small", "large"], default="large",
                     help="the configured model this cost is for (default: large)")
    cal.add_argument("--model-key", help="store under this model_key instead of the role's")
    cal.add_argument("--name", help="model name recorded in the row's detail (default: the role's)")
    cal.add_argument("--batch-sizes", type=_positive_ints, default=[1, 8, 32],
                     help="comma-separated batch sizes (default 1,8,32)")
    cal.add_argument("--prompt-tokens", type=int, default=64, help="prompt tokens per request (default 64)")
    cal.add_argument("--new-tokens", type=int, default=128, help="tokens generated per request (default 128)")
    cal.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (default cuda)")
    cal.add_argument("--dtype", choices=["bfloat16", "float16", "float32"],
                     help="default: bfloat16 on CUDA, float32 on the CPU")
    cal.add_argument("--repeats", type=int, default=2, help="timed runs of each shape (default 2)")
    cal.set_defaults(func=cmd_calibrate_gpu)


def cmd_calibrate_gpu(args: argparse.Namespace) -> None:
    import polars as pl

    from scoring.config import load_config
    from scoring.costs.calibration import calibrate
    from scoring.costs.model import COST_MODEL_SCHEMA, backtest_columns, backtest_text, fit_columns
    from warehouse.db import utc_now, warehouse_path, writer
    from warehouse.pipeline_queries import store_calibrated_cost_model

    cfg = load_config(args.config, data_dir=args.data_dir)
    spec = cfg.models[args.role]
    key = args.model_key or spec.model_key
    result = calibrate(args.model_config, batch_sizes=args.batch_sizes, prompt_tokens=args.prompt_tokens,
                       new_tokens=args.new_tokens, device=args.device, dtype=args.dtype, repeats=args.repeats)
    fit = result.fit
    mean_batch = float(result.batches["batch_size"].mean())
    detail = {"name": args.name or spec.name, "config": str(args.model_config),
              "architecture": result.architecture, "dtype": result.dtype,
              "batch_sizes": args.batch_sizes, "prompt_tokens": args.prompt_tokens,
              "new_tokens": args.new_tokens, "charged_at_batch_size": mean_batch}
    row = pl.DataFrame([{
        "model_key": key, "role": args.role, "device": result.device,
        **fit_columns(fit), **backtest_columns(result.backtest),
        "fitted_at": utc_now(),
        "source": "calibrate-gpu", "detail": json.dumps(detail),
    }], schema_overrides=COST_MODEL_SCHEMA)
    with writer(cfg.data_dir) as con:
        store_calibrated_cost_model(con, row, key, result.device)
    r2 = "n/a" if fit.r2 is None else f"{fit.r2:.3f}"
    print(f"calibrate-gpu: {detail['name']} ({result.architecture}, {result.dtype}) on {result.device}: "
          f"{fit.seconds_per_request:.3g} s/request + {fit.seconds_per_prompt_token:.3g} s/prompt token + "
          f"{fit.seconds_per_output_token:.3g} s/output token at batch {mean_batch:.3g}, "
          f"R^2 {r2} over {fit.n_batches} batches")
    print(f"backtest ({result.backtest.method}): {backtest_text(result.backtest)}")
    print(f"written to cost_models (model_key {key}, source calibrate-gpu) in {warehouse_path(cfg.data_dir)}")
