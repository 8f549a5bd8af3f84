"""The replay sample: stratified, seeded, with inclusion probabilities and weights.

Each day is sampled on its own. Strata are the combinations of the configured columns
(surface x mode by default); the day's sample size is allocated to strata in proportion to their
size (largest remainder), with at least one request from every stratum so none is unrepresented.
Within a stratum the requests with the smallest ``sha256(seed:request_id)`` are taken: the same
seed gives the same sample, and adding rows to a log does not reshuffle the rest.
"""

from __future__ import annotations

import hashlib

import polars as pl


def _allocate(sizes: list[int], n: int) -> list[int]:
    """Proportional allocation, at least 1 per non-empty stratum, never more than its size.

    Example:
        >>> _allocate([60, 30, 10], 10)
        [6, 3, 1]
    """
    total = sum(sizes)
    quotas = [n * s / total for s in sizes]
    alloc = [min(s, max(1, int(q))) for s, q in zip(sizes, quotas)]
    # Hand out what is left one at a time, largest unmet quota first, to strata with room.
    while sum(alloc) < min(n, total):
        room = [i for i in range(len(sizes)) if alloc[i] < sizes[i]]
        alloc[max(room, key=lambda i: quotas[i] - alloc[i])] += 1
    return alloc


def _rank_key(seed: int, request_id: str) -> str:
    return hashlib.sha256(f"{seed}:{request_id}".encode()).hexdigest()


def stratified_sample(day_logs: pl.DataFrame, *, per_day: int, strata: list[str], seed: int) -> pl.DataFrame:
    """Sample one day's requests; returns request_id, stratum, N_h, n_h, inclusion_prob, weight.

    Example:
        >>> logs = pl.DataFrame({"request_id": ["a", "b", "c", "d"], "surface": ["chat"] * 3 + ["search"]})
        >>> s = stratified_sample(logs, per_day=2, strata=["surface"], seed=1)
        >>> sorted(s["weight"].to_list())
        [1.0, 3.0]
    """
    if day_logs.is_empty():
        return pl.DataFrame(schema={"request_id": pl.String, "stratum": pl.String,
                                    "stratum_size": pl.Int32, "stratum_sample_size": pl.Int32,
                                    "inclusion_prob": pl.Float64, "weight": pl.Float64})
    keyed = day_logs.select(
        "request_id",
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("unknown") for c in strata], separator="|")
        .alias("stratum"),
    ).with_columns(
        pl.col("request_id").map_elements(lambda r: _rank_key(seed, r), return_dtype=pl.String).alias("rank_key")
    )
    sizes = keyed.group_by("stratum").len().sort("stratum")
    alloc = _allocate(sizes["len"].to_list(), per_day)
    plan = sizes.with_columns(pl.Series("stratum_sample_size", alloc)).rename({"len": "stratum_size"})
    return (
        keyed.join(plan, on="stratum")
        .sort("stratum", "rank_key")
        .filter(pl.int_range(pl.len()).over("stratum") < pl.col("stratum_sample_size"))
        .with_columns(
            pl.col("stratum_size").cast(pl.Int32),
            pl.col("stratum_sample_size").cast(pl.Int32),
            (pl.col("stratum_sample_size") / pl.col("stratum_size")).alias("inclusion_prob"),
        )
        .with_columns((1.0 / pl.col("inclusion_prob")).alias("weight"))
        .select("request_id", "stratum", "stratum_size", "stratum_sample_size", "inclusion_prob", "weight")
        .sort("request_id")
    )
