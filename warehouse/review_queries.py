"""The pipeline's reads and writes for human review (migration 017), inside its writer transaction."""

from __future__ import annotations

from dataclasses import astuple

import duckdb
import polars as pl

from warehouse.db import insert_rows, read_frame, replace_rows
from warehouse.keys import ScoringKey


def replayed_pairs(con: duckdb.DuckDBPyConnection, key: ScoringKey) -> pl.DataFrame:
    """Every replayed pair scored under ``key`` (scored or not: open pairs with no judge are
    exactly those people must read), with its answer kind: what the review sample is drawn from."""
    return read_frame(
        con,
        "SELECT day, request_id, kind FROM agreement "
        "WHERE small_key = ? AND large_key = ? AND scoring_version = ? ORDER BY day, request_id",
        list(astuple(key)),
    )


def store_review_sample(con: duckdb.DuckDBPyConnection, sample: pl.DataFrame) -> None:
    """The whole review sample, replacing the earlier draw (the same pairs, drawn from the seed)."""
    replace_rows(con, "review_sample", sample, "true", [])


def review_sample(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read_frame(con, "SELECT day, request_id, inclusion_prob, reviewers_wanted FROM review_sample")


def store_reviews(con: duckdb.DuckDBPyConnection, verdicts: pl.DataFrame, labels: pl.DataFrame,
                  agreement: pl.DataFrame) -> None:
    """The store's verdicts and the labels as read now, replacing the earlier copy; the reviewers'
    agreement appended (one row per run: its history)."""
    replace_rows(con, "review_verdicts", verdicts, "true", [])
    replace_rows(con, "review_labels", labels, "true", [])
    insert_rows(con, "review_agreement", agreement)


def review_labels(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per pair of the review sample (and per reviewed pair outside it): day, request_id,
    review_parity, review_inclusion: what the projection's sample frame carries."""
    return read_frame(con, "SELECT day, request_id, review_parity, review_inclusion FROM review_labels")
