"""Every page of the dashboard on a snapshot the real pipeline made, through AppTest: the numbers
each page shows equal plain SQL over the snapshot, the sidebar's cost edits reach every dollar
figure, and a view survives being reopened from its URL."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.formatting import read_back

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


def sql(data_dir: Path, query: str, params: list | None = None) -> list[dict]:
    """Rows of ``query`` over the published snapshot, read with plain DuckDB (not our code)."""
    con = duckdb.connect(str(data_dir / "snapshot.duckdb"), read_only=True)
    try:
        cursor = con.execute(query, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def nearest(data_dir: Path, router: str, threshold: float, segment_by: str = "all") -> list[dict]:
    """Each segment's projection row at the threshold nearest ``threshold`` (ties: the lower)."""
    rows = sql(data_dir, "SELECT * FROM routing_projection WHERE dataset = 'pipeline' AND router = ? "
               "AND segment_by = ? ORDER BY segment, abs(threshold - ?), threshold", [router, segment_by, threshold])
    first = {}
    for row in rows:
        first.setdefault(row["segment"], row)
    return list(first.values())


def assert_shows(text: str, expected: float | None) -> None:
    if expected is None:
        assert text == "—", text
        return
    value, half = read_back(text)
    assert abs(value - expected) <= half + 1e-12, f"shown {text!r}, SQL gives {expected!r}"


def assert_figure(text: str, value: float | None, lo: float | None, hi: float | None) -> None:
    """'value [lo – hi]' (or 'value' alone when there is no interval) shows these numbers."""
    head, _, span = text.partition(" [")
    assert_shows(head, value)
    if lo is None or hi is None:
        assert not span, text
        return
    shown_lo, shown_hi = span.rstrip("]").split(" – ")
    assert_shows(shown_lo, lo)
    assert_shows(shown_hi, hi)


def metric(app: AppTest, label: str):
    (found,) = [m for m in app.metric if m.label == label]
    return found


def assert_metric(app: AppTest, label: str, value: float | None, lo: float | None, hi: float | None) -> None:
    tile = metric(app, label)
    assert_figure(tile.value + (f" {tile.delta}" if tile.delta else ""), value, lo, hi)


@pytest.fixture
def app(monkeypatch, pipeline_snapshot) -> AppTest:
    monkeypatch.setenv("PLANB_DATA_DIR", str(pipeline_snapshot))
    app = AppTest.from_file(APP, default_timeout=120)
    # These tests read the pipeline's own replay; the app opens on the real pair the demo imports
    # (the dataset with the most evidence), one pick away.
    app.query_params["dataset"] = "pipeline"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def table(app: AppTest, column: str):
    """The one table (a pandas frame) on the page with ``column``."""
    (found,) = [frame.value for frame in app.dataframe if column in frame.value.columns]
    return found


def rerun(app: AppTest, page: str | None = None) -> AppTest:
    if page is not None:
        app.switch_page(page)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def choose(app: AppTest, router: str, threshold: float) -> AppTest:
    app.sidebar.selectbox(key="router").set_value(router)
    app.sidebar.slider(key="threshold").set_value(threshold)
    return rerun(app)


def test_overview_shows_the_window_row_and_the_recommendation(app, pipeline_snapshot):
    recommended = sql(pipeline_snapshot, "SELECT router, recommended_threshold FROM router_metrics "
                      "WHERE dataset = 'pipeline' AND segment_by = 'all'")
    router = app.sidebar.selectbox(key="router").value
    start = {r["router"]: r["recommended_threshold"] for r in recommended}[router]
    # The slider opens at the router's recommended threshold (else the answer's candidate's).
    if start is not None:
        assert app.sidebar.slider(key="threshold").value == pytest.approx(round(start, 2))
    # The page opens on its answer: the toy pair says it is one and names the real pair.
    answer = app.warning[0].value
    assert answer.startswith("**This is the toy pair**") and "mt_bench_mixtral_gpt4" in answer
    assert "The best candidate is" in answer
    choose(app, "length", 0.3)
    (row,) = nearest(pipeline_snapshot, "length", 0.3)
    assert_metric(app, "GPU-hours saved / day", row["gpu_hours_saved_per_day"], row["gpu_hours_saved_lo"],
                  row["gpu_hours_saved_hi"])
    assert_metric(app, "Dollars saved / month", row["dollars_saved_per_30_days"], row["dollars_saved_per_30_days_lo"],
                  row["dollars_saved_per_30_days_hi"])
    assert_metric(app, "Dollars saved / year", row["dollars_saved_per_year"], row["dollars_saved_per_year_lo"],
                  row["dollars_saved_per_year_hi"])
    assert_metric(app, "Routed to small model", row["share_small"], row["share_small_lo"], row["share_small_hi"])
    assert_metric(app, "Agreement among routed small", row["agreement_small"], row["agreement_small_lo"],
                  row["agreement_small_hi"])
    assert_metric(app, "Answers unchanged", row["unchanged_share"], row["unchanged_lo"], row["unchanged_hi"])
    # One small trend chart per figure over the two days, then the savings curve.
    days = nearest(pipeline_snapshot, "length", 0.3, "day")
    charts = app.get("plotly_chart")
    assert len(charts) == 5
    trend = json.loads(charts[0].proto.spec)["data"][1]
    assert trend["x"] == [d["segment"] for d in days if d["gpu_hours_saved_per_day"] is not None]
    assert trend["y"] == pytest.approx([d["gpu_hours_saved_per_day"] for d in days
                                        if d["gpu_hours_saved_per_day"] is not None])
    # The recommendation names the router and what it rests on.
    (message,) = [box.value for box in [*app.success, *app.warning] if "ecommended threshold" in box.value]
    assert "length" in message and "95" in message
    # ... and its guarantee with its sample-size cost (migration 014's columns)
    (metrics,) = sql(pipeline_snapshot, "SELECT * FROM router_metrics WHERE dataset = 'pipeline' "
                     "AND segment_by = 'all' AND router = 'length'")
    assert "fails in at most 5% of samples" in message
    assert f"certifying takes about {metrics['certify_min_routed']:.0f} scored requests routed small" in message


def test_cost_edits_reach_every_dollar_figure(app, pipeline_snapshot):
    choose(app, "length", 0.3)
    prices = sql(pipeline_snapshot, "SELECT gpu_type, dollars_per_hour, measured FROM gpu_prices")
    measured = [p["gpu_type"] for p in prices if p["measured"]]
    assert app.sidebar.selectbox(key="gpu").value == measured[0]
    app.sidebar.selectbox(key="gpu").set_value("H100")
    rerun(app)
    list_price = {p["gpu_type"]: p["dollars_per_hour"] for p in prices}["H100"]
    assert app.sidebar.number_input(key="price_H100").value == pytest.approx(list_price)
    app.sidebar.number_input(key="price_H100").set_value(10.0)
    app.sidebar.slider(key="utilisation").set_value(0.5)
    rerun(app)
    per_hour = 10.0 / 0.5
    (row,) = nearest(pipeline_snapshot, "length", 0.3)
    assert_metric(app, "Dollars saved / year", row["gpu_hours_saved_per_year"] * per_hour,
                  row["gpu_hours_saved_per_year_lo"] * per_hour, row["gpu_hours_saved_per_year_hi"] * per_hour)
    # GPU-hours do not move with the price.
    assert_metric(app, "GPU-hours saved / day", row["gpu_hours_saved_per_day"], row["gpu_hours_saved_lo"],
                  row["gpu_hours_saved_hi"])

    rerun(app, "app_pages/costs.py")
    assert_metric(app, "Dollars saved / month", row["gpu_hours_saved_per_30_days"] * per_hour,
                  row["gpu_hours_saved_per_30_days_lo"] * per_hour, row["gpu_hours_saved_per_30_days_hi"] * per_hour)

    rerun(app, "app_pages/segments.py")
    shown_table = table(app, "Segment")
    for segment in nearest(pipeline_snapshot, "length", 0.3, "surface"):
        (shown_row,) = shown_table[shown_table["Segment"] == segment["segment"]].to_dict("records")
        expected = [None if segment[c] is None else segment[c] * per_hour for c in
                    ("gpu_hours_saved_per_year", "gpu_hours_saved_per_year_lo", "gpu_hours_saved_per_year_hi")]
        assert_figure(shown_row["Dollars saved / year"], *expected)

    rerun(app, "app_pages/threshold_explorer.py")
    projection = table(app, "n_routed_small")
    rows = sql(pipeline_snapshot, "SELECT threshold, gpu_hours_saved_per_year FROM routing_projection "
               "WHERE dataset = 'pipeline' AND router = 'length' AND segment_by = 'all' ORDER BY threshold")
    assert projection["dollars_saved_per_year"].tolist() == pytest.approx(
        [r["gpu_hours_saved_per_year"] * per_hour for r in rows])


def test_threshold_explorer_plots_every_router_and_tables_their_metrics(app, pipeline_snapshot):
    choose(app, "length", 0.3)
    rerun(app, "app_pages/threshold_explorer.py")
    routers = [r["router"] for r in sql(pipeline_snapshot, "SELECT DISTINCT router FROM routing_projection "
                                        "WHERE dataset = 'pipeline' ORDER BY router")]
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    names = [trace["name"] for trace in spec["data"]]
    drawn = [name for name in names if name in routers]
    assert drawn  # every router with an agreement somewhere has its line
    assert "Pareto frontier" in names
    (chosen,) = nearest(pipeline_snapshot, "length", 0.3)
    if chosen["agreement_small"] is not None:
        assert names[-1] == f"length at {chosen['threshold']:.2f}"

    metrics = sql(pipeline_snapshot, "SELECT * FROM router_metrics WHERE dataset = 'pipeline' "
                  "AND segment_by = 'all' ORDER BY router")
    shown_table = table(app, "APGR")
    assert shown_table["Router"].tolist() == [m["router"] for m in metrics]
    for shown_row, row in zip(shown_table.to_dict("records"), metrics, strict=True):
        for name, label in (("auc", "AUC"), ("apgr", "APGR"), ("cpt50", "CPT(50%)"), ("cpt80", "CPT(80%)"),
                            ("cpt50_routellm", "RouteLLM CPT(50%)"), ("cpt95_routellm", "RouteLLM CPT(95%)")):
            assert_figure(shown_row[label], row[name], row[f"{name}_lo"], row[f"{name}_hi"])
        assert shown_row["Certified to keep"] == f"{row['gate_measure']} >= {row['agreement_target']:.1%} (risk 5%)"

    projection = table(app, "n_routed_small")
    rows = sql(pipeline_snapshot, "SELECT * FROM routing_projection WHERE dataset = 'pipeline' AND router = 'length' "
               "AND segment_by = 'all' ORDER BY threshold")
    assert projection["threshold"].tolist() == pytest.approx([r["threshold"] for r in rows])
    assert projection["share_small"].tolist() == pytest.approx([r["share_small"] for r in rows])
    # The CSV download offers the table as shown (its content is checked in the browser test).
    (download,) = app.get("download_button")
    assert download.proto.url.endswith(".csv")


def test_segments_show_each_surface_at_the_threshold(app, pipeline_snapshot):
    choose(app, "length", 0.3)
    rerun(app, "app_pages/segments.py")
    shown_table = table(app, "Segment")
    segments = nearest(pipeline_snapshot, "length", 0.3, "surface")
    assert shown_table["Segment"].tolist() == [s["segment"] for s in segments]
    for shown_row, row in zip(shown_table.to_dict("records"), segments, strict=True):
        assert shown_row["Sampled requests"] == row["n_sample"]
        assert_figure(shown_row["Routed small"], row["share_small"], row["share_small_lo"], row["share_small_hi"])
        assert_figure(shown_row["Agreement"], row["agreement_small"], row["agreement_small_lo"],
                      row["agreement_small_hi"])
        assert_figure(shown_row["GPU-hours saved / day"], row["gpu_hours_saved_per_day"], row["gpu_hours_saved_lo"],
                      row["gpu_hours_saved_hi"])


def test_examples_show_both_answers_and_follow_the_filters(app, pipeline_snapshot):
    rerun(app, "app_pages/examples.py")
    app.selectbox(key="agree").set_value("Disagree")
    app.selectbox(key="surface").set_value("search")
    rerun(app)
    expected = sql(pipeline_snapshot, """
        SELECT a.request_id, s.output AS small, g.output AS large
        FROM agreement a JOIN chat_logs l USING (day, request_id)
        JOIN replays s ON s.request_id = a.request_id AND s.model_key = a.small_key
        JOIN replays g ON g.request_id = a.request_id AND g.model_key = a.large_key
        WHERE NOT a.agree AND l.surface = 'search'
        ORDER BY a.token_f1, a.day, a.request_id""")
    assert expected, "the demo slice has disagreements on search"
    # Logged ids and segments are shown as text (tests/dashboards/app_pages/test_examples.py).
    ids = [t.value for t in app.text if t.value.startswith("req-")]
    assert [i.split(" · ")[0] for i in ids] == [e["request_id"] for e in expected][:20]
    assert all(" · search / " in i for i in ids)
    assert sum("**disagree**" in c.value for c in app.caption) == len(ids)
    answers = [t.value for t in app.text if not t.value.startswith("req-")]
    assert answers[:2] == [expected[0]["small"] or "(no answer)", expected[0]["large"] or "(no answer)"]
    # Each pair with the sidebar's router's score and where it sends it at the sidebar's threshold.
    router, threshold = app.sidebar.selectbox(key="router").value, app.sidebar.slider(key="threshold").value
    scores = {r["request_id"]: r["score"] for r in sql(pipeline_snapshot, "SELECT request_id, score FROM router_scores "
                                                         "WHERE router = ?", [router])}
    routes = [c.value.split(" · ")[-1] for c in app.caption if "**disagree**" in c.value]
    first = scores[expected[0]["request_id"]]
    assert routes[0] == (f"{router} score {first:.2f}: routed {'small' if first >= threshold else 'large'} "
                         f"at {threshold:.2f}")


def test_the_real_pair_priced_per_request_shows_dollars_a_day_not_a_dash_of_gpu_hours(app, pipeline_snapshot):
    app.sidebar.selectbox(key="dataset").set_value("mt_bench_mixtral_gpt4")
    rerun(app)
    router, threshold = app.sidebar.selectbox(key="router").value, app.sidebar.slider(key="threshold").value
    rows = sql(pipeline_snapshot, "SELECT * FROM routing_projection WHERE dataset = 'mt_bench_mixtral_gpt4' AND "
               "router = ? AND segment_by = 'all' ORDER BY abs(threshold - ?), threshold LIMIT 1", [router, threshold])
    (row,) = rows
    assert row["gpu_hours_saved_per_day"] is None
    assert not [m for m in app.metric if m.label.startswith("GPU-hours")]
    assert_metric(app, "Dollars saved / day", row["dollars_saved_per_day"], row["dollars_saved_per_day_lo"],
                  row["dollars_saved_per_day_hi"])


def test_your_per_token_prices_reprice_the_real_pair_s_savings(app, pipeline_snapshot):
    app.sidebar.selectbox(key="dataset").set_value("mt_bench_mixtral_gpt4")
    rerun(app)
    router, threshold = app.sidebar.selectbox(key="router").value, app.sidebar.slider(key="threshold").value
    (row,) = sql(pipeline_snapshot, "SELECT * FROM routing_projection WHERE dataset = 'mt_bench_mixtral_gpt4' AND "
                 "router = ? AND segment_by = 'all' ORDER BY abs(threshold - ?), threshold LIMIT 1", [router, threshold])
    # The inputs start at the prices the pair's dollars were made at (warehouse/sample_replays/NOTICE).
    inputs = [app.sidebar.number_input(key=f"token_price_{k}_mt_bench_mixtral_gpt4") for k in range(4)]
    assert [i.value for i in inputs] == pytest.approx([0.54, 0.54, 10.0, 30.0])
    assert_metric(app, "Dollars saved / day", row["dollars_saved_per_day"], row["dollars_saved_per_day_lo"],
                  row["dollars_saved_per_day_hi"])
    inputs[3].set_value(15.0)  # the large model's answers at half the price
    rerun(app)
    # The point is the row's token sums at the new prices (each token kind x its price per token).
    prices = [1.0, 0.54e-6, 0.54e-6, 10e-6, 15e-6]
    expected = sum(s * p for s, p in zip(row["token_savings_per_day"], prices, strict=True))
    assert expected < row["dollars_saved_per_day"] - 0.1
    tile = metric(app, "Dollars saved / day")
    value, half = read_back(tile.value)
    assert abs(value - expected) <= half + 1e-12, (tile.value, expected)
    lo, hi = (read_back(x)[0] for x in (tile.delta or "").strip("[]").split(" – "))
    assert lo < expected < hi and hi < row["dollars_saved_per_day_hi"]


def test_examples_of_the_imported_pair_show_its_answers_quality_and_route(app, pipeline_snapshot):
    app.sidebar.selectbox(key="dataset").set_value("mt_bench_mixtral_gpt4")
    rerun(app)
    app.sidebar.selectbox(key="router").set_value("length")
    rerun(app, "app_pages/examples.py")
    app.selectbox(key="imported_label").set_value("Worse")
    rerun(app)
    threshold = app.sidebar.slider(key="threshold").value
    expected = sql(pipeline_snapshot, """
        SELECT p.request_id, p.small_output, p.large_output, p.quality_small, p.quality_large, s.score
        FROM imported_pairs p JOIN imported_router_scores s USING (dataset, request_id)
        WHERE p.dataset = 'mt_bench_mixtral_gpt4' AND s.router = 'length' AND NOT p.label
        ORDER BY p.quality_large - p.quality_small DESC, p.request_id LIMIT 20""")
    assert len(expected) == 20, "the real pair has more than 20 pairs where the small answer is worse"
    ids = [t.value.split(" · ")[0] for t in app.text if t.value.startswith("mt-bench-")]
    assert ids[:20] == [e["request_id"] for e in expected]
    captions = [c.value for c in app.caption if c.value.startswith("**small worse**")]
    top = expected[0]
    assert captions[0] == (f"**small worse** · quality small {top['quality_small']:.2f}, large {top['quality_large']:.2f}"
                           f" · length score {top['score']:.2f}: routed {'small' if top['score'] >= threshold else 'large'}"
                           f" at {threshold:.2f}")
    assert top["small_output"] in [t.value for t in app.text]


def test_your_traffic_scales_every_saving_and_its_interval_not_the_shares(app, pipeline_snapshot):
    choose(app, "length", 0.3)
    (row,) = nearest(pipeline_snapshot, "length", 0.3)
    projected = row["requests_per_day"]
    traffic = app.sidebar.number_input(key="requests_per_day_pipeline")
    assert traffic.value == pytest.approx(round(projected))
    traffic.set_value(round(projected) * 40)
    rerun(app)
    scale = round(projected) * 40 / projected
    assert_metric(app, "GPU-hours saved / day", row["gpu_hours_saved_per_day"] * scale,
                  row["gpu_hours_saved_lo"] * scale, row["gpu_hours_saved_hi"] * scale)
    assert_metric(app, "Dollars saved / year", row["dollars_saved_per_year"] * scale,
                  row["dollars_saved_per_year_lo"] * scale, row["dollars_saved_per_year_hi"] * scale)
    assert_metric(app, "Routed to small model", row["share_small"], row["share_small_lo"], row["share_small_hi"])


def test_costs_show_spend_over_time_and_the_replay_latency(app, pipeline_snapshot):
    choose(app, "length", 0.3)
    rerun(app, "app_pages/costs.py")
    days = nearest(pipeline_snapshot, "length", 0.3, "day")
    (spend,) = [chart for chart in app.get("plotly_chart") if "All on" in chart.proto.spec]
    figure = json.loads(spend.proto.spec)
    always, band, routed = figure["data"]
    assert always["x"] == [d["segment"] for d in days] == routed["x"]
    per_hour = {(d["dollars_per_gpu_hour"] or 0) / d["utilisation"] for d in days}
    assert len(per_hour) == 1 and per_hour != {0}
    (rate,) = per_hour
    assert always["y"] == pytest.approx([d["gpu_hours_always_large_per_day"] * rate for d in days])
    assert routed["y"] == pytest.approx([d["gpu_hours_always_large_per_day"] * rate - d["dollars_saved_per_day"]
                                         for d in days])
    first, last = app.date_input(key="spend_days").value
    assert (first.isoformat(), last.isoformat()) == (days[0]["segment"], days[-1]["segment"])
    app.date_input(key="spend_days").set_value((first, first))
    rerun(app)
    (spend,) = [chart for chart in app.get("plotly_chart") if "All on" in chart.proto.spec]
    assert json.loads(spend.proto.spec)["data"][0]["x"] == [days[0]["segment"]]

    latency = table(app, "p95 seconds")
    expected = sql(pipeline_snapshot, "SELECT r.role, quantile_cont(b.seconds, 0.95) AS p95, count(*) AS n "
                   "FROM replays r JOIN replay_batches b USING (batch_id, model_key) WHERE r.error IS NULL "
                   "GROUP BY r.role ORDER BY r.role DESC")
    assert latency["Role"].tolist() == [e["role"] for e in expected]
    assert latency["Requests"].tolist() == [e["n"] for e in expected]
    assert latency["p95 seconds"].tolist() == pytest.approx([round(e["p95"], 2) for e in expected])


def test_costs_show_the_fitted_cost_models(app, pipeline_snapshot):
    rerun(app, "app_pages/costs.py")
    fits = sql(pipeline_snapshot, "SELECT * FROM cost_models ORDER BY role DESC, device, source")
    shown_table = table(app, "ms per 1k output tokens")
    assert shown_table["Device"].tolist() == [f["device"] for f in fits]
    # Shown to three decimals.
    assert shown_table["ms per 1k output tokens"].tolist() == pytest.approx(
        [f["seconds_per_output_token"] * 1e6 for f in fits], abs=5e-4)
    # The backtest is stored for every replay-fitted model and shown beside it: with the demo
    # slice's few batches a model is not backtested, and the page gives the reason, not a number.
    for fit in fits:
        assert fit["backtest_method"] == "5-fold by batch_id"
        assert (fit["backtest_total_error"] is None) == (fit["n_batches"] < 10) == (fit["backtest_note"] is not None)
        assert fit["min_batch_size"] <= fit["mean_batch_size"] <= fit["max_batch_size"]
        assert fit["seconds_per_output_token"] == pytest.approx(
            fit["seconds_per_output_slot"] + fit["seconds_per_decode_step"] / fit["mean_batch_size"])
    assert shown_table["Backtest total error"].tolist() == [
        "none" if f["backtest_total_error"] is None else f"{f['backtest_total_error']:+.1%}" for f in fits]
    assert shown_table["Backtest note"].tolist() == [f["backtest_note"] for f in fits]
    # The figures say which batch size they charge each model at: no serving batch size is
    # configured, so the replay's mean.
    (row,) = nearest(pipeline_snapshot, app.sidebar.selectbox(key="router").value,
                     app.sidebar.slider(key="threshold").value)
    assert row["cost_basis"].startswith("small: replay mean batch ")
    assert "; large: replay mean batch " in row["cost_basis"]
    assert f"**Cost basis**: {row['cost_basis']}." in [m.value.split(" Production")[0] for m in app.markdown]


PAGE_FILES = ["app_pages/overview.py", "app_pages/threshold_explorer.py", "app_pages/segments.py",
              "app_pages/examples.py", "app_pages/costs.py", "app_pages/data_health.py"]


@pytest.mark.parametrize("dataset", ["pipeline", "mt_bench_mixtral_gpt4"])
def test_no_page_hides_a_column_of_its_tables(app, pipeline_snapshot, dataset):
    app.sidebar.selectbox(key="dataset").set_value(dataset)
    rerun(app)
    for page in PAGE_FILES:
        rerun(app, page)
        for frame in app.dataframe:
            config = json.loads(frame.proto.columns or "{}")
            # "_index" is the row index (hide_index=True), not a column of the data.
            hidden = [name for name, column in config.items() if column.get("hidden") and name != "_index"]
            assert not hidden, f"{page} on {dataset} hides {hidden}"


def test_a_shared_link_reopens_the_same_view(monkeypatch, pipeline_snapshot):
    monkeypatch.setenv("PLANB_DATA_DIR", str(pipeline_snapshot))
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params.update({"dataset": "pipeline", "router": "random", "threshold": "0.42", "gpu": "H200",
                             "utilisation": "0.8"})
    rerun(app)
    assert app.sidebar.selectbox(key="router").value == "random"
    assert app.sidebar.slider(key="threshold").value == pytest.approx(0.42)
    assert app.sidebar.selectbox(key="gpu").value == "H200"
    assert app.sidebar.slider(key="utilisation").value == pytest.approx(0.8)
    (row,) = nearest(pipeline_snapshot, "random", 0.42)
    price = sql(pipeline_snapshot, "SELECT dollars_per_hour FROM gpu_prices WHERE gpu_type = 'H200'")[0]
    per_hour = price["dollars_per_hour"] / 0.8
    assert_metric(app, "Dollars saved / year", row["gpu_hours_saved_per_year"] * per_hour,
                  row["gpu_hours_saved_per_year_lo"] * per_hour, row["gpu_hours_saved_per_year_hi"] * per_hour)


