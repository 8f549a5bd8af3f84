"""The whole flow through Dagster on two days of the bundled log, with the real bundled models,
into a real DuckDB file: what lands in each table, the printed summary, and idempotence."""

import json
from contextlib import closing

import pytest

from assets.cli.main import main
from warehouse.db import open_snapshot

DAYS = ("2026-11-01", "2026-11-02")
PER_DAY = 12  # two_day_demo's sample: 24 replayed requests over two partitions


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, two_day_demo):
    root = tmp_path_factory.mktemp("e2e")
    return root, two_day_demo(root)


def _counts(con) -> dict[str, int]:
    tables = ["chat_logs", "rejected_log_rows", "replay_sample", "replays", "replay_batches",
              "agreement", "router_scores", "cost_models", "routing_projection"]
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


@pytest.fixture(scope="module")
def snapshot(demo_run, tmp_path_factory):
    root, config_path = demo_run
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))
    try:
        main(["--config", str(config_path), "demo"])
    finally:
        mp.undo()
    # The product's own reader: one process may not open a file under two configurations, and
    # the demo re-run below publishes and reads the snapshot in this process.
    con = open_snapshot(root / "data")
    yield con
    con.close()


def test_chat_logs_hold_both_days_and_the_bad_line_is_quarantined(snapshot):
    days = snapshot.execute("SELECT DISTINCT day::VARCHAR FROM chat_logs ORDER BY 1").fetchall()
    assert [d[0] for d in days] == list(DAYS)
    rejected = snapshot.execute("SELECT reason, source_line FROM rejected_log_rows").fetchall()
    assert rejected == [("invalid_json", 6)]
    dupes = snapshot.execute("SELECT count(*) - count(DISTINCT request_id) FROM chat_logs").fetchall()
    assert dupes[0][0] == 0


def test_sample_weights_add_up_to_the_logged_population(snapshot):
    rows = snapshot.execute(
        "SELECT s.day, sum(s.weight), any_value(l.n), count(*) FROM replay_sample s "
        "JOIN (SELECT day, count(*) n FROM chat_logs GROUP BY day) l USING (day) GROUP BY s.day"
    ).fetchall()
    assert len(rows) == 2
    for _, weight_sum, logged, sampled in rows:
        assert weight_sum == pytest.approx(logged)
        assert sampled >= PER_DAY


def test_replays_come_from_both_real_models(snapshot):
    rows = snapshot.execute(
        "SELECT role, count(*), count(error), min(output_tokens), min(seconds), max(mean_logprob), "
        "count(DISTINCT output) FROM replays GROUP BY role ORDER BY role"
    ).fetchall()
    sampled = snapshot.execute("SELECT count(*) FROM replay_sample").fetchall()[0][0]
    assert [r[0] for r in rows] == ["large", "small"]
    for _role, n, errors, min_tokens, min_seconds, max_logprob, distinct in rows:
        assert n == sampled and errors == 0
        assert min_tokens >= 1 and min_seconds > 0 and max_logprob <= 0
        assert distinct > n // 2  # real generations differ from request to request


def test_agreement_and_router_scores_cover_the_sample(snapshot):
    sampled = snapshot.execute("SELECT count(*) FROM replay_sample").fetchall()[0][0]
    stats = snapshot.execute(
        "SELECT count(*), min(token_f1), max(token_f1), min(cosine), max(cosine) FROM agreement"
    ).fetchall()[0]
    assert stats[0] == sampled
    assert 0 <= stats[1] <= stats[2] <= 1 and -1 <= stats[3] <= stats[4] <= 1
    routers = snapshot.execute(
        "SELECT router, count(*), min(score), max(score) FROM router_scores GROUP BY router"
    ).fetchall()
    assert {r[0] for r in routers} == {"small_confidence", "query_classifier", "random", "length", "oracle"}
    assert all(n == sampled and 0 <= lo <= hi <= 1 for _, n, lo, hi in routers)


def test_projection_matches_an_independent_recomputation(snapshot):
    # Always-large device-hours per day, recomputed in SQL from the sample and the cost model.
    expected = snapshot.execute(
        "SELECT sum(s.weight * (c.seconds_per_request + c.seconds_per_prompt_token * r.prompt_tokens "
        "+ c.seconds_per_output_token * r.output_tokens)) / 3600 / (SELECT count(DISTINCT day) FROM chat_logs) "
        "FROM replay_sample s JOIN replays r ON r.request_id = s.request_id AND r.role = 'large' "
        "JOIN cost_models c ON c.model_key = r.model_key"
    ).fetchall()[0][0]
    rows = snapshot.execute(
        "SELECT router, threshold, share_small, gpu_hours_always_large_per_day, gpu_hours_saved_per_day, "
        "gpu_hours_saved_lo, gpu_hours_saved_hi, agreement_small, agreement_small_lo, agreement_small_hi "
        "FROM routing_projection WHERE dataset = 'pipeline' AND segment_by = 'all' AND threshold_source = 'grid' "
        "ORDER BY router, threshold"
    ).fetchall()
    assert len(rows) == 5 * 101
    for _router, t, share, always_large, saved, lo, hi, agree, alo, ahi in rows:
        assert always_large == pytest.approx(expected)
        assert lo <= saved + 1e-12 and saved <= hi + 1e-12
        if alo is not None:
            assert alo - 1e-12 <= agree <= ahi + 1e-12
        if t == 0.0:
            assert share == 1.0
    oracle_full = [r for r in rows if r[0] == "oracle" and r[1] == 1.0][0]
    agreed = snapshot.execute("SELECT avg(agree::INT) FROM agreement").fetchall()[0][0]
    assert (oracle_full[7] == 1.0) if agreed > 0 else oracle_full[7] is None


def test_every_router_has_metrics_and_segments(snapshot):
    metrics = snapshot.execute(
        "SELECT router, n_sample, auc, apgr, cpt50 FROM router_metrics WHERE dataset = 'pipeline' "
        "AND segment_by = 'all' ORDER BY router").fetchall()
    sampled = snapshot.execute("SELECT count(*) FROM replay_sample").fetchall()[0][0]
    assert [m[0] for m in metrics] == ["length", "oracle", "query_classifier", "random", "small_confidence"]
    assert all(m[1] == sampled for m in metrics)
    segments = snapshot.execute(
        "SELECT segment_by, count(DISTINCT segment) FROM routing_projection GROUP BY segment_by ORDER BY 1").fetchall()
    assert dict(segments)["day"] == 2 and dict(segments)["all"] == 1
    assert {s[0] for s in segments} == {"all", "day", "surface", "mode", "language", "query_length"}
    # every sampled request's segment rows add up to the window's share routed small
    check = snapshot.execute(
        "SELECT w.share_small * w.requests_per_day * 2, sum(d.share_small * d.requests_per_day) "
        "FROM routing_projection w JOIN routing_projection d USING (dataset, router, threshold) "
        "WHERE w.segment_by = 'all' AND d.segment_by = 'day' AND w.router = 'length' AND w.threshold = 0.5 "
        "GROUP BY w.share_small, w.requests_per_day").fetchall()
    assert check[0][0] == pytest.approx(check[0][1])
    classifier_cost = snapshot.execute(
        "SELECT min(seconds), max(seconds) FROM router_scores WHERE router = 'query_classifier'").fetchall()[0]
    assert 0 < classifier_cost[0] == classifier_cost[1]  # measured, the same per request


def test_cost_models_are_fitted_per_model(snapshot):
    rows = snapshot.execute(
        "SELECT role, seconds_per_request, seconds_per_prompt_token, seconds_per_output_token, n_batches "
        "FROM cost_models ORDER BY role"
    ).fetchall()
    assert [r[0] for r in rows] == ["large", "small"]
    for _, per_request, per_prompt, per_output, n in rows:
        assert min(per_request, per_prompt, per_output) >= 0 and per_prompt + per_output > 0 and n >= 2


def test_summary_is_printed_and_a_rerun_keeps_the_same_row_counts(snapshot, demo_run, capsys, monkeypatch, tmp_path):
    root, config_path = demo_run
    before = _counts(snapshot)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    main(["--config", str(config_path), "demo"])
    out = capsys.readouterr().out
    assert "agreement [95% CI]" in out and "$ saved/year" in out
    assert "Recommended threshold" in out and "APGR [95% CI]" in out
    with closing(open_snapshot(root / "data")) as again:
        assert _counts(again) == before


def test_sql_command_reads_the_snapshot(snapshot, demo_run, capsys):
    _, config_path = demo_run
    main(["--config", str(config_path), "sql", "SELECT count(*) AS n FROM agreement", "--format", "json"])
    n = json.loads(capsys.readouterr().out)[0]["n"]
    assert n == snapshot.execute("SELECT count(*) FROM agreement").fetchall()[0][0]
    with pytest.raises(SystemExit, match="planb sql"):
        main(["--config", str(config_path), "sql", "DELETE FROM agreement"])
