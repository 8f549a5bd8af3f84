"""A real warehouse (every migration, real DuckDB) holding replayed, scored pairs of every answer
kind over a few days, for the review tests: the review assets, the CLI and the Review page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from assets.resources import PlanBResource, scoring_key
from warehouse.db import insert_rows, publish_snapshot, writer

KINDS = {"short": 5, "core": 3, "open": 4}  # pairs per day of each kind


def write_pairs(data_dir: Path, *, days: int = 3, kinds: dict[str, int] = KINDS) -> pl.DataFrame:
    """chat_logs, replay_sample, replays and agreement rows (under the default config's scoring
    key) for ``days`` days of ``kinds``; returns the pairs (day, request_id, kind)."""
    key = scoring_key(PlanBResource(data_dir=str(data_dir)).load())
    rows = []
    for d in range(days):
        day = date(2026, 11, 1) + timedelta(days=d)
        for kind, count in kinds.items():
            rows += [{"day": day, "request_id": f"req-{day:%m%d}-{kind}-{i}", "kind": kind} for i in range(count)]
    pairs = pl.DataFrame(rows)
    logs = pairs.with_columns(
        ts=pl.col("day").cast(pl.Datetime("us")) + pl.duration(hours=9),
        query=pl.format("question {} about {}?", pl.col("request_id"), pl.col("kind")),
        context=pl.lit("user: an earlier turn"), source_file=pl.lit("test.jsonl"),
        source_line=pl.int_range(1, pairs.height + 1, dtype=pl.Int32), surface=pl.lit("chat"), mode=pl.lit("balanced"),
    ).drop("kind")
    sample = pairs.select("day", "request_id", stratum=pl.lit("chat|balanced"), stratum_size=pl.lit(100, pl.Int32),
                          stratum_sample_size=pl.lit(12, pl.Int32), inclusion_prob=pl.lit(0.12),
                          weight=pl.lit(1 / 0.12), seed=pl.lit(7, pl.Int32))
    replays = pl.concat([pairs.select(
        "day", "request_id", model_key=pl.lit(model_key), role=pl.lit(role),
        output=pl.format("{} answer to {}", pl.lit(role), pl.col("request_id")), device=pl.lit("cpu"))
        for role, model_key in (("small", key.small_key), ("large", key.large_key))])
    agreement = pairs.with_columns(
        small_key=pl.lit(key.small_key), large_key=pl.lit(key.large_key), scoring_version=pl.lit(key.scoring_version),
        exact=pl.lit(0.0), token_f1=pl.lit(0.5), containment=pl.lit(0.5),
        agree=pl.when(pl.col("kind") == "open").then(None).otherwise(pl.lit(True)))
    with writer(data_dir) as con:
        for table, frame in (("chat_logs", logs), ("replay_sample", sample), ("replays", replays),
                             ("agreement", agreement)):
            insert_rows(con, table, frame)
    return pairs


def materialize_review(data_dir: Path, *, publish: bool = False) -> None:
    """Run the review_sample and reviews assets (the pipeline's code) on ``data_dir``; publish
    the snapshot after, if asked."""
    import dagster as dg

    from assets import review

    result = dg.materialize([review.review_sample, review.reviews],
                            resources={"planb": PlanBResource(data_dir=str(data_dir))})
    assert result.success
    if publish:
        publish_snapshot(data_dir)


def at(minute: int) -> datetime:
    return datetime(2026, 12, 1, 10, minute)
