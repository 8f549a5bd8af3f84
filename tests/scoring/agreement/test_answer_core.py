"""scoring.agreement.core and scoring.agreement.kind: what a request asks for, the core each answer
states, whether two cores agree, and the kind of a pair."""

import pytest

from scoring.agreement.core import asked_core, conclusion, cores_agree, extract_core, final_answer, numbers
from scoring.agreement.kind import CORE, OPEN, SHORT, pair_core_type, pair_kind


@pytest.mark.parametrize("question, expected", [
    ("How many integers are in the solution of |x + 5| < 10?", "number"),
    ("What is the area of the triangle?", "number"),
    ("In what year did the war end?", "year"),
    ("Is a thumb war violent?", "yes_no"),
    ("Is it red or blue?", None),  # an either-or question is not yes / no
    ("Can you list the issues with it?", None),  # a request
    ("the third statement is true, false, or uncertain.", "choice"),
    ("Who wrote Hamlet?", "entity"),
    ("Who is Larry Page?", None),  # asks for a description
    ("Write a poem about the sea.", None),
    (None, None),
])
def test_asked_core(question, expected):
    assert asked_core(question) == expected


def test_numbers_percentages_fractions_words_and_separators():
    assert [sorted(v) for v in numbers("-3, 1,200.5, 35/36, 19%, seven, third")] == [
        [-3.0], [1200.5], [35 / 36], [0.19, 19.0], [7.0], [3.0]]


def test_the_conclusion_is_the_last_concluding_sentence():
    text = "Step 1: 8000 / 2 = 4000. So, the total is $12,000. These are the steps. Hope it helps."
    assert conclusion(text) == "So, the total is $12,000."
    assert conclusion("No concluding word. Only sentences.") == "Only sentences."


@pytest.mark.parametrize("text, expected", [
    ("Thus x = 2, so \\boxed{4}.", "4"),
    ("Work...\nFinal answer: 12 apples", "12 apples"),
    ("#### 42", "42"),
    ("The answer is Paris.", "Paris"),
    ("No marker here.", None),
])
def test_final_answer(text, expected):
    assert final_answer(text) == expected


def test_numbers_the_request_gives_are_not_the_answer():
    question = "How many integers satisfy |x + 10| < 5?"
    core = extract_core("So, there are 9 integers that satisfy |x + 10| < 5.", question, "number")
    assert core.values == (frozenset({9.0}),)


@pytest.mark.parametrize("a, b, agree", [
    ("So, the probability is 19%.", "Therefore the probability is 0.19.", True),
    ("So the probability is approximately 0.3056.", "Thus the probability is 11/36.", True),
    ("So, the bus earned $76.", "The bus earned a total of $100.", False),
    ("Therefore, the remainder is 0 (as shown by the 2 in 5k + 2).", "Thus the remainder is 0.", True),
])
def test_number_cores(a, b, agree):
    question = "What is the probability or total or remainder?"
    ca, cb = extract_core(a, question, "number"), extract_core(b, question, "number")
    assert cores_agree(ca, cb) is agree


def test_yes_no_and_choice_cores():
    q = "Is the first statement true?"
    assert extract_core("Yes, it is.", q, "yes_no").values == ("yes",)
    assert extract_core("It depends on the day.", q, "yes_no") is None  # none stated: no core
    options = "The third statement may be true, false, or uncertain. Which is it?"
    a = extract_core("True. Bananas cost the most.", options, "choice")
    b = extract_core("We compare. Therefore, the third statement is also true.", options, "choice")
    c = extract_core("Uncertain. We cannot tell.", options, "choice")
    assert a.values == ("true",) and cores_agree(a, b) and not cores_agree(a, c)
    letters = "Which situation should be reported? a) a game b) a fight c) a backpack taken"
    assert extract_core("The answer is (c), as a girl lost a bag.", letters, "choice").values == ("c",)
    assert extract_core("A situation like this is common.", letters, "choice") is None  # "A" is no option


LONG = " ".join(["word"] * 60)


def test_pair_kinds():
    assert pair_kind("who wrote hamlet", "Shakespeare", "William Shakespeare", short_kind_tokens=40) == SHORT
    assert pair_kind("Write a haiku.", "Rain on the roof", "Grey clouds", short_kind_tokens=40) == OPEN
    assert pair_kind("How many apples are left?", LONG + " So 5.", LONG + " Thus 5.", short_kind_tokens=40) == CORE
    assert pair_kind("Explain why the sky is blue.", LONG, LONG + " more", short_kind_tokens=40) == OPEN
    assert pair_kind("Sort a list.", "```python\nx.sort()\n```", "use sorted()", short_kind_tokens=40) == OPEN
    assert pair_kind("Tell me about Rome.", LONG, LONG + " more", short_kind_tokens=40) == OPEN


def test_follow_up_questions_with_a_concluded_number_are_core():
    assert pair_core_type("What about |x + 10| < 5?", "So, there are 8.", "Thus there are 9 integers.") == "number"
    assert pair_core_type("What about it?", "It is nice.", "It is fine.") is None
