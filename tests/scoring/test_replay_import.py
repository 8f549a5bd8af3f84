"""scoring.replay_import: the import table's columns are checked, and quality replaces agreement
where it is given."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.replay_import import (
    ReplayImportError,
    checked,
    quality_columns,
    read_table,
)

BASE = {"request_id": ["a", "b"], "prompt": ["q1", "q2"], "small_output": ["x", None], "large_output": ["x", "y"]}


def test_minimal_table_gets_weight_and_day():
    table = checked(pl.DataFrame(BASE))
    assert table["weight"].to_list() == [1.0, 1.0] and table["day"].to_list() == ["undated"] * 2
    assert table["small_output"].to_list() == ["x", ""]  # a missing answer is an empty one


@pytest.mark.parametrize(("change", "message"), [
    ({"prompt": None}, "missing required column"),
    ({"extra": [1, 2]}, "unknown column"),
    ({"request_id": ["a", "a"]}, "no two the same"),
    ({"small_prompt_tokens": [1, 2]}, "all four or none"),
    ({"weight": [1.0, 0.0]}, "weight > 0"),
    ({"small_correct": [True, False]}, "one is missing"),
    ({"small_correct": [True, False], "large_correct": [True, True], "small_quality": [1.0, 0.5],
      "large_quality": [1.0, 1.0]}, "not both"),
])
def test_bad_tables_are_refused_with_a_reason(change, message):
    columns = {**BASE, **change}
    columns = {k: v for k, v in columns.items() if v is not None}
    with pytest.raises(ReplayImportError, match=message):
        quality_columns(checked(pl.DataFrame(columns)), np.zeros(2))


def test_quality_scores_out_of_range_are_refused():
    frame = checked(pl.DataFrame({**BASE, "small_quality": [0.5, 1.5], "large_quality": [1.0, 1.0]}))
    with pytest.raises(ReplayImportError, match=r"small_quality: every value must be a number in \[0, 1\]"):
        quality_columns(frame, np.zeros(2))


def test_correctness_is_the_quality_and_the_oracle_label():
    frame = checked(pl.DataFrame({**BASE, "small_correct": ["true", "false"], "large_correct": [1, 1]}))
    measure, out = quality_columns(frame, np.array([1.0, 0.0]))
    assert measure == "imported correctness"
    assert out["quality_small"].to_list() == [1.0, 0.0] and out["quality_large"].to_list() == [1.0, 1.0]
    assert out["label"].to_list() == [True, False] and out["agree"].to_list() == [1.0, 0.0]


def test_without_quality_agreement_is_the_quality():
    measure, out = quality_columns(checked(pl.DataFrame(BASE)), np.array([0.0, 1.0]))
    assert measure == "agreement"
    assert out["quality_small"].to_list() == [0.0, 1.0] and out["quality_large"].to_list() == [1.0, 1.0]
    assert out["label"].to_list() == [False, True]


def test_read_table_by_extension(tmp_path):
    frame = pl.DataFrame(BASE)
    frame.write_parquet(tmp_path / "t.parquet")
    frame.write_ndjson(tmp_path / "t.jsonl")
    assert read_table(tmp_path / "t.parquet").equals(frame)
    assert read_table(tmp_path / "t.jsonl")["request_id"].to_list() == ["a", "b"]
    (tmp_path / "t.xlsx").touch()
    with pytest.raises(ReplayImportError, match="unknown extension"):
        read_table(tmp_path / "t.xlsx")
    with pytest.raises(ReplayImportError, match="does not exist"):
        read_table(tmp_path / "missing.csv")
