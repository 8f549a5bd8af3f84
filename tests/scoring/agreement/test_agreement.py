"""scoring.agreement.metrics: the lexical metrics on hand-computed cases, bad inputs included."""

import math

import pytest
from rouge_score import rouge_scorer

from scoring.agreement.metrics import (
    LEXICAL_METRICS,
    STOP_WORDS,
    answer_tokens,
    containment,
    content_containment,
    content_tokens,
    exact_match,
    lexical_metrics,
    normalize_answer,
    rouge_l,
    token_f1,
)

LONG = "word " * 20_000  # 100 KB
assert len(LONG) == 100_000

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
        ("東京です。", "東京です"),  # Unicode punctuation (MLQA's extension of SQuAD's)
        ("¿Qué? «Sí».", "qué sí"),
        ("«»—…、。", ""),  # only punctuation, in other scripts
        ("\u200b \u200b", ""),  # zero-width spaces are invisible: nothing
        ("Привет, мир!", "привет мир"),
        ("🙂", "🙂"),  # a symbol is content, not punctuation
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
        ("   ", "。", 1.0),
        ("東京", "東京。", 1.0),
        ("東京", "大阪", 0.0),
        (LONG, LONG, 1.0),
        (LONG, "word", 0.0),
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
        ("Привет мир", "привет друг", 0.5),  # 1 of 2 tokens each side
        # 20,000 "word" against one: common 1, P = 1/20000, R = 1 -> 2/20001
        (LONG, "word", 2 / 20_001),
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
        ("word", LONG, 1 / 20_000),
    ],
)
def test_containment(small, large, expected):
    assert containment(small, large) == pytest.approx(expected)


def test_containment_is_not_symmetric():
    assert containment("Paris France", "Paris") == 1.0
    assert containment("Paris", "Paris France") == 0.5


# --- content_containment ----------------------------------------------------------------------

Q = "what is the capital of france"


@pytest.mark.parametrize(
    ("a", "b", "question", "expected"),
    [
        # the question's words and stop words go: "paris" in "answer paris"
        ("It is Paris.", "The answer to what is the capital of France is Paris.", Q, 1.0),
        # shorter side "paris believe": 1 of 2 in "answer paris"
        ("Paris, I believe.", "The answer is Paris.", Q, 0.5),
        # same template, other year: "answer 1969" vs "answer 1971" -> 1 of 2
        ("The answer is 1969.", "The answer is 1971.", None, 0.5),
        # numbers and negations are content, not stop words
        ("three", "two", None, 0.0),
        ("It is not Paris.", "It is Paris.", Q, 1.0),  # "paris" (shorter) is in "not paris"
        ("It is Lyon", "It is Paris", Q, 0.0),
        # answers that only restate the question add nothing: both 1, one 0
        ("The capital of France.", "It is the capital of France!", Q, 1.0),
        ("The capital of France.", "Paris", Q, 0.0),
        ("", "", Q, 1.0),
        ("", "Paris", Q, 0.0),
        ("東京です", "東京です。", None, 1.0),
        (LONG, "word", None, 1.0),  # the shorter answer's one token is in the longer
    ],
)
def test_content_containment_hand_computed(a, b, question, expected):
    assert content_containment(a, b, question) == pytest.approx(expected)
    assert content_containment(b, a, question) == pytest.approx(expected)  # symmetric


def test_content_tokens_and_stop_words():
    assert content_tokens("The capital of France is Paris, I think.", "capital of france") == ["paris", "think"]
    assert {"the", "is", "it", "i"} <= STOP_WORDS
    assert not {"one", "two", "first", "not", "no", "never"} & STOP_WORDS


def test_lexical_content_containment_uses_each_pairs_question():
    out = lexical_metrics(["It is Paris.", "It is Paris."],
                          ["The capital of France is Paris.", "The capital of France is Paris."],
                          ["capital of france", "who wrote hamlet"])
    # question 1 drops "capital france": "paris" in "paris"; question 2 does not: "paris" in
    # "capital france paris" is still 1 (the shorter side is "paris")
    assert out["content_containment"] == [1.0, 1.0]
    out = lexical_metrics(["The capital of France."], ["It is Paris."], ["capital of france"])
    assert out["content_containment"] == [0.0]  # restates the question only vs an answer


# --- rouge_l ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # "cat sat on mat" / "cat was on mat": LCS "cat on mat" = 3 -> 2 * 3 / (4 + 4)
        ("the cat sat on the mat", "the cat was on the mat", 0.75),
        # order matters (F1 would be 1): LCS of "x y z" and "z y x" is 1 -> 2 / 6
        ("x y z", "z y x", 1 / 3),
        # "police killed the gunman" / "the gunman police killed" (ROUGE paper's example,
        # articles dropped): LCS "police killed" = 2 -> 2 * 2 / (3 + 3)
        ("police killed the gunman", "the gunman police killed", 2 / 3),
        ("William Shakespeare", "Shakespeare", 2 / 3),
        ("Paris", "London", 0.0),
        ("", "", 1.0),
        ("   ", "!!", 1.0),
        ("", "Paris", 0.0),
        ("Paris", "...", 0.0),
        ("東京 大阪", "東京", 2 / 3),
        (LONG, LONG, 1.0),
        (LONG, "word", 2 / 20_001),
    ],
)
def test_rouge_l_hand_computed(a, b, expected):
    assert rouge_l(a, b) == pytest.approx(expected)


def test_rouge_l_on_two_different_100kb_answers_is_fast_and_finite():
    # A quadratic Python LCS table would need 4e8 cells here; the bit-parallel one is instant.
    a = " ".join(f"w{i % 997}" for i in range(20_000))
    b = " ".join(f"w{(i * 7) % 997}" for i in range(20_000))
    assert len(a) > 90_000
    value = rouge_l(a, b)
    assert math.isfinite(value) and 0.0 < value < 1.0


class _NormalisedTokens:
    def tokenize(self, text):
        return normalize_answer(text).split()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("the cat sat on the mat", "the cat was on the mat"),
        ("a b c d e f g", "g f e d c b a"),
        ("The answer is William Shakespeare.", "Shakespeare wrote it, I believe."),
        ("x x y x", "x y y x x"),
        ("18 May 2018", "May 18, 2018"),
    ],
)
def test_rouge_l_equals_google_rouge_score_on_the_same_tokens(a, b):
    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_NormalisedTokens())
    # rouge-score's argument order is (target, prediction); the F-measure is symmetric.
    assert rouge_l(a, b) == pytest.approx(scorer.score(b, a)["rougeL"].fmeasure)


# --- lexical_metrics (batched) ----------------------------------------------------------------


def test_lexical_metrics_match_the_pair_functions():
    small = ["The capital of France is Paris.", "William Shakespeare", "London", "x y z", "Paris"]
    large = ["Paris", "Shakespeare", "The Eiffel Tower", "z y x", "Paris"]
    questions = ["capital of france", "who wrote hamlet", None, "x", "capital"]
    out = lexical_metrics(small, large, questions)
    assert set(out) == set(LEXICAL_METRICS)
    for name, fn in (("exact", exact_match), ("token_f1", token_f1),
                     ("containment", containment), ("rouge_l", rouge_l)):
        assert out[name] == pytest.approx([fn(a, b) for a, b in zip(small, large)]), name
    assert out["content_containment"] == pytest.approx(
        [content_containment(a, b, q) for a, b, q in zip(small, large, questions)])


def test_lexical_metrics_bad_inputs_have_defined_values():
    small = ["", "   ", "...", "?!", "Paris", "", None, "東京", "Paris", LONG, "。。。", "Привет"]
    large = ["", "x", "!!!", "Paris", "", "\t\n", None, "東京", "Paris", LONG, "", "Привет"]
    out = lexical_metrics(small, large)
    both_empty_or_identical = [0, 2, 5, 6, 7, 8, 9, 10, 11]
    one_empty = [1, 3, 4]
    for name in LEXICAL_METRICS:
        assert all(isinstance(v, float) and math.isfinite(v) for v in out[name]), name
        assert [out[name][i] for i in both_empty_or_identical] == [1.0] * 9, name
        assert [out[name][i] for i in one_empty] == [0.0] * 3, name


def test_lexical_metrics_lengths_must_match():
    with pytest.raises(ValueError):
        lexical_metrics(["a", "b"], ["a"])
    assert lexical_metrics([], []) == {name: [] for name in LEXICAL_METRICS}


def test_answer_tokens():
    assert [answer_tokens(t) for t in ("", "  ...", "It is the Eiffel Tower.", LONG)] == [0, 0, 4, 20_000]
