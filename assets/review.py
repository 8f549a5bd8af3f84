"""Human review: review_sample, the pairs people review on the dashboard's Review page, drawn by
the project (scoring.review.sample: seeded, stratified by answer kind and day, open pairs first,
each with its inclusion probability), and reviews, the verdicts of the reviews store
(warehouse.reviews, outside the warehouse) read in at each run as each pair's review_parity and
the reviewers' agreement (Cohen's kappa). `planb reviews sample` materializes both, this code."""

import dagster as dg
import polars as pl

from assets.instance import WRITER_POOL
from assets.metadata import markdown_preview
from assets.resources import PlanBResource, scoring_key
from scoring.review.labels import pair_labels, reviewer_agreement, with_parity
from scoring.review.sample import draw_review_sample
from warehouse import review_queries as rq
from warehouse import reviews as review_store
from warehouse.db import utc_now, writer


@dg.asset(deps=["agreement"], kinds={"duckdb"}, pool=WRITER_POOL)
def review_sample(planb: PlanBResource) -> dg.MaterializeResult:
    """The replayed pairs drawn for side-by-side review: per (answer kind, day), review.per_day
    pairs (open ones review.open_factor times as many), a simple random sample from permanent
    random numbers of review.seed, each with its inclusion probability n_h / N_h, the side its
    small answer is shown on, and whether two reviewers get it (review.double_share)."""
    cfg = planb.load()
    key, settings = scoring_key(cfg), cfg.review
    with writer(cfg.data_dir) as con:
        pairs = rq.replayed_pairs(con, key)
        drawn = draw_review_sample(pairs, per_day=settings.per_day, open_factor=settings.open_factor,
                                   double_share=settings.double_share, seed=settings.seed)
        rq.store_review_sample(con, drawn.with_columns(
            pl.lit(key.small_key).alias("small_key"), pl.lit(key.large_key).alias("large_key"),
            pl.lit(key.scoring_version).alias("scoring_version"), pl.lit(utc_now()).alias("drawn_at")))
    strata = drawn.group_by("kind").agg(pl.len().alias("drawn"), pl.col("stratum_size").sum().alias("of_pairs"),
                                        (pl.col("reviewers_wanted") == 2).sum().alias("two_reviewers")).sort("kind")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": drawn.height, "replayed_pairs": pairs.height, "by_kind": markdown_preview(strata)})


@dg.asset(deps=["review_sample"], kinds={"duckdb", "sqlite"}, pool=WRITER_POOL)
def reviews(planb: PlanBResource) -> dg.MaterializeResult:
    """The reviews store's verdicts copied into the warehouse (review_verdicts), each drawn or
    reviewed pair's label (review_labels: review_parity, review_inclusion) and the agreement of
    two reviewers of the same pair (review_agreement: Cohen's kappa with its 95% interval). The
    store is read, never locked: reviewers go on saving while this runs."""
    cfg = planb.load()
    verdicts = review_store.read_all(cfg.data_dir)  # one read transaction: a consistent state of the store
    labels = pair_labels(verdicts)
    agreement = reviewer_agreement(verdicts, seed=cfg.review.seed)
    with writer(cfg.data_dir) as con:
        sample = rq.review_sample(con)
        table = (sample.rename({"inclusion_prob": "review_inclusion"})
                 .join(labels, on="request_id", how="full", coalesce=True)
                 .with_columns(pl.col("reviewers").fill_null(0))
                 .select("day", "request_id", "review_parity", "review_inclusion", "reviewers", "reviewers_wanted",
                         "labelled_by"))
        rq.store_reviews(con, with_parity(verdicts), table,
                         pl.DataFrame([{**agreement, "computed_at": utc_now()}]))
    reviewed = table.filter(pl.col("review_inclusion").is_not_null() & (pl.col("reviewers") > 0)).height
    progress = (table.group_by(drawn=pl.col("review_inclusion").is_not_null(), reviewers=pl.col("reviewers"))
                .agg(pl.len().alias("pairs"), pl.col("review_parity").mean().alias("mean_parity"))
                .sort("drawn", "reviewers", descending=[True, False]))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.height, "verdicts": verdicts.height, "progress": markdown_preview(progress),
        "drawn_pairs_reviewed": f"{reviewed} of {sample.height}",
        "reviewer_agreement": dg.MetadataValue.json(agreement)})


CHECKS = []
