"""scoring.routing.routers: each router's scores, by hand."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import polars as pl
import pytest

from scoring.routing.routers import ROUTERS, score_requests


@pytest.fixture
def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "request_id": ["a", "b", "c", "d", "e"],
            "query": ["paris", "who wrote hamlet", "one two three four five six seven eight",
                      "what is the capital city of australia and why", "x " * 40],
            "small_mean_logprob": [-0.1, -2.0, None, 0.0, -50.0],
            "agree": [True, False, None, True, False],
        },
        schema_overrides={"small_mean_logprob": pl.Float64, "agree": pl.Boolean},
    )


def test_registry():
    assert set(ROUTERS) == {"small_confidence", "query_classifier", "random", "length", "oracle"}
    assert [r for r in ROUTERS if ROUTERS[r].trained] == ["query_classifier"]
    assert not ROUTERS["query_classifier"].cascade and not ROUTERS["query_classifier"].needs_replay
    assert ROUTERS["small_confidence"].cascade and ROUTERS["small_confidence"].needs_replay
    assert not ROUTERS["random"].cascade and not ROUTERS["random"].needs_replay
    assert not ROUTERS["length"].cascade and not ROUTERS["length"].needs_replay
    assert not ROUTERS["oracle"].cascade and ROUTERS["oracle"].needs_replay


@pytest.mark.parametrize("router", sorted(r for r in ROUTERS if not ROUTERS[r].trained))
def test_scores_in_unit_interval(router, frame):
    scores = score_requests(router, frame, seed=3)
    assert scores.shape == (frame.height,)
    assert not np.isnan(scores).any()
    assert ((scores >= 0.0) & (scores <= 1.0)).all()


def test_small_confidence_is_exp_mean_logprob(frame):
    scores = score_requests("small_confidence", frame)
    assert scores == pytest.approx([math.exp(-0.1), math.exp(-2.0), 0.0, 1.0, math.exp(-50.0)])
    assert scores[2] == 0.0  # a failed replay (null log-prob) always escalates


def test_random_is_a_seeded_hash_of_the_request_id(frame):
    first = score_requests("random", frame, seed=5)
    assert np.array_equal(first, score_requests("random", frame, seed=5))
    assert not np.array_equal(first, score_requests("random", frame, seed=6))
    expected = [int(hashlib.sha256(f"5:{r}".encode()).hexdigest()[:13], 16) / 16**13 for r in frame["request_id"]]
    assert first.tolist() == pytest.approx(expected)
    # a request's score does not depend on the rest of the frame or its order
    reversed_scores = score_requests("random", frame.reverse(), seed=5)
    assert reversed_scores[::-1].tolist() == first.tolist()
    alone = score_requests("random", frame.slice(2, 1), seed=5)
    assert alone[0] == first[2]


def test_random_default_seed_is_zero(frame):
    assert np.array_equal(score_requests("random", frame), score_requests("random", frame, seed=0))


def test_random_is_roughly_uniform():
    ids = pl.DataFrame({"request_id": [f"r{i}" for i in range(2000)], "query": ["q"] * 2000})
    scores = score_requests("random", ids, seed=1)
    assert 0.45 < scores.mean() < 0.55
    assert scores.min() < 0.01 and scores.max() > 0.99


def test_length_hand_computed(frame):
    scores = score_requests("length", frame)
    # 1 / (1 + words / 8): 1 word, 3 words, 8 words, 9 words
    assert scores[:4] == pytest.approx([8 / 9, 8 / 11, 0.5, 8 / 17])
    assert score_requests("length", pl.DataFrame({"request_id": ["a"], "query": ["who wrote hamlet"]}))[0] == (
        pytest.approx(0.72727273))


def test_length_decreases_with_words():
    queries = [" ".join(["w"] * k) for k in range(1, 60)]
    scores = score_requests("length", pl.DataFrame({"request_id": [str(i) for i in range(len(queries))],
                                                     "query": queries}))
    assert (np.diff(scores) < 0).all()
    assert scores[0] < 1.0 and scores[-1] > 0.0


def test_length_ignores_seed(frame):
    assert np.array_equal(score_requests("length", frame, seed=1), score_requests("length", frame, seed=2))


def test_oracle_is_the_agree_label_without_quality(frame):
    assert score_requests("oracle", frame).tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]


def test_oracle_ranks_by_how_much_better_the_large_answer_is(frame):
    # (1 + small - large) / 2: large much better 0.1, a tie 0.5, small better 0.75; unscored: as if lost
    quality = frame.with_columns(quality_small=pl.Series([0.1, 0.5, 1.0, None, 0.0]),
                                 quality_large=pl.Series([0.9, 0.5, 0.5, 0.7, 1.0]))
    assert score_requests("oracle", quality).tolist() == pytest.approx([0.1, 0.5, 0.75, 0.0, 0.0])
    assert ROUTERS["oracle"].every_level and not any(r.every_level for n, r in ROUTERS.items() if n != "oracle")


def test_unknown_router_raises(frame):
    with pytest.raises(ValueError, match="unknown router 'bogus'"):
        score_requests("bogus", frame)


def test_a_trained_router_needs_the_embedder(frame):
    with pytest.raises(ValueError, match="needs the sentence embedder"):
        score_requests("query_classifier", frame)
