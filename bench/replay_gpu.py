"""Replay engine on a GPU against plain eager ``generate``, same weights, same run.

Two Llama-shaped decoders with random bf16 weights (decode cost does not depend on the weight
values): SmolLM2-135M and Llama-3-8B shapes, prompts of 64 tokens, 128 new tokens. For each
batch size it reports output tokens/s of the engine's decode loop (scoring/replay/decode.py:
static KV cache, one CUDA graph a step) and of eager ``generate``, the decode roofline as
../shared/anchors/gpu_anchor.py computes it, and whether the two paths chose the same tokens.

Token-for-token agreement is checked twice: in bf16 at the benchmark sizes (random weights
give near-tied logits, so rounding differences between two correct kernels can flip a token;
reported, not asserted) and in float32 on a few rows, where the paths must agree exactly.

Run on a CUDA machine: ``python bench/replay_gpu.py`` (BUDGET_S caps the wall time; results
go to $OUT/replay_gpu.json and a Markdown table on stdout).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from statistics import median

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scoring.replay.decode import forget_model, greedy_decode

BUDGET_S = float(os.environ.get("BUDGET_S", "420"))
PROMPT, NEW = 64, 128
ARCHS = {
    "135M": dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                 num_key_value_heads=3, vocab_size=49152, tie_word_embeddings=True),
    "8B": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
               num_key_value_heads=8, vocab_size=128256, tie_word_embeddings=False),
}
BATCHES = {"135M": [256, 16], "8B": [64, 128, 16]}
# The goals: (shape, batch) -> (min share of roofline, min speed-up over eager).
GOALS = {("8B", 64): (0.5, 10), ("8B", 128): (0.5, 10), ("135M", 256): (None, 20)}
STARTED = time.time()
# BENCH_SMOKE=1: tiny shapes on the CPU, to check this script before spending GPU time.
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
DEVICE = "cpu" if SMOKE else "cuda"
if SMOKE:
    ARCHS = {k: {**v, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "vocab_size": 1000,
                 "num_attention_heads": 4, "num_key_value_heads": 2} for k, v in ARCHS.items()}
    BATCHES = {"135M": [8], "8B": [4]}
    NEW = 16


def left() -> float:
    return BUDGET_S - (time.time() - STARTED)


def say(*parts) -> None:
    print(*parts, flush=True)


def ceilings() -> dict:
    """Copy bandwidth (bytes read + written) and bf16 matrix rate, measured on this card."""
    if SMOKE:
        return {"copy_TBps": 0.01, "bf16_TFLOPs": 0.1}
    x = torch.empty(2 * 1024**3 // 2, dtype=torch.bfloat16, device=DEVICE).normal_()
    y = torch.empty_like(x)
    copy_s = _time_cuda(lambda: y.copy_(x))
    x = y = None  # free 4 GiB before the matrices
    a = torch.randn(8192, 8192, dtype=torch.bfloat16, device=DEVICE)
    b = torch.randn_like(a)
    mm_s = _time_cuda(lambda: a @ b)
    return {"copy_TBps": 2 * 2 * 1024**3 / copy_s / 1e12, "bf16_TFLOPs": 2 * 8192**3 / mm_s / 1e12}


def _time_cuda(fn, repeats: int = 10) -> float:
    for _ in range(3):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3 / repeats


def build(shape: str, dtype=torch.bfloat16):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(max_position_embeddings=4096, attn_implementation="sdpa", **ARCHS[shape])
    torch.manual_seed(0)
    torch.set_default_dtype(dtype)
    with torch.device(DEVICE):
        model = LlamaForCausalLM(config)
    torch.set_default_dtype(torch.float32)
    model.eval()
    model.generation_config.eos_token_id = None  # fixed length: 128 new tokens on both paths
    model.generation_config.pad_token_id = 0
    return model


def eager_generate(model, ids) -> tuple[torch.Tensor, float]:
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=8, do_sample=False)  # warm-up
        _sync()
        began = time.perf_counter()
        out = model.generate(ids, max_new_tokens=NEW, do_sample=False)
        _sync()
    return out[:, ids.shape[1]:].cpu(), time.perf_counter() - began


def _sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def engine_decode(model, ids, repeats: int = 3, **options) -> tuple[torch.Tensor, float]:
    mask = torch.ones_like(ids)
    try:
        greedy_decode(model, ids, mask, max_new_tokens=NEW, **options)
    except Exception:  # noqa: BLE001 - keep the run going: time the loop without the graph, and say why
        import traceback

        traceback.print_exc()
        say("CUDA graph path failed; timing the loop without it")
        options = {**options, "cuda_graph": False}
    greedy_decode(model, ids, mask, max_new_tokens=NEW, **options)  # warm-up: captures the graph
    runs = [greedy_decode(model, ids, mask, max_new_tokens=NEW, **options) for _ in range(repeats)]
    return runs[-1].tokens, median(r.seconds for r in runs)


def agreement(a: torch.Tensor, b: torch.Tensor) -> dict:
    same_rows = (a == b).all(dim=1)
    differs = (a != b).float()
    first = torch.where(differs.any(dim=1), differs.argmax(dim=1), torch.full_like(same_rows, a.shape[1], dtype=torch.long))
    return {"rows_identical": float(same_rows.float().mean()), "mean_first_divergence": float(first.float().mean())}


def roofline(model, batch: int, bandwidth: float) -> float:
    """Output tokens/s if a decode step only had to read the weights and the batch's KV cache once."""
    cfg = model.config
    weight_bytes = sum(t.numel() * t.element_size() for t in model.parameters())
    kv_per_token = 2 * cfg.num_hidden_layers * cfg.num_key_value_heads * (cfg.hidden_size // cfg.num_attention_heads) * 2
    step_bytes = weight_bytes + batch * kv_per_token * (PROMPT + NEW / 2)
    return batch * bandwidth / step_bytes


def bench_shape(shape: str, bandwidth: float, results: list) -> None:
    model = build(shape)
    for batch in BATCHES[shape]:
        if left() < 40:
            say(f"skip {shape} batch {batch}: budget")
            continue
        ids = torch.randint(100, model.config.vocab_size - 100, (batch, PROMPT), device=DEVICE)
        eager_tokens, eager_s = eager_generate(model, ids)
        engine_tokens, engine_s = engine_decode(model, ids)
        row = {"shape": shape, "batch": batch, "dtype": "bfloat16",
               "engine_tok_s": batch * NEW / engine_s, "eager_tok_s": batch * NEW / eager_s,
               "roofline_tok_s": roofline(model, batch, bandwidth),
               "engine_ms_per_step": 1e3 * engine_s / NEW, "eager_ms_per_step": 1e3 * eager_s / NEW,
               **agreement(engine_tokens, eager_tokens)}
        row["speedup"] = row["engine_tok_s"] / row["eager_tok_s"]
        row["share_of_roofline"] = row["engine_tok_s"] / row["roofline_tok_s"]
        results.append(row)
        say(json.dumps(row))
    forget_model(model)
    profile_step(model, shape, BATCHES[shape][0])
    exact_check(model, shape, results)
    forget_model(model)
    del model
    if DEVICE == "cuda":
        torch.cuda.empty_cache()


def exact_check(model, shape: str, results: list) -> None:
    """In float32 the engine and eager generate must choose the same tokens."""
    if left() < 40:
        say(f"skip float32 check {shape}: budget")
        return
    model.float()
    ids = torch.randint(100, model.config.vocab_size - 100, (4, PROMPT), device=DEVICE)
    ragged = torch.ones_like(ids)
    ragged[1, :5] = 0  # left padding on one row: the mask and positions are checked too
    ragged[3, :17] = 0
    with torch.inference_mode():
        eager = model.generate(ids, attention_mask=ragged, max_new_tokens=32, do_sample=False)[:, PROMPT:].cpu()
    engine = greedy_decode(model, ids, ragged, max_new_tokens=32).tokens
    row = {"shape": shape, "batch": 4, "dtype": "float32", "check": "engine vs eager generate, ragged rows",
           **agreement(engine, eager)}
    results.append(row)
    say(json.dumps(row))
    model.to(torch.bfloat16)


def profile_step(model, shape: str, batch: int) -> None:
    """Where a decode step's time goes: kernel time of one step run without the graph, by kernel."""
    if SMOKE or left() < 60 or os.environ.get("PROFILE") != "1":
        return
    from torch.profiler import ProfilerActivity, profile

    from scoring.replay.decode import CACHE_LEN_QUANTUM, _round_up, _state_for

    ids = torch.randint(100, model.config.vocab_size - 100, (batch, PROMPT), device=DEVICE)
    mask = torch.ones_like(ids)
    greedy_decode(model, ids, mask, max_new_tokens=NEW)
    state = _state_for(model, batch, _round_up(PROMPT + NEW, CACHE_LEN_QUANTUM), NEW, False)
    with torch.inference_mode():
        state.prefill(ids, mask, (), 0)
        for _ in range(3):
            state.step()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(5):
                state.step()
            torch.cuda.synchronize()
    events = [e for e in prof.key_averages() if e.device_time_total > 0]
    total = sum(e.self_device_time_total for e in events) / 5 / 1e3
    kernels = sum(e.count for e in events) / 5
    say(f"profile {shape} batch {batch}: {kernels:.0f} kernel launches, {total:.2f} ms of kernel time a step")
    for e in sorted(events, key=lambda e: -e.self_device_time_total)[:12]:
        say(f"   {e.self_device_time_total / 5 / 1e3:7.3f} ms  x{e.count / 5:5.0f}  {e.key[:110]}")


def table(env: dict, results: list) -> str:
    lines = [f"{env['gpu']}, torch {env['torch']}, transformers {env['transformers']}; "
             f"copy {env['copy_TBps']:.2f} TB/s, bf16 {env['bf16_TFLOPs']:.0f} TFLOP/s",
             "", "| shape | batch | engine tok/s | eager tok/s | speed-up | roofline tok/s | % of roofline "
             "| ms/step engine / eager | rows identical to eager (bf16) | goal |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.get("dtype") != "bfloat16":
            continue
        goal = GOALS.get((r["shape"], r["batch"]))
        verdict = ""
        if goal:
            share_ok = goal[0] is None or r["share_of_roofline"] >= goal[0]
            verdict = "met" if share_ok and r["speedup"] >= goal[1] else "missed"
            verdict += f" (>= {goal[1]}x" + (f", >= {goal[0]:.0%} roofline)" if goal[0] else ")")
        lines.append(f"| {r['shape']} | {r['batch']} | {r['engine_tok_s']:,.0f} | {r['eager_tok_s']:,.0f} | "
                     f"{r['speedup']:.1f}x | {r['roofline_tok_s']:,.0f} | {100 * r['share_of_roofline']:.1f}% | "
                     f"{r['engine_ms_per_step']:.2f} / {r['eager_ms_per_step']:.1f} | {r['rows_identical']:.0%} | {verdict} |")
    for r in results:
        if r.get("dtype") == "float32":
            lines.append(f"\nfloat32 check, {r['shape']}: {r['rows_identical']:.0%} of rows identical to eager "
                         f"generate (mean first divergence at token {r['mean_first_divergence']:.1f} of 32)")
    return "\n".join(lines)


def main() -> None:
    import transformers

    env = {"gpu": "cpu smoke test" if SMOKE else torch.cuda.get_device_properties(0).name,
           "torch": torch.__version__, "transformers": transformers.__version__,
           "date": time.strftime("%Y-%m-%d"), **ceilings()}
    say(json.dumps(env))
    results: list = []
    for shape in ("135M", "8B"):
        bench_shape(shape, env["copy_TBps"] * 1e12, results)
    out = Path(os.environ.get("OUT", "."))
    (out / "replay_gpu.json").write_text(json.dumps({"env": env, "results": results}, indent=1))
    say("\n" + table(env, results))
    say(f"\nelapsed {time.time() - STARTED:.0f} s")


if __name__ == "__main__":
    main()
