"""scoring.validation.by_kind: the worked sets are in the validation rows with their truth and
the source parser's, and the unboxed check removes boxes and nothing else."""

from scoring.validation.by_kind import WORKED_SETS, quality_by_kind, unboxed, unboxed_rows, validation_rows

ROWS = validation_rows()


def test_the_worked_sets_are_validation_rows():
    worked = [r for r in ROWS if r["set"] in WORKED_SETS]
    assert {r["set"] for r in worked} == set(WORKED_SETS) and len(worked) == 5884
    assert all(r["truth_kind"] == "same final answer" and isinstance(r["source_truth"], bool) for r in worked)
    # the re-read answers change some labels, and only the worked sets carry the parser's
    assert sum(r["truth"] != r["source_truth"] for r in worked) > 0
    assert all("source_truth" not in r for r in ROWS if r["set"] not in WORKED_SETS)


def test_unboxed_keeps_the_content_of_every_box():
    assert unboxed("So \\boxed{(C) \\text{city}} and \\(\\boxed{5}\\).") == "So (C) \\text{city} and \\(5\\)."
    assert unboxed("\\boxed{\\frac{1}{4}}") == "\\frac{1}{4}" and unboxed("no box") == "no box"
    rows = unboxed_rows(ROWS)
    assert rows and all(r["set"].endswith("_unboxed") and r["split"] == "test" for r in rows)
    assert not any("\\boxed{" in r["a"] + r["b"] for r in rows)


def test_figures_against_another_truth_key():
    rows = [{"set": "svamp", "split": "test", "request": str(i), "truth": t, "source_truth": not t}
            for i, t in enumerate([True, True, False, False])]
    scored = {"kind": ["core"] * 4, "agree": [True, True, False, False], "decided_by": ["final:boxed"] * 4}
    right = quality_by_kind(rows, scored, sets=("svamp",))[-1]
    wrong = quality_by_kind(rows, scored, sets=("svamp",), truth="source_truth")[-1]
    assert (right.quality.tp, right.quality.fp) == (2, 0) and (wrong.quality.tp, wrong.quality.fp) == (0, 2)
