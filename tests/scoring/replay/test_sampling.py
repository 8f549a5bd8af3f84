"""scoring.replay.sampling: proportional allocation and the stratified, seeded daily sample."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest

from scoring.replay.sampling import _allocate, stratified_sample

COLUMNS = ["request_id", "stratum", "stratum_size", "stratum_sample_size", "inclusion_prob", "weight"]

# --- _allocate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        ([60, 30, 10], 10, [6, 3, 1]),  # exact quotas
        # quotas 3.5, 2.1, 1.4 -> 3, 2, 1 and the one left goes to the largest remainder (0.5)
        ([50, 30, 20], 7, [4, 2, 1]),
        # quotas 2.5, 2.5, 5.0 -> 2, 2, 5; one left: first of the tied remainders
        ([25, 25, 50], 10, [3, 2, 5]),
        # quotas 9.8, 0.1, 0.1: every stratum gets at least one, even past n
        ([98, 1, 1], 10, [9, 1, 1]),
        # n above the population: every stratum is taken whole, never more than its size
        ([2, 3], 10, [2, 3]),
        ([5], 3, [3]),
        ([1, 1, 1, 1], 2, [1, 1, 1, 1]),
    ],
)
def test_allocate_hand_computed(sizes, n, expected):
    assert _allocate(sizes, n) == expected


@pytest.mark.parametrize(("sizes", "n"), [([7, 13, 80], 20), ([3, 3, 3], 9), ([100, 1], 50), ([40, 35, 25], 17)])
def test_allocate_invariants(sizes, n):
    alloc = _allocate(sizes, n)
    assert len(alloc) == len(sizes)
    assert all(1 <= a <= s for a, s in zip(alloc, sizes))
    assert sum(alloc) >= min(n, sum(sizes))


def test_allocate_uses_the_whole_budget_when_rows_allow():
    # quotas 0.8, 1.6, 1.6 -> 1, 1, 1; the one left belongs to a stratum of size 2.
    alloc = _allocate([1, 2, 2], 4)
    assert sum(alloc) == 4
    assert alloc[0] == 1


# --- stratified_sample ------------------------------------------------------------------------


def _day(sizes: dict[tuple[str, str], int], prefix: str = "r") -> pl.DataFrame:
    rows = []
    for (surface, mode), size in sizes.items():
        for i in range(size):
            rows.append({"request_id": f"{prefix}-{surface}-{mode}-{i}", "surface": surface, "mode": mode})
    return pl.DataFrame(rows)


SIZES = {("chat", "precise"): 50, ("chat", "balanced"): 30, ("search", "balanced"): 15, ("search", "creative"): 5}


def test_stratified_sample_plan_and_weights():
    day = _day(SIZES)
    sample = stratified_sample(day, per_day=10, strata=["surface", "mode"], seed=3)
    assert sample.columns == COLUMNS
    assert sample.schema["stratum_size"] == pl.Int32
    assert sample.schema["stratum_sample_size"] == pl.Int32
    # quotas 5, 3, 1.5, 0.5 -> 5, 3, 1, 1 (at least one each): ten requests
    plan = {
        row["stratum"]: (row["stratum_size"], row["stratum_sample_size"], row["n"], row["weight"])
        for row in sample.group_by("stratum")
        .agg(pl.first("stratum_size"), pl.first("stratum_sample_size"), pl.len().alias("n"), pl.first("weight"))
        .iter_rows(named=True)
    }
    assert plan == {
        "chat|precise": (50, 5, 5, 10.0),
        "chat|balanced": (30, 3, 3, 10.0),
        "search|balanced": (15, 1, 1, 15.0),
        "search|creative": (5, 1, 1, 5.0),
    }
    # weight = N_h / n_h = 1 / inclusion_prob, and the weights add up to the day's rows
    assert (sample["inclusion_prob"] - sample["stratum_sample_size"] / sample["stratum_size"]).abs().max() < 1e-12
    assert (sample["weight"] * sample["inclusion_prob"] - 1.0).abs().max() < 1e-12
    assert sample["weight"].sum() == pytest.approx(day.height)
    # sampled ids are real, distinct, and sorted
    assert sample["request_id"].n_unique() == sample.height
    assert set(sample["request_id"]) <= set(day["request_id"])
    assert sample["request_id"].to_list() == sorted(sample["request_id"].to_list())


def test_stratified_sample_every_stratum_represented_even_when_tiny():
    sizes = {("chat", "precise"): 200, ("chat", "balanced"): 1, ("search", "balanced"): 2, ("search", "creative"): 1}
    day = _day(sizes)
    sample = stratified_sample(day, per_day=4, strata=["surface", "mode"], seed=0)
    assert set(sample["stratum"]) == {"chat|precise", "chat|balanced", "search|balanced", "search|creative"}
    assert sample["weight"].sum() == pytest.approx(day.height)


@pytest.mark.parametrize("per_day", [1, 3, 7, 12, 40, 99, 100, 500])
def test_stratified_sample_weights_sum_to_rows(per_day):
    day = _day(SIZES)
    sample = stratified_sample(day, per_day=per_day, strata=["surface", "mode"], seed=5)
    assert sample["weight"].sum() == pytest.approx(day.height)
    assert sample["stratum"].n_unique() == len(SIZES)


def test_stratified_sample_takes_everything_when_per_day_exceeds_rows():
    day = _day(SIZES)
    sample = stratified_sample(day, per_day=1000, strata=["surface", "mode"], seed=1)
    assert sample.height == day.height
    assert sample["weight"].to_list() == [1.0] * day.height
    assert sample["inclusion_prob"].to_list() == [1.0] * day.height


def test_stratified_sample_takes_smallest_hashes_within_each_stratum():
    day = _day(SIZES)
    seed = 9
    sample = stratified_sample(day, per_day=10, strata=["surface", "mode"], seed=seed)
    for (surface, mode), _ in SIZES.items():
        ids = day.filter((pl.col("surface") == surface) & (pl.col("mode") == mode))["request_id"].to_list()
        chosen = set(sample.filter(pl.col("stratum") == f"{surface}|{mode}")["request_id"])
        ranked = sorted(ids, key=lambda r: hashlib.sha256(f"{seed}:{r}".encode()).hexdigest())
        assert chosen == set(ranked[: len(chosen)])


def test_stratified_sample_same_seed_same_sample_and_row_order_irrelevant():
    day = _day(SIZES)
    first = stratified_sample(day, per_day=12, strata=["surface", "mode"], seed=7)
    again = stratified_sample(day, per_day=12, strata=["surface", "mode"], seed=7)
    shuffled = stratified_sample(day.sample(fraction=1.0, shuffle=True, seed=123), per_day=12,
                                 strata=["surface", "mode"], seed=7)
    assert first.equals(again)
    assert first.equals(shuffled)


def test_stratified_sample_different_seed_different_sample():
    day = _day(SIZES)
    a = stratified_sample(day, per_day=12, strata=["surface", "mode"], seed=7)
    b = stratified_sample(day, per_day=12, strata=["surface", "mode"], seed=8)
    assert a.height == b.height
    assert set(a["request_id"]) != set(b["request_id"])
    # the plan (sizes, weights) does not depend on the seed
    plan = ["stratum", "stratum_size", "stratum_sample_size", "weight"]
    assert a.select(plan).sort("stratum").equals(b.select(plan).sort("stratum"))


def test_stratified_sample_null_stratum_is_unknown():
    day = pl.DataFrame({"request_id": ["a", "b", "c"], "surface": ["chat", None, None]})
    sample = stratified_sample(day, per_day=3, strata=["surface"], seed=0)
    assert sorted(sample["stratum"].to_list()) == ["chat", "unknown", "unknown"]


def test_stratified_sample_docstring_example():
    logs = pl.DataFrame({"request_id": ["a", "b", "c", "d"], "surface": ["chat"] * 3 + ["search"]})
    s = stratified_sample(logs, per_day=2, strata=["surface"], seed=1)
    assert sorted(s["weight"].to_list()) == [1.0, 3.0]


def test_stratified_sample_empty_input():
    empty = pl.DataFrame(schema={"request_id": pl.String, "surface": pl.String, "mode": pl.String})
    sample = stratified_sample(empty, per_day=10, strata=["surface", "mode"], seed=1)
    assert sample.is_empty()
    assert sample.columns == COLUMNS
    assert sample.schema["weight"] == pl.Float64
    assert sample.schema["stratum_size"] == pl.Int32
