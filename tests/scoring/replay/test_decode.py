"""scoring.replay.decode: the static-cache decode loop against transformers' own ``generate``.

A small random-weight Llama (grouped-query attention, like the real models) in float32: the
loop must choose exactly the tokens ``generate`` chooses, with left padding, stop tokens and
reused decode states.
"""

from __future__ import annotations

import math
import os

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from scoring.replay.decode import forget_model, greedy_decode

VOCAB = 512


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(3)
    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=VOCAB, max_position_embeddings=256)
    m = LlamaForCausalLM(config).eval()
    # Larger weights than the default init: decisive logits, so float rounding never decides a tie.
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(8)
    m.generation_config.eos_token_id = None
    m.generation_config.pad_token_id = 0
    # PLANB_TEST_DEVICE=cuda runs the same checks through the CUDA-graph path on a GPU.
    yield m.to(os.environ.get("PLANB_TEST_DEVICE", "cpu"))
    forget_model(m)


def _ragged_batch(rows: int = 3, width: int = 11):
    torch.manual_seed(5)
    ids = torch.randint(3, VOCAB, (rows, width))
    mask = torch.ones_like(ids)
    mask[1, :4] = 0  # left padding
    mask[2, :9] = 0
    ids[mask == 0] = 0
    return ids, mask


def _generate(model, ids, mask, n):
    with torch.inference_mode():
        out = model.generate(input_ids=ids.to(model.device), attention_mask=mask.to(model.device),
                             max_new_tokens=n, do_sample=False)
    return out[:, ids.shape[1]:].cpu()


def test_same_tokens_as_generate_with_left_padding(model):
    ids, mask = _ragged_batch()
    out = greedy_decode(model, ids, mask, max_new_tokens=20)
    assert torch.equal(out.tokens, _generate(model, ids, mask, 20))
    assert out.lengths == [20, 20, 20] and out.steps == 20
    assert out.seconds > 0


def test_each_row_matches_its_unpadded_self(model):
    # Padding must not change a row's answer: decode row 2 alone, without its padding.
    ids, mask = _ragged_batch()
    batch = greedy_decode(model, ids, mask, max_new_tokens=12).tokens
    alone = greedy_decode(model, ids[2:, 9:], mask[2:, 9:], max_new_tokens=12).tokens
    assert torch.equal(batch[2], alone[0])


def test_stop_tokens_end_rows_and_count_the_stop(model):
    ids, mask = _ragged_batch()
    free = greedy_decode(model, ids, mask, max_new_tokens=16).tokens
    stop = int(free[0, 3])  # row 0 emits this at its 4th token
    out = greedy_decode(model, ids, mask, max_new_tokens=16, stop_token_ids={stop})
    first = (free[0] == stop).nonzero()[0].item()
    assert out.lengths[0] == first + 1
    # after its stop the row repeats the stop token; before it, the tokens are unchanged
    assert torch.equal(out.tokens[0, : first + 1], free[0, : first + 1])
    assert (out.tokens[0, first:] == stop).all()


def test_min_new_tokens_defers_the_stop(model):
    ids, mask = _ragged_batch()
    free = greedy_decode(model, ids, mask, max_new_tokens=16).tokens
    stop = int(free[0, 0])
    out = greedy_decode(model, ids, mask, max_new_tokens=16, stop_token_ids={stop}, min_new_tokens=5)
    assert out.lengths[0] >= 5


def test_all_rows_stopped_ends_the_batch_early(model):
    ids, mask = _ragged_batch()
    vocab_all = set(range(VOCAB))
    out = greedy_decode(model, ids, mask, max_new_tokens=64, stop_token_ids=vocab_all)
    assert out.lengths == [1, 1, 1]
    assert out.steps < 64  # checked every few steps, not run to the cap


def test_reused_state_gives_the_same_answer(model):
    ids, mask = _ragged_batch()
    first = greedy_decode(model, ids, mask, max_new_tokens=10)
    other_ids, other_mask = _ragged_batch(rows=3, width=11)
    greedy_decode(model, other_ids.flip(0), other_mask.flip(0), max_new_tokens=10)  # same shape, other data
    again = greedy_decode(model, ids, mask, max_new_tokens=10)
    assert torch.equal(first.tokens, again.tokens)
    assert torch.allclose(first.logprobs, again.logprobs)


def test_features_are_log_probabilities_and_entropies(model):
    ids, mask = _ragged_batch()
    out = greedy_decode(model, ids, mask, max_new_tokens=6)
    with torch.inference_mode():
        logits = model(input_ids=ids.to(model.device), attention_mask=mask.to(model.device)).logits[:, -1].float().cpu()
    logp = torch.log_softmax(logits, dim=-1)
    # The first token's features, recomputed from a plain forward pass.
    assert torch.allclose(out.logprobs[:, 0], logp.max(dim=-1).values, atol=1e-4)
    entropy = -(logp.exp() * logp).sum(dim=-1)
    assert torch.allclose(out.entropies[:, 0], entropy, atol=1e-4)
    assert (out.logprobs <= 0).all() and (out.entropies >= 0).all()
    assert (out.entropies <= math.log(VOCAB) + 1e-4).all()

