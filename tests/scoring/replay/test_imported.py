"""scoring.replay.imported: every value of the import table is checked, each bad one named by row,
column and value in one line; quality replaces agreement where it is given. And the projection's
memory blocks (scoring.projection.intervals / scoring.projection.sweep) leave its numbers as they were."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

import scoring.projection.intervals as intervals
import scoring.projection.sweep as projection
from scoring.projection.intervals import bootstrap_counts
from scoring.projection.sweep import REQUIRED as PROJECTION_COLUMNS
from scoring.projection.sweep import project_group, replicate_weights
from scoring.replay.imported import (
    ReplayImportError,
    checked,
    quality_columns,
    read_table,
)

BASE = {"request_id": ["a", "b", "c"], "prompt": ["q1", "q2", "q3"], "small_output": ["x", "y", "z"],
        "large_output": ["x", "y", "w"]}
TOKENS = ("small_prompt_tokens", "small_output_tokens", "large_prompt_tokens", "large_output_tokens")


def _tokens(**bad) -> dict:
    return {**{c: [1, 2, 3] for c in TOKENS}, **bad}


def test_minimal_table_gets_weight_and_day():
    table = checked(pl.DataFrame(BASE))
    assert table["weight"].to_list() == [1.0] * 3 and table["day"].to_list() == ["undated"] * 3


@pytest.mark.parametrize(("change", "message"), [
    ({"prompt": None}, "missing required column"),
    ({"extra": [1, 2, 3]}, "unknown column"),
    ({"small_prompt_tokens": [1, 2, 3]}, "all four or none"),
    ({"small_dollars": [1.0, 2.0, 3.0]}, "small_dollars and large_dollars come together"),
    ({"small_correct": [True, False, True]}, "one is missing"),
    ({"small_correct": [True, False, True], "large_correct": [True] * 3, "small_quality": [1.0] * 3,
      "large_quality": [1.0] * 3}, "not both"),
])
def test_bad_columns_are_refused_with_a_reason(change, message):
    columns = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    with pytest.raises(ReplayImportError, match=message):
        checked(pl.DataFrame(columns))


NAN, INF = math.nan, math.inf
# Each hostile table: the change to BASE and the exact one-line error (row 1 is the first record).
HOSTILE = {
    "missing large_output": ({"large_output": ["x", None, "w"]},
                             "bad value: row 2, large_output = missing: needs a non-empty text"),
    "blank small_output": ({"small_output": ["x", "y", "  "]},
                           "bad value: row 3, small_output = '  ': needs a non-empty text"),
    "NaN weight": ({"weight": [1.0, NAN, 2.0]}, "bad value: row 2, weight = nan: needs a finite weight > 0"),
    "inf weight": ({"weight": [INF, 1.0, 2.0]}, "bad value: row 1, weight = inf: needs a finite weight > 0"),
    "weight as a word": ({"weight": ["1", "two", "3"]}, "bad value: row 2, weight = 'two': needs a finite weight > 0"),
    "NaN log-prob": ({"small_mean_logprob": [-0.5, NAN, -1.0]},
                     "bad value: row 2, small_mean_logprob = nan: needs a finite mean log-probability <= 0"),
    "-inf log-prob": ({"small_mean_logprob": [-0.5, -1.0, -INF]},
                      "bad value: row 3, small_mean_logprob = -inf: needs a finite mean log-probability <= 0"),
    "NaN token count": (_tokens(large_output_tokens=[1.0, NAN, 3.0]),
                        "bad value: row 2, large_output_tokens = nan: needs a whole number of tokens from 0 to 2,147,483,647"),
    "inf token count": (_tokens(small_prompt_tokens=[INF, 2.0, 3.0]),
                        "bad value: row 1, small_prompt_tokens = inf: needs a whole number of tokens from 0 to 2,147,483,647"),
    "negative token count": (_tokens(small_output_tokens=[1, 2, -5_000_000_000_000]),
                             "bad value: row 3, small_output_tokens = -5000000000000: needs a whole number of tokens"),
    "day that does not exist": ({"day": ["2026-11-01", "2026-13-45", "2026-11-02"]},
                                "bad value: row 2, day = '2026-13-45': needs a real date YYYY-MM-DD from 2000-01-01"),
    "day as an integer": ({"day": [20261101, 20261102, 20261103]},
                          "bad values: row 1, day = 20261101: needs a real date YYYY-MM-DD"),
    "day in the future": ({"day": ["2026-11-01", "2026-11-02", "9999-12-31"]},
                          "bad value: row 3, day = '9999-12-31': needs a real date"),
    "repeated request_id": ({"request_id": ["a", "b", "a"]},
                            "bad value: row 3, request_id = 'a': repeats row 1's request_id 'a'"),
    "correctness that is neither": ({"small_correct": ["true", "maybe", "0"], "large_correct": [1, 1, 1]},
                                    "bad value: row 2, small_correct = 'maybe': needs a number in [0, 1] (or true / false)"),
    "quality out of range": ({"small_quality": [0.5, 1.5, 0.0], "large_quality": [1.0] * 3},
                             "bad value: row 2, small_quality = 1.5: needs a number in [0, 1]"),
    "NaN dollars": ({"small_dollars": [0.1, 0.2, NAN], "large_dollars": [1.0] * 3},
                    "bad value: row 3, small_dollars = nan: needs a finite cost in dollars >= 0"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_tables_give_one_line_naming_row_column_and_value(case):
    change, message = HOSTILE[case]
    with pytest.raises(ReplayImportError) as caught:
        checked(pl.DataFrame({**BASE, **change}, strict=False))
    text = str(caught.value)
    assert text.startswith(message), text
    assert "\n" not in text and "polars" not in text.lower() and "Error" not in text


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_the_same_bad_values_are_named_whatever_the_format(tmp_path, suffix):
    frame = pl.DataFrame({**BASE, "weight": [1.0, NAN, 2.0], "day": ["2026-11-01", "2026-13-45", "2026-11-02"]})
    path = tmp_path / f"t{suffix}"
    {".csv": frame.write_csv, ".jsonl": frame.write_ndjson, ".parquet": frame.write_parquet}[suffix](path)
    expected = "row 2, day = '2026-13-45': needs a real date"  # JSON has no NaN: its weight is null
    with pytest.raises(ReplayImportError, match="bad values: ") as caught:
        checked(read_table(path))
    assert expected in str(caught.value) and "row 2, weight = " in str(caught.value)


def test_many_bad_rows_name_the_first_five_and_count_all():
    frame = pl.DataFrame({**{k: v * 4 for k, v in BASE.items()}, "request_id": [f"r{i}" for i in range(12)],
                          "weight": [NAN] * 12})
    with pytest.raises(ReplayImportError) as caught:
        checked(frame)
    text = str(caught.value)
    assert text.count("weight = nan") == 5 and text.endswith("(12 bad values in all)")


def test_empty_and_unreadable_files_say_so_in_one_line(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ReplayImportError, match=r"empty\.csv: the file is empty \(no header, no rows\)$"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("request_id,prompt,small_output,large_output\n")
    with pytest.raises(ReplayImportError, match="^the table has no rows$"):
        checked(read_table(tmp_path / "header.csv"))
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(ReplayImportError, match="empty.jsonl: the file has no rows|empty.jsonl: not a readable"):
        read_table(tmp_path / "empty.jsonl")
    (tmp_path / "fake.parquet").write_text("not parquet at all")
    with pytest.raises(ReplayImportError, match=r"fake\.parquet: not a readable Parquet file \(") as caught:
        read_table(tmp_path / "fake.parquet")
    assert "\n" not in str(caught.value)


def test_a_csv_is_typed_here_so_numbers_and_booleans_arrive_as_numbers(tmp_path):
    path = tmp_path / "t.csv"
    pl.DataFrame({**BASE, "small_correct": [True, False, True], "large_correct": [1, 1, 0],
                  "weight": [1.5, 2, 3], "day": ["2026-11-01"] * 3}).write_csv(path)
    table = checked(read_table(path))
    assert table["weight"].to_list() == [1.5, 2.0, 3.0] and table["day"].to_list() == ["2026-11-01"] * 3
    assert table["small_correct"].to_list() == [1.0, 0.0, 1.0] and table["large_correct"].to_list() == [1.0, 1.0, 0.0]


def test_correctness_is_the_quality_and_the_oracle_label():
    frame = checked(pl.DataFrame({**BASE, "small_correct": ["true", "false", "1"], "large_correct": [1, 1, 0]}))
    measure, out = quality_columns(frame, np.array([1.0, 0.0, 0.0]))
    assert measure == "imported correctness"
    assert out["quality_small"].to_list() == [1.0, 0.0, 1.0] and out["quality_large"].to_list() == [1.0, 1.0, 0.0]
    assert out["label"].to_list() == [True, False, True] and out["agree"].to_list() == [1.0, 0.0, 0.0]
    _, unscored = quality_columns(frame, None)  # no text agreement scored: agree is the label
    assert unscored["agree"].to_list() == [1.0, 0.0, 1.0]


def test_without_quality_agreement_is_the_quality():
    measure, out = quality_columns(checked(pl.DataFrame(BASE)), np.array([0.0, 1.0, 1.0]))
    assert measure == "agreement"
    assert out["quality_small"].to_list() == [0.0, 1.0, 1.0] and out["quality_large"].to_list() == [1.0] * 3
    assert out["label"].to_list() == [False, True, True]
    with pytest.raises(ValueError, match="score it"):
        quality_columns(checked(pl.DataFrame(BASE)), None)


def test_read_table_by_extension(tmp_path):
    frame = pl.DataFrame(BASE)
    frame.write_parquet(tmp_path / "t.parquet")
    frame.write_ndjson(tmp_path / "t.jsonl")
    assert read_table(tmp_path / "t.parquet").equals(frame)
    assert read_table(tmp_path / "t.jsonl")["request_id"].to_list() == ["a", "b", "c"]
    (tmp_path / "t.xlsx").touch()
    with pytest.raises(ReplayImportError, match="unknown extension"):
        read_table(tmp_path / "t.xlsx")
    with pytest.raises(ReplayImportError, match="does not exist"):
        read_table(tmp_path / "missing.csv")


# -- memory: the blocks the bootstrap and the replicate weights are made in change no number --

def _one_call_counts(groups: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """bootstrap_counts as it was: one draw of every replicate per group, int64."""
    rng = np.random.default_rng(seed)
    counts = np.empty((len(groups), replicates), dtype=np.int64)
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        draws = rng.integers(0, len(members), size=(replicates, len(members)))
        cells = draws + (np.arange(replicates) * len(members))[:, None]
        counts[members] = np.bincount(cells.ravel(), minlength=replicates * len(members)).reshape(
            replicates, len(members)).T
    return counts


def test_bootstrap_counts_in_blocks_are_the_one_call_draws(monkeypatch):
    groups = np.random.default_rng(0).integers(0, 4, size=500)
    expected = _one_call_counts(groups, 300, seed=9)
    monkeypatch.setattr(intervals, "_DRAW_CELLS", 1_000)  # blocks of ~8 replicates
    blocked = bootstrap_counts(groups, 300, seed=9)
    assert blocked.dtype == np.uint8 and np.array_equal(blocked, expected)


def test_projection_in_replicate_blocks_gives_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(4)
    n = 400
    sample = pl.DataFrame({"weight": rng.uniform(1, 5, n), "agree": (rng.random(n) < 0.7).astype(float),
                           "quality_small": rng.random(n), "quality_large": rng.random(n),
                           **{c: rng.uniform(0, 2, n) for c in PROJECTION_COLUMNS[4:]}})
    scores = rng.random(n)
    weights = replicate_weights(sample["weight"].to_numpy(), bootstrap_counts(np.zeros(n), 200, seed=2))
    thresholds = np.linspace(0, 1, 11)
    whole = project_group(sample, scores, weights, thresholds=thresholds, cascade=False)
    monkeypatch.setattr(projection, "REPLICATE_BLOCK_BYTES", 4 * n * 7)  # blocks of 7 replicates
    blocked = project_group(sample, scores, weights, thresholds=thresholds, cascade=False)
    for name in ("share_small", "agreement_small", "quality", "seconds_saved", "dollars_saved", "weak"):
        np.testing.assert_allclose(getattr(blocked, name), getattr(whole, name), rtol=1e-6, equal_nan=True)


def test_an_unscored_pair_is_no_agreement_in_the_label():
    # Text agreement leaves open-ended pairs unscored (None): NaN in agree, never "agree" in label.
    from scoring.replay.imported import checked, quality_columns

    table = checked(pl.DataFrame({"request_id": ["a", "b", "c"], "prompt": ["q", "r", "s"],
                                  "small_output": ["x", "y", "z"], "large_output": ["x", "w", "v"]}))
    measure, out = quality_columns(table, [True, None, False])
    assert measure == "agreement"
    assert out["label"].to_list() == [True, False, False]
    assert out["agree"].is_null().to_list() == [False, True, False]  # null, as the pipeline's rows, never NaN


# -- issue 26: NaN / Infinity in JSON lines, ids as ingest compares them, a size limit on texts --


def test_nan_and_infinity_as_json_dumps_writes_them_are_named_by_row_and_column(tmp_path):
    rows = [{**{k: v[i] for k, v in BASE.items()}, "small_quality": 0.5, "large_quality": 1.0} for i in range(3)]
    rows[1]["small_quality"], rows[2]["large_quality"] = math.nan, -math.inf
    path = tmp_path / "scores.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")  # NaN, -Infinity
    with pytest.raises(ReplayImportError) as caught:
        read_table(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: bad values: row 2, small_quality = NaN: JSON has no NaN or Infinity"), text
    assert "row 3, large_quality = -Infinity: " in text and "write null or a finite number" in text
    assert "\n" not in text and "TapeError" not in text and "character" not in text


def test_json_lines_that_are_not_json_are_named_by_row_and_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"request_id": "a", "prompt": "q", "small_output": "x", "large_output": "y"}\n\n'
                    '{"request_id": "b", "prompt": Infinity, "small_output": "x", "large_output": "y"}\n'
                    '{"request_id": "c", "prompt": \n["a list"]\n', encoding="utf-8")
    with pytest.raises(ReplayImportError) as caught:
        read_table(path)
    assert str(caught.value) == (
        f"{path}: bad values: row 2 (line 3), prompt = Infinity: JSON has no NaN or Infinity (Python's json.dumps "
        "writes them): write null or a finite number; row 3 (line 4): not valid JSON (Expecting value at "
        "character 31); row 4 (line 5): not a JSON object (list)")


def test_ids_equal_once_trimmed_and_nfkc_normalised_are_one_id_repeated():
    ids = ["r1", " r1", "ｒ1", "r\u00a02", "r 2", "ﬁ", "fi "]  # full-width r, no-break space, the fi ligature
    frame = pl.DataFrame({"request_id": ids, "prompt": ["q"] * 7, "small_output": ["x"] * 7, "large_output": ["y"] * 7})
    with pytest.raises(ReplayImportError) as caught:
        checked(frame)
    text = str(caught.value)
    assert text.startswith("bad values: row 2, request_id = ' r1': repeats row 1's request_id 'r1' (compared "
                           "trimmed and NFKC-normalised, as ingest does)"), text
    assert "row 3, request_id = 'ｒ1': repeats row 1's" in text and "row 5, request_id = 'r 2': repeats row 4's" in text
    assert "row 7, request_id = 'fi ': repeats row 6's request_id 'fi'" in text
    # stored as compared
    table = checked(frame[[0, 3, 5]].with_columns(pl.Series("request_id", [" ｒ1 ", "r\u00a02", "ﬁ"])))
    assert table["request_id"].to_list() == ["r1", "r 2", "fi"]


def test_a_text_over_the_size_limit_is_named_by_row_column_and_size():
    long = "word " * 30_000  # 150,000 characters
    frame = pl.DataFrame({**BASE, "large_output": ["x", long, "w"], "prompt": ["q1", "q2", "q" * 100_001]})
    with pytest.raises(ReplayImportError) as caught:
        checked(frame)
    text = str(caught.value)
    assert "row 2, large_output = 'word word word word word word word w...: 150,000 characters, over the limit " \
           "of 100,000 (import_replays.max_text_chars)" in text, text
    assert "row 3, prompt = 'qqqqq" in text and ": 100,001 characters, over the limit of 100,000" in text
    assert "\n" not in text
    assert checked(frame, max_text_chars=150_001).height == 3  # the setting
    with pytest.raises(ReplayImportError, match=r"row 1, request_id = 'a': 1 characters, over the limit of 0|"
                                                r"row 1, small_output = 'x': 1 characters, over the limit of 0"):
        checked(pl.DataFrame(BASE), max_text_chars=0)
    at_limit = pl.DataFrame({**BASE, "small_output": ["y" * 100_000] * 3})
    assert checked(at_limit)["small_output"].str.len_chars().to_list() == [100_000] * 3


def test_the_size_limits_default_is_the_configs():
    from scoring.config import ImportReplaysConfig
    from scoring.replay.imported import MAX_TEXT_CHARS

    assert ImportReplaysConfig().max_text_chars == MAX_TEXT_CHARS == 100_000
