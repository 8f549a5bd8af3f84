"""The agreement asset on a real DuckDB with recorded answers: per-pair metrics, kind and label
under a scoring_version, an open-ended pair unscored without a judge (counted, warned about,
left out of agreement downstream), a change of rule re-scores without mixing versions
downstream, and the optional pairwise judge (the real bundled small model) has its calls,
preferences and cost recorded."""

import json
from datetime import date, datetime

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.agreement import agreement, agreement_metrics_in_range, agreement_unscored_share
from assets.partitions import partitioned
from assets.resources import PlanBResource
from assets.routing import router_scores
from scoring.agreement.judge import parity
from scoring.agreement.rule import current_scoring_version
from scoring.config import load_config
from warehouse import pipeline_queries as q
from warehouse.db import insert_rows, warehouse_path, writer
from warehouse.keys import ScoringKey

DAY = date(2026, 11, 1)
ANSWERS = [  # (small, large): identical, one empty, short F1 2/3, long, non-English, punctuation only,
    # and an open-ended request (writing): no lexical threshold may label it
    ("Paris", "paris."),
    ("", "London"),
    ("William Shakespeare", "Shakespeare"),
    ("The first moon landing was in July 1969.", "It happened on July 20, 1969, with Apollo 11."),
    ("東京", "東京"),
    ("...", "?!"),
    ("Soft rain taps the roof, / grey clouds hum a lullaby, / puddles hold the sky.",
     "Rain on the window / the garden drinks in silence / spring is listening."),
]
QUERIES = {6: "Write a haiku about rain."}
OPEN = "r6"


@pytest.fixture
def make_config(planb_config):
    """``make_config(root, checks=None, **agreement)``: a new config file in ``root`` (planb-N.yaml)."""

    def write(root, checks=None, **agreement) -> str:
        return str(planb_config(root, name=f"planb-{len(list(root.glob('planb-*.yaml')))}.yaml",
                                agreement=agreement, checks=checks or {},
                                projection={"routers": ["random", "oracle"]}))

    return write


def _seed_warehouse(root) -> None:
    cfg = load_config(None, data_dir=str(root / "data"))
    ids = [f"r{i}" for i in range(len(ANSWERS))]
    logs = pl.DataFrame({"day": [DAY] * len(ids), "request_id": ids,
                         "ts": [datetime(2026, 11, 1, 12)] * len(ids),
                         "query": [QUERIES.get(i, f"question {i}") for i in range(len(ids))],
                         "source_file": ["t.jsonl"] * len(ids), "source_line": list(range(1, len(ids) + 1))})
    sample = pl.DataFrame({"day": [DAY] * len(ids), "request_id": ids, "stratum": ["s"] * len(ids),
                           "stratum_size": [10] * len(ids), "stratum_sample_size": [len(ids)] * len(ids),
                           "inclusion_prob": [0.6] * len(ids), "weight": [10 / 6] * len(ids),
                           "seed": [7] * len(ids)})
    replays = []
    for role, column in (("small", 0), ("large", 1)):
        for rid, pair in zip(ids, ANSWERS):
            replays.append({"day": DAY, "request_id": rid, "model_key": cfg.models[role].model_key,
                            "role": role, "output": pair[column], "prompt_tokens": 10, "output_tokens": 5,
                            "seconds": 0.1, "mean_logprob": -0.5, "device": "cpu"})
    with writer(root / "data") as con:
        insert_rows(con, "chat_logs", logs)
        insert_rows(con, "replay_sample", sample)
        insert_rows(con, "replays", pl.DataFrame(replays))


def _score(config_path, root, *, checks=False) -> dg.MaterializeResult:
    resources = {"planb": PlanBResource(config_path=config_path, data_dir=str(root / "data"))}
    extra = [agreement_metrics_in_range, agreement_unscored_share] if checks else []
    daily = partitioned([agreement, router_scores], resources["planb"].load())
    result = dg.materialize([*daily, *extra], partition_key=DAY.isoformat(), resources=resources)
    assert result.success
    meta = result.asset_materializations_for_node("agreement")[0].metadata
    if checks:
        return meta, {e.check_name: e for e in result.get_asset_check_evaluations()}
    return meta


def _rows(root, sql, params=None):
    con = duckdb.connect(str(warehouse_path(root / "data")), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture
def root(tmp_path):
    _seed_warehouse(tmp_path)
    return tmp_path


def test_metrics_label_and_version_are_stored(root, make_config):
    config = make_config(root)
    meta = _score(config, root)
    version = current_scoring_version(load_config(config))
    assert meta["scoring_version"].value == version
    rows = _rows(root, "SELECT request_id, exact, token_f1, containment, rouge_l, cosine, judge, agree, "
                       "decided_by, content_containment, scoring_version FROM agreement "
                       "WHERE request_id <> ? ORDER BY request_id", [OPEN])
    assert [r[0] for r in rows] == [f"r{i}" for i in range(len(ANSWERS) - 1)]
    assert {r[-1] for r in rows} == {version}
    by_id = {r[0]: r[1:9] for r in rows}
    assert by_id["r0"] == (1.0, 1.0, 1.0, 1.0, 1.0, None, True, "identical")
    assert by_id["r1"] == (0.0, 0.0, 0.0, 0.0, 0.0, None, False, "one_empty")
    assert by_id["r2"][1] == pytest.approx(2 / 3) and by_id["r2"][3] == pytest.approx(2 / 3)
    assert by_id["r3"][7] == "content_containment"  # long answers, with the default (fitted) rule
    assert by_id["r4"][:5] == (1.0,) * 5 and by_id["r5"][:5] == (1.0,) * 5  # non-English; punctuation only
    for r in rows:
        assert all(v is not None and v == v for v in (*r[1:5], r[9]))  # never NULL or NaN
    # content "first moon landing july 1969" (shorter): "july" and "1969" in the longer -> 2/5
    assert rows[3][9] == pytest.approx(0.4)
    described = _rows(root, "SELECT rule FROM scoring_versions WHERE scoring_version = ?", [version])
    assert described and described[0][0].startswith("short (both answers <=")


def test_an_open_pair_without_a_judge_is_unscored_counted_warned_and_left_out_of_agreement(root, make_config):
    config = make_config(root, checks={"max_unscored_share": 0.1})
    meta, checks = _score(config, root, checks=True)
    cfg = load_config(config)
    version = current_scoring_version(cfg)
    assert _rows(root, "SELECT kind, agree, decided_by, judge FROM agreement WHERE request_id = ?", [OPEN]) == [
        ("open", None, "unscored", None)]
    kinds = dict(_rows(root, "SELECT request_id, kind FROM agreement"))
    assert set(kinds.values()) <= {"short", "core", "open"} and kinds["r0"] == "short"
    assert meta["unscored_pairs"].value == 1 and meta["scored_pairs"].value == len(ANSWERS) - 1
    assert meta["unscored_share"].value == pytest.approx(1 / len(ANSWERS))
    assert json.loads(meta["pairs_by_kind"].value)["open"] == 1
    labelled = _rows(root, "SELECT avg(agree::INT) FROM agreement WHERE agree IS NOT NULL")[0][0]
    assert meta["agree_share"].value == pytest.approx(labelled)  # the unscored pair is not a disagreement
    assert checks["agreement_metrics_in_range"].passed  # NULL agree is not out of range
    warn = checks["agreement_unscored_share"]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    assert "1 of 7 pairs unscored (14.3%), above checks.max_unscored_share = 10%" in warn.description
    key = ScoringKey(cfg.models["small"].model_key, cfg.models["large"].model_key, version)
    with writer(root / "data") as con:
        daily = q.router_inputs(con, DAY, key)
        trained = q.window_router_inputs(con, key)
        projection = q.projection_inputs(con, key)
    assert daily.filter(pl.col("request_id") == OPEN)["agree"].to_list() == [None]  # still routed
    # still scored by the classifier, which learns from the labelled ones only (NULL, not false)
    assert trained.filter(pl.col("request_id") == OPEN)["agree"].to_list() == [None]
    assert projection.filter(pl.col("request_id") == OPEN)["agree"].to_list() == [None, None]  # NULL, not false
    _, relaxed = _score(make_config(root, checks={"max_unscored_share": 0.5}), root, checks=True)
    assert relaxed["agreement_unscored_share"].passed


def test_a_new_rule_rescores_and_readers_see_only_the_current_version(root, make_config):
    first = make_config(root)
    _score(first, root)
    _score(first, root)  # the same rule again: still one copy
    # A rule that turns the F1 2/3 pair into a disagreement
    second = make_config(root, short_threshold=0.9)
    _score(second, root)
    v1, v2 = (current_scoring_version(load_config(c)) for c in (first, second))
    assert v1 != v2
    counts = dict(_rows(root, "SELECT scoring_version, count(*) FROM agreement GROUP BY 1"))
    assert counts == {v1: len(ANSWERS), v2: len(ANSWERS)}
    labels = dict(_rows(root, "SELECT scoring_version, agree FROM agreement WHERE request_id = 'r2'"))
    assert labels == {v1: True, v2: False}
    cfg = load_config(second)
    models = cfg.models["small"].model_key, cfg.models["large"].model_key
    with writer(root / "data") as con:
        inputs = q.router_inputs(con, DAY, ScoringKey(*models, v2))
        projection = q.projection_inputs(con, ScoringKey(*models, v2))
        # the projection refuses to run over days not scored under the configured rule
        assert q.unscored_days(con, ScoringKey(*models, v2)) == []
        assert q.unscored_days(con, ScoringKey(*models, v1)) == []
        assert q.unscored_days(con, ScoringKey(*models, "a-rule-never-run")) == [DAY]
    assert inputs.height == len(ANSWERS)
    assert inputs.filter(pl.col("request_id") == "r2")["agree"].to_list() == [False]
    assert projection.height == len(ANSWERS) * 2  # two routers, one version
    assert projection.filter(pl.col("request_id") == "r2")["agree"].unique().to_list() == [False]
    oracle = dict(_rows(root, "SELECT request_id, score FROM router_scores WHERE router = 'oracle'"))
    assert oracle["r2"] == 0.0 and oracle["r0"] == 1.0  # router_scores read the current label


def test_the_pairwise_judge_decides_open_pairs_and_the_band_and_its_cost_is_recorded(root, make_config):
    # band 1: every short pair whose label is not fixed goes to the judge too (the bundled small model)
    config = make_config(root, judge={"enabled": True, "model": "small", "band": 1.0})
    meta = _score(config, root)
    cfg = load_config(config)
    version = current_scoring_version(cfg)
    judged = _rows(root, "SELECT request_id, judge, agree, decided_by, judge_chars_cut, judge_prompt_truncated "
                         "FROM agreement WHERE decided_by = 'judge' ORDER BY request_id")
    ids = [r[0] for r in judged]
    assert {"r2", "r3", OPEN} <= set(ids) and not {"r0", "r1", "r4", "r5"} & set(ids)  # identical / one empty fixed
    for _, score, agree, _, cut, truncated in judged:
        assert score in (0.0, 0.25, 0.5, 0.75, 1.0) and agree is (score > 0.5)
        assert cut == 0 and truncated is False  # short answers: the judge saw them whole
    assert _rows(root, "SELECT count(*) FROM agreement WHERE agree IS NULL") == [(0,)]  # nothing unscored
    calls = _rows(root, "SELECT request_id, answer_order, verdict, prompt_tokens, output_tokens, seconds, "
                        "judge_key, scoring_version, preference, chars_cut FROM judge_calls "
                        "ORDER BY request_id, answer_order")
    assert [(c[0], c[1]) for c in calls] == [(i, o) for i in ids for o in ("large_first", "small_first")]
    for c in calls:
        assert c[8] in ("small", "large", "tie", None) and c[2] == parity(c[8]) and c[9] == 0
    scores = {r[0]: r[1] for r in judged}
    for i in ids:  # the pair's score is the mean of its two orders' verdicts
        assert scores[i] == pytest.approx(sum(c[2] for c in calls if c[0] == i) / 2)
    judge_key = calls[0][6]
    assert {c[7] for c in calls} == {version}
    assert all(c[3] > 100 and c[4] >= 1 and c[5] > 0 for c in calls)
    # the judge's batches are counted like any replay's, under its own model key
    batch_seconds = _rows(root, "SELECT sum(seconds), sum(batch_size) FROM replay_batches WHERE model_key = ?",
                          [judge_key])[0]
    assert batch_seconds[0] == pytest.approx(sum(c[5] for c in calls)) and batch_seconds[1] == len(calls)
    assert _rows(root, "SELECT role FROM models WHERE model_key = ?", [judge_key]) == [("judge",)]
    assert meta["judge_calls"].value == len(calls) and meta["judge_pairs"].value == len(ids)
    assert meta["judge_output_tokens"].value >= len(calls) and meta["judge_device_seconds"].value > 0
    flips = sum(1 for i in ids if len({c[8] for c in calls if c[0] == i}) > 1
                and all(c[8] is not None for c in calls if c[0] == i))
    assert meta["judge_position_flips"].value == flips


def test_agreement_validation_reports_the_configured_rule(tmp_path, make_config):
    from assets.agreement import agreement_validation
    from scoring.validation.report import read_fit

    resources = {"planb": PlanBResource(config_path=make_config(tmp_path), data_dir=str(tmp_path / "data"))}
    result = dg.materialize([agreement_validation], resources=resources)
    meta = {k: v.value for k, v in result.asset_materializations_for_node("agreement_validation")[0].metadata.items()}
    stored = read_fit()["test_quality"]
    assert meta["test_pairs"] == stored["rule"]["n"]
    # the configured rule is the fitted one: the asset reproduces the report's figures
    for label in ("rule", "token_f1", "cosine", "content_containment"):
        assert meta[f"{label}_precision"] == pytest.approx(stored[label]["precision"][0], abs=1e-4), label
        assert meta[f"{label}_recall"] == pytest.approx(stored[label]["recall"][0], abs=1e-4), label
    low, high = (float(x) for x in meta["rule_recall_ci95"].strip("[]").split(", "))
    assert low <= meta["rule_recall"] <= high
    assert "| rule |" in meta["report"]
