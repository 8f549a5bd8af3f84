"""The review sample's inclusion probabilities are the ones it states: by simulation over seeds,
each pair is drawn as often as its probability says and the Horvitz-Thompson mean with them is
unbiased (the plain mean of the drawn pairs is not: open pairs are over-sampled). Verdicts mean
what the page shows, through the side drawn for the pair."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from scoring.review.labels import pair_labels, preference, reviewer_agreement
from scoring.review.sample import draw_review_sample, horvitz_thompson_mean

SETTINGS = {"per_day": 3, "open_factor": 2, "double_share": 0.25}


def population() -> pl.DataFrame:
    """Three days, strata of unequal sizes (one smaller than its target), open pairs agreeing less."""
    sizes = {"short": [10, 7, 2], "core": [5, 9, 4], "open": [8, 3, 12], None: [0, 0, 3]}
    rows = []
    for kind, per_day in sizes.items():
        for d, count in enumerate(per_day):
            rows += [{"day": date(2026, 11, 1) + timedelta(days=d), "request_id": f"{kind}-{d}-{i}", "kind": kind}
                     for i in range(count)]
    return pl.DataFrame(rows)


def values(pairs: pl.DataFrame) -> dict[str, float]:
    """A pair's review_parity-like value: open pairs keep quality far less often."""
    rng = np.random.default_rng(3)
    share = {"open": 0.3, "short": 0.95, "core": 0.8, None: 0.6}
    return {r: float(rng.random() < share[k]) for r, k in zip(pairs["request_id"], pairs["kind"], strict=True)}


def test_the_inclusion_probabilities_are_right_and_horvitz_thompson_is_unbiased():
    pairs = population()
    y = values(pairs)
    truth = float(np.mean(list(y.values())))
    seeds = 1500
    drawn_count = dict.fromkeys(y, 0)
    stated = {}
    estimates, naive = [], []
    for seed in range(seeds):
        drawn = draw_review_sample(pairs, seed=seed, **SETTINGS)
        for r, p in zip(drawn["request_id"], drawn["inclusion_prob"], strict=True):
            drawn_count[r] += 1
            assert stated.setdefault(r, p) == p  # a pair's probability does not depend on the seed
        v = np.array([y[r] for r in drawn["request_id"]])
        estimates.append(horvitz_thompson_mean(v, drawn["inclusion_prob"].to_numpy(), pairs.height))
        naive.append(v.mean())
    # every pair is drawable, and drawn as often as its probability says (binomial, 4.5 sd)
    for r, count in drawn_count.items():
        p = stated[r]
        assert abs(count / seeds - p) <= 4.5 * np.sqrt(p * (1 - p) / seeds) + 1e-12, (r, count / seeds, p)
    se = np.std(estimates) / np.sqrt(seeds)
    assert abs(np.mean(estimates) - truth) < 4 * se, (np.mean(estimates), truth, se)
    assert abs(np.mean(naive) - truth) > 10 * se  # without the probabilities the mean is biased


def test_strata_sizes_targets_order_and_sides():
    pairs = population()
    drawn = draw_review_sample(pairs, seed=5, **SETTINGS)
    per = drawn.group_by("stratum").agg(pl.len(), pl.col("stratum_size").first(), pl.col("stratum_sample_size").first(),
                                        pl.col("inclusion_prob").first())
    for row in per.iter_rows(named=True):
        kind = row["stratum"].split("|")[0]
        target = 6 if kind == "open" else 3
        assert row["len"] == row["stratum_sample_size"] == min(target, row["stratum_size"])
        assert row["inclusion_prob"] == pytest.approx(row["stratum_sample_size"] / row["stratum_size"])
    assert set(drawn["kind"]) == {"short", "core", "open", "unknown"}
    ranked = drawn.sort("queue_rank")
    assert ranked["queue_rank"].to_list() == list(range(1, drawn.height + 1))
    kinds = ranked["kind"].to_list()
    assert kinds[: kinds.count("open")] == ["open"] * kinds.count("open")  # open pairs first
    assert set(drawn["small_side"]) == {"left", "right"} and set(drawn["reviewers_wanted"]) == {1, 2}
    assert drawn.equals(draw_review_sample(pairs, seed=5, **SETTINGS))  # seeded: the same draw again
    assert not drawn.equals(draw_review_sample(pairs, seed=6, **SETTINGS))


def test_a_new_day_leaves_the_earlier_days_draws_as_they_were():
    pairs = population()
    first = draw_review_sample(pairs.filter(pl.col("day") < date(2026, 11, 3)), seed=9, **SETTINGS)
    later = draw_review_sample(pairs, seed=9, **SETTINGS).filter(pl.col("day") < date(2026, 11, 3))
    columns = ["request_id", "inclusion_prob", "small_side", "reviewers_wanted"]
    assert first.select(columns).sort("request_id").equals(later.select(columns).sort("request_id"))


def verdicts(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"request_id": pl.String, "reviewer": pl.String, "verdict": pl.String,
                                      "small_side": pl.String, "reviewed_at": pl.Datetime("us")}, orient="row")


def test_verdicts_map_through_the_side_shown():
    assert preference("left_better", "left") == "small" and preference("left_better", "right") == "large"
    assert preference("right_better", "left") == "large" and preference("right_better", "right") == "small"
    assert preference("same", "left") == "same" and preference("cant_judge", "right") is None
    assert preference("large_better", None) == "large"
    with pytest.raises(ValueError, match="needs small_side"):
        preference("left_better", None)


def test_a_pair_s_label_is_its_first_judging_reviewer_s_latest_verdict():
    t = [datetime(2026, 12, 1, 10, m) for m in range(10)]
    labels = pair_labels(verdicts([
        ("a", "ann", "left_better", "right", t[0]),   # ann first: large better ...
        ("a", "bob", "same", "right", t[1]),
        ("a", "ann", "right_better", "right", t[2]),  # ... then changes her mind: small better
        ("b", "ann", "cant_judge", "left", t[0]),     # ann cannot judge: bob's verdict is the label
        ("b", "bob", "right_better", "left", t[3]),
        ("c", "cy", "cant_judge", "left", t[4]),      # nobody judged
    ]))
    assert labels.rows() == [("a", 1.0, 2, "ann"), ("b", 0.0, 2, "bob"), ("c", None, 1, None)]


def test_reviewer_agreement_is_kappa_with_an_interval_from_30_pairs():
    rng = np.random.default_rng(1)
    t0 = datetime(2026, 12, 1)
    rows = []
    for i in range(60):
        first = rng.random() < 0.6
        second = first if rng.random() < 0.8 else not first
        for who, small_ok, minute in (("ann", first, 0), ("bob", second, 1)):
            rows.append((f"r{i}", who, "same" if small_ok else "large_better", None, t0 + timedelta(minutes=minute)))
    agreement = reviewer_agreement(verdicts(rows))
    assert agreement["pairs"] == 60 and agreement["kappa_lo"] < agreement["kappa"] < agreement["kappa_hi"]
    few = reviewer_agreement(verdicts(rows[:20]))
    assert few["pairs"] == 10 and few["kappa_lo"] is None and "no interval" in few["note"]


@pytest.mark.parametrize("n", [30, 80])
def test_the_kappa_interval_covers_the_true_kappa_about_95_percent_of_the_time_from_its_smallest_size(n):
    """As the Data health page shows it: reviewer 2 copies reviewer 1's label with probability
    0.8, else a fair coin; the population kappa from the 2x2 cell probabilities."""
    p1, copy = 0.6, 0.8
    tp, fn = p1 * (copy + (1 - copy) / 2), p1 * (1 - copy) / 2
    fp, tn = (1 - p1) * (1 - copy) / 2, (1 - p1) * (copy + (1 - copy) / 2)
    expected = (tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)
    true_kappa = ((tp + tn) - expected) / (1 - expected)
    rng = np.random.default_rng(11)
    t0 = datetime(2026, 12, 1)
    covered, sims = 0, 300
    for sim in range(sims):
        first = rng.random(n) < p1
        second = np.where(rng.random(n) < copy, first, rng.random(n) < 0.5)
        rows = [(f"r{i}", who, "same" if ok else "large_better", None, t0 + timedelta(minutes=m))
                for i in range(n) for who, ok, m in (("ann", first[i], 0), ("bob", second[i], 1))]
        result = reviewer_agreement(verdicts(rows), seed=sim)
        covered += result["kappa_lo"] is not None and result["kappa_lo"] <= true_kappa <= result["kappa_hi"]
    assert 0.90 <= covered / sims <= 0.99, covered / sims
