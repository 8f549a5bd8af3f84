"""The recommendation_certified check runs in Dagster on a real warehouse: a router without a
certified threshold warns with the reason and the sample-size cost, naming the quality measure
the recommendation gates on; the oracle (an upper bound) is left out; it never blocks."""

from datetime import datetime

import dagster as dg
import polars as pl

from assets.projection import recommendation_certified
from assets.resources import PlanBResource
from warehouse.db import insert_rows, writer

NOTE = ("not certified at 95% even at the strictest testable threshold 0.810 (30.0% routed small, 61 effective, "
        "93.4% kept, p = 0.74 > 0.05)")


def _evaluate(evaluate_check, tmp_path, recommended: dict[str, float | None], gate: str) -> dg.AssetCheckEvaluation:
    data = tmp_path / "data"
    common = {"dataset": "pipeline", "segment_by": "all", "segment": "all", "cascade": False, "n_sample": 400,
              "quality_measure": "agreement", "agreement_target": 0.95, "computed_at": datetime(2026, 11, 15),
              "gate_measure": gate, "recommendation_risk": 0.05, "certify_min_routed": 59.0}
    rows = [{**common, "router": router, "recommended_threshold": threshold,
             "certifiable_share_small": 0.3, "note": None if threshold is not None else NOTE}
            for router, threshold in recommended.items()]
    with writer(data) as con:
        insert_rows(con, "router_metrics", pl.DataFrame(rows))
    return evaluate_check(recommendation_certified, PlanBResource(data_dir=str(data)))


def test_a_router_without_a_certified_threshold_warns_with_the_cost(tmp_path, evaluate_check):
    evaluation = _evaluate(evaluate_check, tmp_path, {"length": 0.5, "random": None, "oracle": None}, "agreement")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.description == (f"no certified threshold for random: {NOTE}; certifying 95% takes about 59 "
                                       "scored requests routed small, all keeping quality: raise sample.per_day")


def test_every_router_certified_passes_and_names_its_quality(tmp_path, evaluate_check):
    evaluation = _evaluate(evaluate_check, tmp_path, {"length": 0.5, "random": 0.9, "oracle": None},
                           "quality kept (imported correctness)")
    assert evaluation.passed
    assert evaluation.description == ("every router certified to keep quality kept (imported correctness) >= 95% "
                                      "among requests routed small (risk 5%)")
    assert evaluation.metadata["gate_measure"].value == "quality kept (imported correctness)"
