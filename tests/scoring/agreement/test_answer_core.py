"""scoring.agreement.core, scoring.agreement.final and scoring.agreement.kind: what a request asks
for, the core or final answer each answer states, whether two agree, and the kind of a pair
(tests/scoring/agreement/test_final_answer.py: the final answers of worked solutions)."""

import pytest

from scoring.agreement.core import asked_core, conclusion, extract_core, numbers
from scoring.agreement.final import finals_agree, find_final, marked
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
    ("Thus x = 2, so \\boxed{4}.", ("boxed", ["4"])),
    ("Work...\nFinal answer: 12 apples", ("answer_is", ["12 apples"])),
    ("#### 42", ("hashes", ["42"])),
    ("The answer is Paris.", ("answer_is", ["Paris."])),
    ("No marker here.", None),
])
def test_marked_final_answer(text, expected):
    assert marked(text) == expected


def _values(text, question, core_type):
    final = find_final(text, question, core_type)
    return None if final is None else final.values


def test_numbers_the_request_gives_are_not_the_answer():
    question = "How many integers satisfy |x + 10| < 5?"
    assert [n.value for n in _values("So, there are 9 integers that satisfy |x + 10| < 5.", question, "number")] == [9]


@pytest.mark.parametrize("a, b, agree", [
    ("So, the probability is 19%.", "Therefore the probability is 0.19.", True),
    ("So the probability is approximately 0.3056.", "Thus the probability is 11/36.", True),
    ("So, the bus earned $76.", "The bus earned a total of $100.", False),
    ("Therefore, the remainder is 0 (as shown by the 2 in 5k + 2).", "Thus the remainder is 0.", True),
])
def test_number_final_answers(a, b, agree):
    question = "What is the probability or total or remainder?"
    fa, fb = find_final(a, question, "number"), find_final(b, question, "number")
    assert finals_agree(fa, fb, question, tolerance=0.005) is agree


def test_yes_no_and_choice_final_answers():
    q = "Is the first statement true?"
    assert _values("Yes, it is.", q, "yes_no") == ("yes",)
    assert _values("It depends on the day.", q, "yes_no") is None  # none stated: no final answer
    options = "The third statement may be true, false, or uncertain. Which is it?"
    a = find_final("True. Bananas cost the most.", options, "choice")
    b = find_final("We compare. Therefore, the third statement is also true.", options, "choice")
    c = find_final("Uncertain. We cannot tell.", options, "choice")
    assert a.values == ("true",) and finals_agree(a, b, options, tolerance=0)
    assert not finals_agree(a, c, options, tolerance=0)
    letters = "Which situation should be reported? a) a game b) a fight c) a backpack taken"
    assert _values("The answer is (c), as a girl lost a bag.", letters, "choice") == ("c",)
    assert _values("A situation like this is common.", letters, "choice") is None  # "A" is no option


def test_year_and_entity_cores():
    assert extract_core("It fell in 1989, in November.", "When did the wall fall?", "year").values == ("1989",)
    assert extract_core("Shakespeare wrote it. So, Shakespeare.", "Who wrote Hamlet?", "entity").type == "entity"


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
