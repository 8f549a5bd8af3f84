"""Batched, length-bucketed greedy generation with per-request cost and confidence features.

Batches group prompts of similar length, up to a request count and a token budget; each runs
through the static-cache decode loop (scoring/replay/decode.py: one CUDA graph a step on a GPU).

Each batch is timed as a whole (the device does the work of a batch at once); its seconds are
shared out to its requests by their tokens, and the batch itself is kept for the cost model.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from scoring.config import ModelSpec, PromptTemplate
from scoring.replay.decode import CACHE_LEN_QUANTUM, greedy_decode


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
    prompt_truncated: bool = False  # the prompt kept only its last tokens (prompt_token_limit)


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


def _buckets(lengths: list[int], batch_size: int, max_new_tokens: int = 0,
             max_batch_tokens: int | None = None) -> list[list[int]]:
    """Indices grouped into batches of similar prompt length (less padding per batch).

    A batch holds at most ``batch_size`` requests and, with a token budget, at most
    ``max_batch_tokens`` cache slots: rows x (its longest prompt + ``max_new_tokens``). A
    request over the budget on its own still gets a batch of one.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    for i in order:
        batch = batches[-1] if batches else None
        # Sorted by length, so the newest request is the batch's longest.
        fits = batch is not None and len(batch) < batch_size and (
            max_batch_tokens is None or (len(batch) + 1) * (lengths[i] + max_new_tokens) <= max_batch_tokens
        )
        if fits:
            batch.append(i)
        else:
            batches.append([i])
    return batches


def stop_token_ids(tokenizer, model, stop: list[str]) -> frozenset[int]:
    """End-of-sequence tokens, and every token whose text contains a stop string.

    A stop string split over two tokens is not caught here; the answer is still cut at it
    (``cut_at_stop``), only a few more tokens are generated.
    """
    key = (id(tokenizer), tuple(stop))
    if key not in _STOP_IDS:
        ids = set(_as_list(model.generation_config.eos_token_id)) | {tokenizer.eos_token_id}
        markers = [m for m in stop if m]
        if markers:
            texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
            ids |= {i for i, text in enumerate(texts) if any(m in text for m in markers)}
        _STOP_IDS[key] = frozenset(i for i in ids if i is not None)
    return _STOP_IDS[key]


_STOP_IDS: dict[tuple, frozenset[int]] = {}


def prompt_token_limit(model, max_new_tokens: int) -> int:
    """The longest prompt the model can take with room for the answer (context, sliding window)."""
    config = model.config.get_text_config(decoder=True)
    context = getattr(config, "max_position_embeddings", None) or 1_000_000
    window = getattr(config, "sliding_window", None)
    if window and any("sliding" in kind for kind in getattr(config, "layer_types", None) or []):
        context = min(context, window)
    return max(1, context - max_new_tokens - CACHE_LEN_QUANTUM)  # the cache rounds lengths up


def _generate_batch(model, tokenizer, spec: ModelSpec, token_lists: list[list[int]]) -> tuple[list[dict], float, tuple[int, int]]:
    limit = prompt_token_limit(model, spec.max_new_tokens)
    # Too long a prompt keeps its last tokens: the question and the cue to answer sit at the end.
    truncated = [len(t) > limit for t in token_lists]
    encoded = tokenizer.pad({"input_ids": [t[-limit:] for t in token_lists]}, return_tensors="pt")
    decoded = greedy_decode(
        model, encoded["input_ids"], encoded["attention_mask"], max_new_tokens=spec.max_new_tokens,
        stop_token_ids=stop_token_ids(tokenizer, model, spec.template.stop),
    )
    eos_ids = set(_as_list(model.generation_config.eos_token_id)) | {tokenizer.eos_token_id}
    rows = []
    for i in range(len(token_lists)):
        n_tokens = decoded.lengths[i]
        tokens = decoded.tokens[i, :n_tokens].tolist()
        text_tokens = tokens[:-1] if tokens and tokens[-1] in eos_ids else tokens
        chosen, entropy = decoded.logprobs[i, :n_tokens], decoded.entropies[i, :n_tokens]
        rows.append(
            {
                "output": cut_at_stop(tokenizer.decode(text_tokens, skip_special_tokens=True), spec.template.stop),
                "prompt_tokens": int(encoded["attention_mask"][i].sum()),
                "output_tokens": n_tokens,
                "mean_logprob": float(chosen.mean()) if n_tokens else None,
                "min_logprob": float(chosen.min()) if n_tokens else None,
                "mean_entropy": float(entropy.mean()) if n_tokens else None,
                "prompt_truncated": truncated[i],
            }
        )
    return rows, decoded.seconds, (encoded["input_ids"].numel(), decoded.steps)


def _adds_special_tokens(template: PromptTemplate) -> bool:
    # A chat template writes its own BOS; a completion prompt needs the tokenizer's (Gemma
    # degenerates into repetition without it).
    return template.kind == "completion"


def _as_list(value) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


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
    special = _adds_special_tokens(spec.template)
    # Tokenised once: the lengths choose the batches, the tokens go to the model.
    prompts = [tokenizer(render_prompt(spec.template, r.query, tokenizer), add_special_tokens=special)["input_ids"]
               for r in requests]
    lengths = [len(p) for p in prompts]
    for bucket in _buckets(lengths, spec.batch_size, spec.max_new_tokens, spec.max_batch_tokens):
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
