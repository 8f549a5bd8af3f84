"""validation.build.longform_set: the long-answer validation set's labels follow from the
strong judge's verdicts as documented, splits keep a request whole, and the committed file is
what the builder makes."""

from collections import defaultdict

import pytest

from scoring.validation.sets import LONGFORM_SET_FILE, REFERENCE_GRADED, load_longform_set
from validation.build.longform_set import (
    DEFAULT_LONGFORM_DIR,
    build,
    grade_parity_label,
    preference_parity_label,
    same_answer_label,
)

ROWS = load_longform_set()


def test_labels_follow_the_verdicts():
    for r in ROWS:
        v = r["verdicts"]
        if r["set"] == "mt_bench":
            graded = r["category"] in REFERENCE_GRADED
            assert r["same_answer"] == (same_answer_label(v["small_grade"], v["large_grade"]) if graded else None)
            assert r["parity"] == grade_parity_label(v["small_grade"], v["large_grade"])
        else:
            assert r["same_answer"] is None
            assert r["parity"] == preference_parity_label(v["small_preference_vs_reference"],
                                                          v["large_preference_vs_reference"])


def test_unlabelable_pairs_stay_unlabelled():
    assert same_answer_label(3, 3) is None  # both wrong: same wrong answer or not, unknown
    assert same_answer_label(5, 9) is None  # partial credit
    assert grade_parity_label(7, 9) is None  # a gap of 2
    assert preference_parity_label(1.05, 1.02) is None  # both lose clearly to the reference
    assert preference_parity_label(1.3, 1.5) is None  # a gap within the judge's noise
    assert preference_parity_label(1.95, 1.99) is True  # both beat the reference clearly


def test_a_request_is_wholly_in_one_split():
    splits = defaultdict(set)
    for r in ROWS:
        splits[r["request"]].add(r["split"])
    assert all(len(s) == 1 for s in splits.values())
    assert {r["split"] for r in ROWS} == {"fit", "test"}
    assert sum(r["set"] == "mt_bench" for r in ROWS) == 160 and sum(r["set"] == "alpaca_eval" for r in ROWS) == 805


@pytest.mark.skipif(not (DEFAULT_LONGFORM_DIR / "mt_bench_pairs.jsonl").exists(), reason="needs ../shared/data/longform")
def test_the_committed_set_is_what_the_builder_makes(tmp_path):
    out = tmp_path / "longform_set.jsonl"
    build(DEFAULT_LONGFORM_DIR, out)
    assert out.read_bytes() == LONGFORM_SET_FILE.read_bytes()
