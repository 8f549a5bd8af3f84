"""Greedy decoding with a static KV cache, and on CUDA one captured graph per decode step.

Plain ``generate`` spends ~55 ms a step in Python and kernel launches whatever the model size
(../shared/anchors/README.md), so on a GPU it measures the framework, not the model. Here the
KV cache is preallocated (``StaticCache``), the attention mask and positions are computed on
the device from a few static tensors, and on CUDA the whole decode step (forward, argmax,
log-prob features) is captured once as a CUDA graph and replayed: one launch a step.

The same loop runs on the CPU without the graph, so the engine has one decoding path, and
tests on the CPU check it token for token against ``generate``.

Only torch and transformers are imported: the GPU benchmark runs this module on a machine
without the rest of Plan B's dependencies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from transformers import StaticCache

# Finished rows are checked this often (a host sync); decoding stops when all are done.
FINISH_CHECK_EVERY = 8
# Cache lengths are rounded up to this, so batches of similar length share captured graphs.
CACHE_LEN_QUANTUM = 32


@dataclass
class Decoded:
    """What a batch generated: tokens and per-token features, rows in input order (on the CPU)."""

    tokens: torch.Tensor  # (batch, steps) int64; after a row's stop token: its stop token again
    lengths: list[int]  # tokens each row generated, its stop token included
    logprobs: torch.Tensor  # (batch, steps) float32: log-probability of each chosen token
    entropies: torch.Tensor  # (batch, steps) float32: entropy of each step's distribution
    steps: int  # decoding steps the batch ran (its longest answer)
    seconds: float  # device time of the batch: CUDA events on a GPU, wall clock on the CPU


def greedy_decode(
    model,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    max_new_tokens: int,
    stop_token_ids: tuple[int, ...] | list[int] | set[int] = (),
    min_new_tokens: int = 0,
    cuda_graph: bool | None = None,
) -> Decoded:
    """Greedy answers for a left-padded batch.

    ``cuda_graph`` defaults to True on CUDA. A row finishes at its first stop token once it has
    ``min_new_tokens``; the batch runs until every row has finished or ``max_new_tokens``.
    (Measured on an H100 and not adopted, docs/PERFORMANCE.md: torch.compile of the step, other
    SDPA backends, a fused RMSNorm.)

    Example:
        >>> out = greedy_decode(model, ids, mask, max_new_tokens=16, stop_token_ids={2})  # doctest: +SKIP
        >>> out.tokens.shape, out.lengths  # doctest: +SKIP
        (torch.Size([4, 16]), [5, 16, 9, 3])
    """
    if cuda_graph is None:
        cuda_graph = model.device.type == "cuda"
    batch, prompt_len = input_ids.shape
    cache_len = _round_up(prompt_len + max_new_tokens, CACHE_LEN_QUANTUM)
    _check_sliding_window(model, cache_len)
    state = _state_for(model, batch, cache_len, max_new_tokens)
    timer = _Timer(model.device)
    with torch.inference_mode():
        timer.start()
        state.prefill(input_ids.to(model.device), attention_mask.to(model.device),
                      stop_token_ids, min_new_tokens)
        step = state.graph_step() if cuda_graph else state.step
        done_steps = 1
        while done_steps < max_new_tokens:
            step()
            done_steps += 1
            if done_steps % FINISH_CHECK_EVERY == 0 and bool(state.finished.all()):
                break
        seconds = timer.stop()
    return state.result(done_steps, seconds)


def _check_sliding_window(model, cache_len: int) -> None:
    config = model.config.get_text_config(decoder=True)
    window = getattr(config, "sliding_window", None)
    sliding = window and any("sliding" in kind for kind in getattr(config, "layer_types", None) or [])
    # A sliding-window cache rolls once full, which the mask here does not model.
    if sliding and cache_len > window:
        raise ValueError(f"prompt + answer ({cache_len} tokens) exceed the sliding window ({window})")


# Decode states (KV cache, static tensors, captured graph) of recent batch shapes, per model:
# batches of one shape reuse them, so a graph is captured once, not once a batch.
_STATES: dict[tuple, _DecodeState] = {}
_MAX_STATES = 4


def forget_model(model) -> None:
    """Drop the decode states (and with them the KV caches and graphs) held for ``model``."""
    for key in [key for key, state in _STATES.items() if state.model is model]:
        del _STATES[key]


def _state_for(model, batch: int, cache_len: int, max_new_tokens: int) -> _DecodeState:
    key = (id(model), batch, cache_len, max_new_tokens)
    state = _STATES.pop(key, None)
    if state is None or state.model is not model:
        state = _DecodeState(model, batch, cache_len, max_new_tokens)
    _STATES[key] = state  # most recent last
    while len(_STATES) > _MAX_STATES:
        del _STATES[next(iter(_STATES))]
    return state


def _round_up(n: int, quantum: int) -> int:
    return -(-n // quantum) * quantum


class _Timer:
    """Device time: CUDA events on a GPU (the host may run ahead), wall clock on the CPU."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"

    def start(self) -> None:
        if self.cuda:
            self.begin, self.end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            self.begin.record()
        else:
            self.began = time.perf_counter()

    def stop(self) -> float:
        if self.cuda:
            self.end.record()
            self.end.synchronize()
            return self.begin.elapsed_time(self.end) / 1e3
        return time.perf_counter() - self.began


class _DecodeState:
    """Static tensors of one batch; ``step`` only updates them in place, so it can be captured."""

    def __init__(self, model, batch: int, cache_len: int, max_new_tokens: int):
        device = model.device
        self.model = model
        self.graph_replay = None
        self.cache = StaticCache(config=model.config, max_cache_len=cache_len)
        self.key_positions = torch.arange(cache_len, device=device)
        self.min_value = torch.finfo(model.dtype).min
        # A per-vocabulary table rather than a list: a captured graph serves any set of stop tokens.
        vocab = model.get_output_embeddings().weight.shape[0]
        self.is_stop = torch.zeros(vocab, dtype=torch.bool, device=device)
        self.min_new_tokens = torch.zeros((), dtype=torch.long, device=device)
        # What prefill sets for each batch: which cache slots hold prompt tokens, left padding.
        self.prompt_keys = torch.zeros((batch, cache_len), dtype=torch.bool, device=device)
        self.padding = torch.zeros(batch, dtype=torch.long, device=device)
        self.prompt_len = torch.zeros((), dtype=torch.long, device=device)
        # Device-side counters: the step reads them, so a replayed graph sees the current values.
        self.position = torch.zeros((), dtype=torch.long, device=device)  # cache slot of the input
        self.step_index = torch.zeros((), dtype=torch.long, device=device)
        self.last_token = torch.zeros(batch, dtype=torch.long, device=device)
        self.finished = torch.zeros(batch, dtype=torch.bool, device=device)
        self.lengths = torch.zeros(batch, dtype=torch.long, device=device)
        self.tokens = torch.zeros((batch, max_new_tokens), dtype=torch.long, device=device)
        self.logprobs = torch.zeros((batch, max_new_tokens), dtype=torch.float32, device=device)
        self.entropies = torch.zeros((batch, max_new_tokens), dtype=torch.float32, device=device)

    def prefill(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, stop_token_ids,
                min_new_tokens: int) -> None:
        """Reset the state for a new batch and run its prompts through the model."""
        prompt_len = input_ids.shape[1]
        self.is_stop.zero_()
        self.is_stop[torch.tensor(sorted(set(stop_token_ids)), dtype=torch.long)] = True
        self.min_new_tokens.fill_(min_new_tokens)
        for tensor in (self.step_index, self.finished, self.lengths):
            tensor.zero_()
        self.cache.reset()  # also the sliding-window layers' host-side lengths
        real = attention_mask.bool()
        self.padding.copy_((~real).sum(dim=1))  # left padding of each row
        self.prompt_len.fill_(prompt_len)
        self.prompt_keys.zero_()
        self.prompt_keys[:, :prompt_len] = real
        query_positions = torch.arange(prompt_len, device=input_ids.device)
        causal = self.key_positions[None, :] <= query_positions[:, None]  # (prompt, cache)
        allowed = causal[None] & self.prompt_keys[:, None, :]
        # A padding query attends to itself, so no row of the mask is empty (NaN-free softmax).
        allowed |= self.key_positions[None, None, :] == query_positions[None, :, None]
        positions = (query_positions[None, :] - self.padding[:, None]).clamp(min=0)
        logits = self.model(
            input_ids=input_ids, attention_mask=self._additive(allowed[:, None]),
            position_ids=positions, cache=self.cache, use_cache=True, logits_to_keep=1,
        ).logits[:, -1]
        self.position.fill_(prompt_len)
        self._choose(logits)

    def step(self) -> None:
        """One decoding step: feed the last token, choose the next one."""
        allowed = self.prompt_keys | ((self.key_positions >= self.prompt_len) & (self.key_positions <= self.position))
        logits = self.model(
            input_ids=self.last_token[:, None], attention_mask=self._additive(allowed[:, None, None, :]),
            position_ids=(self.position - self.padding)[:, None], cache=self.cache, use_cache=True,
        ).logits[:, -1]
        self.position.add_(1)
        self._choose(logits)

    def graph_step(self):
        """``step`` captured as a CUDA graph (once per state); returns the function that replays it."""
        if self.graph_replay is None:
            self.graph_replay = self._capture()
        return self.graph_replay

    def _capture(self):
        slots = [layer.cumulative_length.clone() for layer in self.cache.layers]
        saved = [t.clone() for t in (self.position, self.step_index, self.last_token, self.finished,
                                     self.lengths, self.tokens, self.logprobs, self.entropies)]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.step()  # warm-up: lazy initialisation and library handles, outside the capture
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self.step()
        # The warm-up ran the step once for real: put every counter back where prefill left it.
        for layer, slot in zip(self.cache.layers, slots):
            layer.cumulative_length.copy_(slot)
        for tensor, value in zip((self.position, self.step_index, self.last_token, self.finished,
                                  self.lengths, self.tokens, self.logprobs, self.entropies), saved):
            tensor.copy_(value)
        return graph.replay

    def _additive(self, allowed: torch.Tensor) -> torch.Tensor:
        # Additive rather than boolean: eager and SDPA attention both take it.
        zero = torch.zeros((), dtype=self.model.dtype, device=allowed.device)
        return torch.where(allowed, zero, self.min_value)

    def _choose(self, logits: torch.Tensor) -> None:
        logp = torch.log_softmax(logits.float(), dim=-1)
        chosen = logp.argmax(dim=-1)
        entropy = -(logp.exp() * logp).sum(dim=-1)
        # A finished row keeps repeating its stop token; its length stops growing.
        token = torch.where(self.finished, self.last_token, chosen)
        index = self.step_index.view(1, 1).expand(token.numel(), 1)
        self.tokens.scatter_(1, index, token[:, None])
        self.logprobs.scatter_(1, index, logp.gather(1, chosen[:, None]))
        self.entropies.scatter_(1, index, entropy[:, None])
        self.lengths.add_((~self.finished).long())
        stops = self.is_stop[token] & (self.lengths >= self.min_new_tokens)
        self.finished.logical_or_(stops)
        self.last_token.copy_(token)
        self.step_index.add_(1)

    def result(self, steps: int, seconds: float) -> Decoded:
        lengths = self.lengths.cpu().tolist()
        return Decoded(
            tokens=self.tokens[:, :steps].cpu(), lengths=lengths,
            logprobs=self.logprobs[:, :steps].cpu(), entropies=self.entropies[:, :steps].cpu(),
            steps=steps, seconds=seconds,
        )
