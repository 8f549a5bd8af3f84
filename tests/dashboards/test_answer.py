"""The Overview's one-sentence answer (issue 24, item 1), as text from the dashboard's frames."""

from __future__ import annotations

import polars as pl

from dashboards import answer
from warehouse import dashboard_queries as queries

PIPELINE = {"dataset": "pipeline", "n_sample": 84, "days": 7, "sampled_per_day": 12.0, "certified": False,
            "small_model": "smollm2-135m-instruct", "large_model": "gemma-3-270m", "toy": True}
IMPORTED = {"dataset": "mt_bench", "n_sample": 160, "days": 0, "sampled_per_day": None, "certified": False,
            "small_model": None, "large_model": None, "toy": False}
GATE = {"router": "query_classifier", "agreement_target": 0.95, "recommendation_risk": 0.05,
        "gate_measure": "quality kept (imported quality scores)"}
CANDIDATE = {"threshold": 0.974, "share_small": 0.375, "requests_per_day": 160.0, "kept_small": 0.973,
             "kept_p_value": 0.66, "n_routed_small": 60, "dollars_saved_per_year": 318.0,
             "dollars_saved_per_year_lo": 234.0, "dollars_saved_per_year_hi": 417.0}


def test_certified_says_route_save_and_the_guarantee():
    row = {**CANDIDATE, "threshold": 0.7, "share_small": 0.63, "requests_per_day": 1000.0}
    text = answer.answer({**IMPORTED, "small_model": "mixtral"}, {**GATE, "router": "length"}, row, certified=True)
    assert text == ("**Route 63.0% of requests to **mixtral** with length at 0.70: save $318 a year [$234 – $417] at "
                    "1,000 requests a day; quality kept among requests routed small ≥ 95%** (a guarantee that fails "
                    "in at most 5% of samples).")


def test_not_certified_says_the_candidate_and_what_reviewed_pairs_certify_it():
    text = answer.answer(IMPORTED, GATE, CANDIDATE, certified=False)
    assert text.startswith("**Nothing is certified yet.** The best candidate is **query_classifier at 0.97**")
    assert "quality kept among requests routed small 97.3% measured (the target is ≥ 95%, p = 0.66 > 0.05)" in text
    need = answer.requests_to_certify(0.973, 0.95, binary=False)
    assert f"about {need:,} scored requests routed small at 0.97 (60 now)" in text
    assert "more pairs" in text and "import them" in text


def test_the_pipeline_gets_days_at_the_sample_rate_and_a_setting():
    row = {**CANDIDATE, "kept_small": 1.0, "n_routed_small": 20}
    text = answer.to_certify(PIPELINE, {**GATE, "gate_measure": "agreement"}, row)
    # 59 effective routed small needed, 20 now: x2.95 the 84 sampled, 12 a day over 7 days.
    assert "about 59 scored requests routed small" in text
    assert "about **14 more days** at the configured 12 sampled requests a day" in text
    assert "`sample.per_day: 36`" in text


def test_a_toy_says_it_is_a_toy_and_names_the_real_pair():
    row = {**CANDIDATE, "kept_small": 0.028, "dollars_saved_per_year": -26.15, "dollars_saved_per_year_lo": -31.6,
           "dollars_saved_per_year_hi": -20.9}
    text = answer.answer(PIPELINE, {**GATE, "gate_measure": "agreement", "router": "length"}, row,
                         certified=False, others=["mt_bench"])
    assert text.startswith("**This is the toy pair** (smollm2-135m-instruct and gemma-3-270m)")
    assert "**mt_bench** in the sidebar's Dataset" in text
    assert "cost $26.15 more a year [$20.90 – $31.60]" in text
    assert "cannot be certified at 0.97 however large the sample: it keeps 2.8%, below the 95% target" in text


def test_best_router_skips_the_oracle_and_prefers_certified():
    recs = pl.DataFrame({"router": ["oracle", "length", "random"], "recommended_threshold": [0.4, None, None],
                         "dollars_saved_per_year": [9.0, None, None], "gpu_hours_saved_per_day": [None] * 3,
                         "apgr": [1.0, 0.5, 0.49], "auc": [1.0, 0.6, 0.5]})
    assert answer.best_router(recs) == ("length", False)


def test_requests_to_certify_matches_the_projection_s_test():
    # 59 all kept certify 95% at 5% risk (scoring.routing.metrics.min_certifiable).
    assert answer.requests_to_certify(1.0, 0.95, binary=True) == 59
    need = answer.requests_to_certify(0.98, 0.95, binary=True)
    assert answer.p_value(0.98, need, 0.95, binary=True) <= 0.05 < answer.p_value(0.98, need - 1, 0.95, binary=True)


def test_dataset_evidence_on_a_snapshot(snapshot_dir):
    rows = queries.dataset_evidence(snapshot_dir).to_dicts()
    assert [row["dataset"] for row in rows] == ["pipeline"]
    assert rows[0]["n_sample"] == 400 and rows[0]["toy"] is False and rows[0]["days"] == 0


def test_with_no_testable_threshold_the_candidate_routes_the_most_small():
    curve = pl.DataFrame({"threshold": [0.0, 0.5, 1.0], "kept_p_value": [None] * 3, "kept_small": [0.9, 1.0, None],
                          "n_routed_small": [20, 8, 0]})
    assert answer.candidate_row(curve)["threshold"] == 0.0


def test_with_reviews_the_answer_says_what_the_figure_rests_on_and_the_reviews_that_certify_it():
    row = {**CANDIDATE, "kept_source": "predictions and reviews", "kept_reviews": 42, "reviews_to_certify": 380}
    text = answer.answer(IMPORTED, GATE, row, certified=False)
    assert "97.3% estimated from the automatic labels corrected by 42 human reviews (the target is ≥ 95%" in text
    assert text.endswith("Certifying it takes about **380 more human reviews** (drawn as the review sample draws "
                         "them), if they look like the 42 so far: the Review page.")
    alone = answer.answer(IMPORTED, GATE, {**CANDIDATE, "kept_source": "predictions"}, certified=False)
    assert "measured on the automatic labels alone (no human review routed small)" in alone
