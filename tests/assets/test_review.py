"""The review assets on a real warehouse: review_sample draws per (kind, day) with the stated
probabilities, the same pairs again on the next run; reviews reads the store in, maps each verdict
through the side it was shown on, and the projection's sample frame carries review_parity and
review_inclusion."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the review warehouse helper
from review_warehouse import KINDS, at, materialize_review, write_pairs  # noqa: E402

from scoring.config import load_config  # noqa: E402
from scoring.projection.run import window_sample  # noqa: E402
from warehouse import review_queries as rq  # noqa: E402
from warehouse import reviews  # noqa: E402
from warehouse.db import read_frame, writer  # noqa: E402


def table(data_dir: Path, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        return read_frame(con, sql)
    finally:
        con.close()


@pytest.fixture
def drawn(tmp_path) -> Path:
    write_pairs(tmp_path, days=3)
    materialize_review(tmp_path)
    return tmp_path


def test_the_sample_is_drawn_per_kind_and_day_with_its_probabilities(drawn):
    settings = load_config(None).review
    sample = table(drawn, "SELECT * FROM review_sample ORDER BY queue_rank")
    per = sample.group_by("kind", "day").agg(pl.len(), pl.col("inclusion_prob").first())
    assert per.height == 3 * len(KINDS)
    for row in per.iter_rows(named=True):
        target = settings.per_day * (settings.open_factor if row["kind"] == "open" else 1)
        n = min(target, KINDS[row["kind"]])
        assert row["len"] == n and row["inclusion_prob"] == pytest.approx(n / KINDS[row["kind"]])
    kinds = sample["kind"].to_list()
    assert kinds[: kinds.count("open")] == ["open"] * kinds.count("open")
    materialize_review(drawn)  # the next run draws the same pairs, sides and assignments
    again = table(drawn, "SELECT * FROM review_sample ORDER BY queue_rank")
    assert again.drop("drawn_at").equals(sample.drop("drawn_at"))


def test_reviews_are_read_in_through_the_side_shown(drawn):
    sample = table(drawn, "SELECT request_id, small_side, inclusion_prob FROM review_sample ORDER BY queue_rank")
    (a, a_side, a_p), (b, b_side, _), (c, _, c_p) = sample.rows()[:3]
    to_small = "left_better" if a_side == "left" else "right_better"
    to_large = "right_better" if b_side == "left" else "left_better"
    for verdict in (reviews.Verdict(a, "ann", to_large, a_side, at(0)), reviews.Verdict(a, "ann", to_small, a_side, at(5)),
                    reviews.Verdict(b, "ann", to_large, b_side, at(1)), reviews.Verdict(c, "ann", "cant_judge", "left", at(2)),
                    reviews.Verdict("req-not-drawn", "bob", "small_better", None, at(3))):
        reviews.record(drawn, verdict)
    materialize_review(drawn)
    labels = table(drawn, "SELECT request_id, review_parity, review_inclusion, reviewers FROM review_labels")
    got = {r[0]: r[1:] for r in labels.rows()}
    assert got[a] == (1.0, a_p, 1)  # ann's latest verdict: small better
    assert got[b][0] == 0.0 and got[c] == (None, c_p, 1)
    assert got["req-not-drawn"] == (1.0, None, 1)  # kept, but no estimate may use it
    assert sum(r[3] == 0 for r in labels.rows()) == sample.height - 3  # drawn, not reviewed yet
    assert table(drawn, "SELECT count(*) AS n FROM review_agreement")["n"][0] == 2  # one row per run

    with writer(drawn) as con:
        reviewed = rq.review_labels(con)
    inputs = pl.DataFrame({"day": ["2026-11-01"] * 2, "request_id": [a, "req-other"], "weight": [2.0, 2.0],
                           "agree": [True, None], "router": ["length"] * 2, "score": [0.3, 0.7]},
                          schema_overrides={"agree": pl.Boolean}).with_columns(pl.col("day").str.to_date())
    segments = inputs.select("day", "request_id", surface=pl.lit("chat"), mode=pl.lit("m"), language=pl.lit("en"),
                             query=pl.lit("a question"))
    frame, _ = window_sample(inputs, segments, reviewed)
    assert frame.select("request_id", "review_parity", "review_inclusion").rows() == [
        (a, 1.0, a_p), ("req-other", None, None)]
    assert frame.schema["review_parity"] == pl.Float64 and frame.schema["review_inclusion"] == pl.Float64
    assert "review_parity" in window_sample(inputs, segments)[0].columns  # without reviews: null columns
