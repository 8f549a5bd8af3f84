"""validation.build.worked_set: the worked-solution set's truth follows from the source's parsed
final answers, read again where its parser and the text disagree (worked_corrections.tsv), a
question is wholly in one split, and the committed file is what the builder makes."""

from collections import defaultdict
from fractions import Fraction

import pytest

from scoring.validation.sets import WORKED_SET_FILE, load_worked_set
from validation.build.worked_set import (
    DEFAULT_WORKED_DIR,
    NONE,
    build,
    canonical_letters,
    final_value,
    load_corrections,
    same_answer,
)

ROWS = load_worked_set()


def test_the_truth_is_the_same_final_answer():
    for r in ROWS:
        a, b = (final_value(f, r["set"], r["query"]) for f in (r["a_final"], r["b_final"]))
        assert r["same_answer"] == same_answer(a, b)
    assert same_answer(Fraction(57), Fraction("57.00")) is True
    assert same_answer("A", NONE) is False and same_answer(NONE, NONE) is None
    assert final_value("hedge:B,E", "csqa", "") == NONE  # several options named: no single answer
    assert canonical_letters("Q?\n(A) mortal\n(B) dead\n(E) mortal")["E"] == "A"  # one option twice


def test_corrections_are_where_the_parser_and_the_text_disagree():
    fixes = load_corrections()
    by_id = {r["pair_id"].split(":", 1)[1]: r for r in ROWS}
    for (row_id, side), (text_final, note) in fixes.items():
        r = by_id[row_id]
        k = 0 if side == "small" else 1
        assert (r["a_final"], r["b_final"])[k] == text_final and note
        assert str(r["source_finals"][k]) != text_final
    assert sum(bool(r["corrected"]) for r in ROWS) == len({k[0] for k in fixes})


def test_a_question_is_wholly_in_one_split():
    splits = defaultdict(set)
    for r in ROWS:
        splits[r["request"]].add(r["split"])
    assert all(len(s) == 1 for s in splits.values())
    assert sum(r["set"] == "svamp" for r in ROWS) == 1000 and sum(r["set"] == "csqa" for r in ROWS) == 4884
    assert {r["split"] for r in ROWS} == {"fit", "test"}


@pytest.mark.skipif(not (DEFAULT_WORKED_DIR / "svamp_pairs.jsonl").exists(), reason="needs ../shared/data/worked")
def test_the_committed_set_is_what_the_builder_makes(tmp_path):
    out = tmp_path / "worked_set.jsonl"
    build(DEFAULT_WORKED_DIR, out)
    assert out.read_bytes() == WORKED_SET_FILE.read_bytes()
