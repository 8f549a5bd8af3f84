"""scoring.replay.engine: the pure helpers (no model is loaded here)."""

from __future__ import annotations

import pytest

from scoring.config import PromptTemplate
from scoring.replay.engine import (
    _adds_special_tokens,
    _as_list,
    _buckets,
    cut_at_stop,
    render_prompt,
)

# --- cut_at_stop ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        (" Paris.\n\nQ: next", ["\n"], "Paris."),
        ("  Paris  ", [], "Paris"),
        ("Paris", ["\n"], "Paris"),  # no stop string: the whole text
        ("\nParis", ["\n"], ""),  # stop at the start: nothing
        ("abc END def\nx", ["\n", "END"], "abc"),  # the earliest stop wins whatever the list order
        ("abc\ndef END x", ["END", "\n"], "abc"),
        ("a b", [""], "a b"),  # an empty stop string is ignored
        ("Paris.</s>junk", ["</s>"], "Paris."),
        ("", ["\n"], ""),
    ],
)
def test_cut_at_stop(text, stop, expected):
    assert cut_at_stop(text, stop) == expected


# --- render_prompt ----------------------------------------------------------------------------


def test_render_prompt_completion():
    t = PromptTemplate(kind="completion", text="Q: {query}\nA:", stop=["\n"])
    assert render_prompt(t, "who wrote hamlet", tokenizer=None) == "Q: who wrote hamlet\nA:"


def test_render_prompt_completion_every_placeholder_and_no_reformatting():
    t = PromptTemplate(kind="completion", text="{query}? Answer {query} in {n} words:")
    # every {query} is replaced; other braces stay; the query is inserted verbatim (no format())
    assert render_prompt(t, "x {y}", tokenizer=None) == "x {y}? Answer x {y} in {n} words:"


def test_completion_prompts_add_special_tokens():
    assert _adds_special_tokens(PromptTemplate(kind="completion", text="{query}")) is True
    assert _adds_special_tokens(PromptTemplate(kind="chat")) is False


# --- _buckets ---------------------------------------------------------------------------------


def test_buckets_group_by_length():
    # sorted by length: indices 1 (1), 3 (2), 2 (3), 4 (4), 0 (5)
    assert _buckets([5, 1, 3, 2, 4], 2) == [[1, 3], [2, 4], [0]]


def test_buckets_ties_keep_input_order():
    assert _buckets([2, 2, 1, 2], 2) == [[2, 0], [1, 3]]


def test_buckets_edge_cases():
    assert _buckets([], 8) == []
    assert _buckets([7], 8) == [[0]]
    assert _buckets([3, 2, 1], 1) == [[2], [1], [0]]
    assert _buckets([3, 2, 1], 100) == [[2, 1, 0]]


def test_buckets_cover_every_index_once():
    lengths = [(i * 37) % 11 for i in range(50)]
    buckets = _buckets(lengths, 8)
    flat = [i for b in buckets for i in b]
    assert sorted(flat) == list(range(50))
    assert all(len(b) == 8 for b in buckets[:-1]) and len(buckets[-1]) == 50 % 8
    assert [lengths[i] for i in flat] == sorted(lengths)


# --- token budget -----------------------------------------------------------------------------


def test_buckets_respect_the_token_budget():
    # rows x (longest prompt + 10 new tokens) <= 60
    lengths = [10, 10, 10, 20, 20, 40]
    buckets = _buckets(lengths, batch_size=8, max_new_tokens=10, max_batch_tokens=60)
    assert buckets == [[0, 1, 2], [3, 4], [5]]
    for b in buckets:
        assert len(b) == 1 or len(b) * (max(lengths[i] for i in b) + 10) <= 60


def test_a_request_over_the_budget_gets_a_batch_of_its_own():
    assert _buckets([5, 500, 6], batch_size=8, max_new_tokens=10, max_batch_tokens=100) == [[0, 2], [1]]


def test_batch_size_still_caps_a_budgeted_batch():
    assert _buckets([1] * 5, batch_size=2, max_new_tokens=1, max_batch_tokens=10**6) == [[0, 1], [2, 3], [4]]


def test_as_list():
    assert _as_list(None) == []
    assert _as_list(3) == [3]
    assert _as_list([1, 2]) == [1, 2]
    assert _as_list((1, 2)) == [1, 2]
