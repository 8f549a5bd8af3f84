"""Batched, length-bucketed greedy generation with per-request cost and confidence features.

Each batch is timed as a whole (the device does the work of a batch at once); its seconds are
shared out to its requests by their tokens, and the batch itself is kept for the cost model.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from scoring.config import ModelSpec, PromptTemplate


@dataclass(frozen=True)
class ReplayRequest:
    request_id: str
    query: str


@dataclass
class ReplayResult:
    request_id: str
    output: str | None
    prompt_tokens: int
    output_tokens: int
    seconds: float
    mean_logprob: float | None
    min_logprob: float | None
    mean_entropy: float | None
    batch_id: str
    error: str | None = None


@dataclass
class ReplayBatch:
    batch_id: str
    batch_size: int
    prompt_tokens: int
    output_tokens: int
    padded_prompt_tokens: int  # batch size x longest prompt: what the device processed
    decode_steps: int  # generation steps the batch ran (its longest answer)
    seconds: float


@dataclass
class ReplayRun:
    results: list[ReplayResult] = field(default_factory=list)
    batches: list[ReplayBatch] = field(default_factory=list)
    device: str = "cpu"


def render_prompt(template: PromptTemplate, query: str, tokenizer) -> str:
    """The exact text the model sees for ``query``.

    Example:
        >>> t = PromptTemplate(kind="completion", text="Q: {query}\\nA:", stop=["\\n"])
        >>> render_prompt(t, "who wrote hamlet", tokenizer=None)
        'Q: who wrote hamlet\\nA:'
    """
    if template.kind == "completion":
        return template.text.replace("{query}", query)
    messages = [{"role": "user", "content": query}]
    if template.system:
        messages.insert(0, {"role": "system", "content": template.system})
    return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def cut_at_stop(text: str, stop: list[str]) -> str:
    """The answer up to the first stop string, stripped.

    Example:
        >>> cut_at_stop(" Paris.\\n\\nQ: next", ["\\n"])
        'Paris.'
    """
    for marker in stop:
        if marker and marker in text:
            text = text[: text.index(marker)]
    return text.strip()


def device_name(device: str) -> str:
    """A device label for cost rows: ``cpu`` or ``cuda:<card name>``."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return f"cuda:{torch.cuda.get_device_name(torch.device(device))}"
    return "cpu"


def _buckets(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar prompt length (less padding per batch)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _generate_batch(model, tokenizer, spec: ModelSpec, prompts: list[str]) -> tuple[list[dict], float, tuple[int, int]]:
    import torch

    encoded = tokenizer(prompts, return_tensors="pt", padding=True,
                        add_special_tokens=_adds_special_tokens(spec.template))
    encoded = {k: v.to(model.device) for k, v in encoded.items()}
    stop = spec.template.stop or None
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(
            **encoded,
            max_new_tokens=spec.max_new_tokens,
            do_sample=False,
            output_logits=True,
            return_dict_in_generate=True,
            stop_strings=stop,
            tokenizer=tokenizer if stop else None,
            pad_token_id=tokenizer.pad_token_id,
        )
    if model.device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started

    prompt_width = encoded["input_ids"].shape[1]
    generated = out.sequences[:, prompt_width:]
    logprobs = torch.stack(out.logits, dim=1).float().log_softmax(dim=-1)  # batch x steps x vocab
    eos_ids = set(_as_list(model.generation_config.eos_token_id)) | {tokenizer.eos_token_id}
    rows = []
    for i in range(len(prompts)):
        tokens = generated[i].tolist()
        n_tokens, n_text = _generated_length(tokens, eos_ids, tokenizer.pad_token_id)
        step_logprobs = logprobs[i, :n_tokens]
        chosen = step_logprobs.gather(1, generated[i, :n_tokens].unsqueeze(1)).squeeze(1)
        entropy = -(step_logprobs.exp() * step_logprobs).nansum(dim=-1)
        text = tokenizer.decode(tokens[:n_text], skip_special_tokens=True)
        rows.append(
            {
                "output": cut_at_stop(text, spec.template.stop),
                "prompt_tokens": int(encoded["attention_mask"][i].sum()),
                "output_tokens": n_tokens,
                "mean_logprob": float(chosen.mean()) if n_tokens else None,
                "min_logprob": float(chosen.min()) if n_tokens else None,
                "mean_entropy": float(entropy.mean()) if n_tokens else None,
            }
        )
    return rows, seconds, (prompt_width * len(prompts), generated.shape[1])


def _adds_special_tokens(template: PromptTemplate) -> bool:
    # A chat template writes its own BOS; a completion prompt needs the tokenizer's (Gemma
    # degenerates into repetition without it).
    return template.kind == "completion"


def _as_list(value) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _generated_length(tokens: list[int], eos_ids: set[int], pad_id: int | None) -> tuple[int, int]:
    """(tokens the model generated, EOS included; tokens that are answer text)."""
    for position, token in enumerate(tokens):
        if token in eos_ids:
            return position + 1, position
        if token == pad_id:  # finished earlier by a stop string, then padded
            return position, position
    return len(tokens), len(tokens)


def replay(spec: ModelSpec, requests: list[ReplayRequest], *, model, tokenizer) -> ReplayRun:
    """Generate greedy answers for ``requests`` in length-bucketed batches.

    A batch that fails is retried one request at a time, so one bad request records its own
    error and the others still get answers.

    Example:
        >>> run = replay(spec, [ReplayRequest("r1", "who wrote hamlet")], model=m, tokenizer=t)  # doctest: +SKIP
        >>> run.results[0].output  # doctest: +SKIP
        'William Shakespeare'
    """
    run = ReplayRun(device=device_name(spec.device))
    prompts = [render_prompt(spec.template, r.query, tokenizer) for r in requests]
    special = _adds_special_tokens(spec.template)
    lengths = [len(tokenizer(p, add_special_tokens=special)["input_ids"]) for p in prompts]
    for bucket in _buckets(lengths, spec.batch_size):
        _replay_bucket(spec, requests, prompts, bucket, model, tokenizer, run)
    return run


def _replay_bucket(spec, requests, prompts, bucket, model, tokenizer, run: ReplayRun) -> None:
    batch_id = uuid.uuid4().hex[:12]
    try:
        rows, seconds, (padded, steps) = _generate_batch(model, tokenizer, spec, [prompts[i] for i in bucket])
    except Exception as err:  # noqa: BLE001 - recorded per request below, never lost
        if len(bucket) > 1:
            for i in bucket:
                _replay_bucket(spec, requests, prompts, [i], model, tokenizer, run)
            return
        run.results.append(
            ReplayResult(requests[bucket[0]].request_id, None, 0, 0, 0.0, None, None, None,
                         batch_id, error=f"{type(err).__name__}: {err}")
        )
        return
    tokens = [r["prompt_tokens"] + r["output_tokens"] for r in rows]
    total = sum(tokens) or 1
    for i, row, n in zip(bucket, rows, tokens):
        run.results.append(
            ReplayResult(requests[i].request_id, seconds=seconds * n / total, batch_id=batch_id, **row)
        )
    run.batches.append(
        ReplayBatch(
            batch_id,
            len(bucket),
            sum(r["prompt_tokens"] for r in rows),
            sum(r["output_tokens"] for r in rows),
            padded,
            steps,
            seconds,
        )
    )
