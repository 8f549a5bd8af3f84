"""Replay engine on the CPU against a per-request ``generate`` loop, same requests, same run.

The bundled small model (SmolLM2-135M-Instruct) answers real queries from the bundled sample
log, once through the engine (length-bucketed batches, static-cache decode loop) and once one
request at a time through plain ``generate`` with the same template, stop strings and token
cap. Prints requests/s of both, the ratio, and how many answers are identical.

    .venv/bin/python bench/replay_cpu.py [--requests 64] [--batch-size 32] [--max-new-tokens 32]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from scoring.config import BUNDLED_LOG_DIR, load_config
from scoring.replay.engine import (
    ReplayRequest,
    _adds_special_tokens,
    cut_at_stop,
    render_prompt,
    replay,
)
from scoring.replay.weights import load_causal_lm


def sample_queries(n: int) -> list[str]:
    queries = []
    for path in sorted(BUNDLED_LOG_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the sample log's deliberately malformed lines
            if isinstance(record, dict) and isinstance(record.get("query"), str) and record["query"].strip():
                queries.append(record["query"])
            if len(queries) == n:
                return queries
    return queries


def per_request_loop(spec, model, tokenizer, queries: list[str]) -> list[str]:
    """The straightforward way: one ``generate`` call a request."""
    answers = []
    for query in queries:
        ids = tokenizer(render_prompt(spec.template, query, tokenizer), return_tensors="pt",
                        add_special_tokens=_adds_special_tokens(spec.template))
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=spec.max_new_tokens, do_sample=False,
                                 stop_strings=spec.template.stop or None, tokenizer=tokenizer,
                                 pad_token_id=tokenizer.pad_token_id)
        text = tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
        answers.append(cut_at_stop(text, spec.template.stop))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    args = parser.parse_args()

    cfg = load_config(None)
    spec = cfg.models["small"].model_copy(update={"batch_size": args.batch_size, "max_new_tokens": args.max_new_tokens})
    model, tokenizer = load_causal_lm(spec.weights, spec.dtype, spec.device, str(cfg.model_cache_dir))
    queries = sample_queries(args.requests)
    requests = [ReplayRequest(f"r{i}", q) for i, q in enumerate(queries)]
    replay(spec, requests[: args.batch_size], model=model, tokenizer=tokenizer)  # warm-up both paths
    per_request_loop(spec, model, tokenizer, queries[:2])

    began = time.perf_counter()
    run = replay(spec, requests, model=model, tokenizer=tokenizer)
    engine_s = time.perf_counter() - began
    began = time.perf_counter()
    baseline = per_request_loop(spec, model, tokenizer, queries)
    baseline_s = time.perf_counter() - began

    answers = {r.request_id: r.output for r in run.results}
    same = sum(answers[f"r{i}"] == baseline[i] for i in range(len(queries)))
    engine_rps, baseline_rps = len(queries) / engine_s, len(queries) / baseline_s
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"{len(queries)} requests, batch size {args.batch_size}, max {args.max_new_tokens} new tokens")
    print(f"engine:              {engine_rps:7.2f} requests/s ({engine_s:.1f} s, {len(run.batches)} batches)")
    print(f"per-request generate:{baseline_rps:7.2f} requests/s ({baseline_s:.1f} s)")
    print(f"ratio: {engine_rps / baseline_rps:.1f}x (goal >= 5x); identical answers: {same}/{len(queries)}")


if __name__ == "__main__":
    main()
