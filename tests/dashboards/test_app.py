"""The whole Streamlit app on a real published snapshot, driven through AppTest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.app import PAGES
from dashboards.formatting import dollars, read_back

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")

# metric label -> (value column, lo column, hi column)
METRIC_COLUMNS = {
    "Routed to small model": ("share_small", "share_small_lo", "share_small_hi"),
    "Agreement among routed small": (
        "agreement_small",
        "agreement_small_lo",
        "agreement_small_hi",
    ),
    "Answers unchanged": ("unchanged_share", "unchanged_lo", "unchanged_hi"),
    "Quality kept among routed small": ("kept_small", None, None),  # tested: a p-value, no interval
    "GPU-hours saved / day": (
        "gpu_hours_saved_per_day",
        "gpu_hours_saved_lo",
        "gpu_hours_saved_hi",
    ),
    "Dollars saved / month": (
        "dollars_saved_per_30_days",
        "dollars_saved_per_30_days_lo",
        "dollars_saved_per_30_days_hi",
    ),
    "Dollars saved / year": (
        "dollars_saved_per_year",
        "dollars_saved_per_year_lo",
        "dollars_saved_per_year_hi",
    ),
}


def assert_shows(text: str, expected: float) -> None:
    value, half = read_back(text)
    assert abs(value - expected) <= half + 1e-9, f"shown {text!r}, SQL gives {expected!r}"


def assert_metrics_match(app: AppTest, row: dict) -> None:
    metrics = {metric.label: metric for metric in app.metric}
    assert set(metrics) == set(METRIC_COLUMNS)
    for label, (column, lo, hi) in METRIC_COLUMNS.items():
        metric = metrics[label]
        if row[column] is None:
            assert metric.value == "—", label
            assert not metric.delta, label
            continue
        assert_shows(metric.value, row[column])
        if lo is None:
            continue
        shown_lo, shown_hi = metric.delta.strip("[]").split(" – ")
        assert_shows(shown_lo, row[lo])
        assert_shows(shown_hi, row[hi])


def chart_marker(app: AppTest) -> dict:
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    return spec["data"][-1]


def run_app(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> AppTest:
    monkeypatch.setenv("PLANB_DATA_DIR", str(data_dir))
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_metrics_follow_router_and_threshold(monkeypatch, snapshot_dir, sql_row):
    app = run_app(monkeypatch, snapshot_dir)
    assert app.sidebar.selectbox(key="router").options == ["length", "small_confidence"]
    assert app.sidebar.slider(key="threshold").value == 0.5
    assert_metrics_match(app, sql_row(snapshot_dir, "length", 0.5))

    # 0.73 lies between projected thresholds: the nearest one, 0.7, is shown.
    app.sidebar.slider(key="threshold").set_value(0.73).run()
    assert not app.exception
    row = sql_row(snapshot_dir, "length", 0.7)
    assert_metrics_match(app, row)
    assert "threshold 0.70" in app.caption[0].value
    marker = chart_marker(app)
    assert marker["name"] == "Threshold 0.70"
    assert marker["x"] == [pytest.approx(row["gpu_hours_saved_per_day"])]
    assert marker["y"] == [pytest.approx(row["agreement_small"])]

    app.sidebar.selectbox(key="router").set_value("small_confidence").run()
    assert not app.exception
    assert_metrics_match(app, sql_row(snapshot_dir, "small_confidence", 0.7))


def test_nothing_routed_small_shows_no_agreement_and_a_loss(monkeypatch, snapshot_dir, sql_row):
    app = run_app(monkeypatch, snapshot_dir)
    app.sidebar.selectbox(key="router").set_value("small_confidence")
    app.sidebar.slider(key="threshold").set_value(0.97).run()
    assert not app.exception
    row = sql_row(snapshot_dir, "small_confidence", 1.0)
    assert row["agreement_small"] is None and row["dollars_saved_per_day"] < 0
    assert_metrics_match(app, row)
    metrics = {metric.label: metric for metric in app.metric}
    assert metrics["Dollars saved / month"].value.startswith("-$")


def test_a_new_publish_is_picked_up_without_restart(
    monkeypatch, snapshot_dir, sql_row, republish, projection_rows
):
    app = run_app(monkeypatch, snapshot_dir)
    before = sql_row(snapshot_dir, "length", 0.5)
    assert_metrics_match(app, before)

    republish(snapshot_dir, projection_rows(scale=3.0))
    app.run()
    assert not app.exception
    after = sql_row(snapshot_dir, "length", 0.5)
    assert after["gpu_hours_saved_per_day"] == pytest.approx(3 * before["gpu_hours_saved_per_day"])
    assert_metrics_match(app, after)


def test_no_snapshot_says_run_make_demo(monkeypatch, tmp_path):
    app = run_app(monkeypatch, tmp_path / "empty")
    assert len(app.info) == 1
    assert "make demo" in app.info[0].value
    assert not app.metric


def test_snapshot_without_projection_says_so(monkeypatch, tmp_path, republish):
    republish(tmp_path, [])
    app = run_app(monkeypatch, tmp_path)
    assert len(app.info) == 1
    assert "no routing projection" in app.info[0].value
    assert not app.metric


def test_the_recommended_threshold_opens_the_slider_and_says_why(monkeypatch, snapshot_dir, sql_row):
    from datetime import datetime

    import duckdb as db

    from warehouse.db import publish_snapshot, warehouse_path

    con = db.connect(str(warehouse_path(snapshot_dir)))
    con.execute("UPDATE routing_projection SET recommended = (threshold = 0.7) WHERE router = 'length'")
    con.execute("INSERT INTO router_metrics (dataset, router, segment_by, segment, cascade, quality_measure, n_sample, "
                "recommended_threshold, agreement_target, computed_at) VALUES "
                "('pipeline', 'length', 'all', 'all', false, 'agreement', 400, 0.7, 0.8, ?), "
                "('pipeline', 'small_confidence', 'all', 'all', true, 'agreement', 400, NULL, 0.8, ?)",
                [datetime(2026, 11, 1), datetime(2026, 11, 1)])
    con.execute("INSERT INTO gpu_prices VALUES ('H100', 2.5, DATE '2026-05-22', 'a contract', true), "
                "('H200', 4.5, DATE '2026-03-17', 'a list', false)")
    con.close()
    publish_snapshot(snapshot_dir)

    app = run_app(monkeypatch, snapshot_dir)
    # The router with a recommendation is chosen first, at its recommended threshold.
    assert app.sidebar.selectbox(key="router").value == "length"
    assert app.sidebar.slider(key="threshold").value == pytest.approx(0.7)
    row = sql_row(snapshot_dir, "length", 0.7)
    answer, message = app.success  # the page's one-sentence answer, then the recommendation's reason
    assert answer.value.startswith(f"**Route {row['share_small']:.1%} of requests to the small model with length at 0.70")
    assert "agreement among requests routed small ≥ 80%" in answer.value
    assert "Recommended threshold for length: 0.70" in message.value
    assert f"agreement {row['agreement_small']:.1%}" in message.value

    app.sidebar.slider(key="threshold").set_value(0.2).run()
    assert_metrics_match(app, sql_row(snapshot_dir, "length", 0.2))
    assert [button.label for button in app.button] == ["Show length at 0.70 below", "Use the recommended threshold"]
    app.button[1].click().run()
    assert app.sidebar.slider(key="threshold").value == pytest.approx(0.7)
    assert_metrics_match(app, row)

    # The dollars in the message follow the sidebar's price like every other figure.
    app.sidebar.number_input(key="price_H100").set_value(5.0).run()
    doubled = row["gpu_hours_saved_per_year"] * 5.0 / row["utilisation"]
    for shown in app.success:  # the answer and the recommendation
        assert dollars(doubled) in shown.value
        assert dollars(row["dollars_saved_per_year"]) not in shown.value

    app.sidebar.selectbox(key="router").set_value("small_confidence").run()
    (warning,) = app.warning
    assert "No recommended threshold for small_confidence" in warning.value


def test_a_snapshot_from_an_older_plan_b_asks_to_publish_again(monkeypatch, snapshot_dir):
    import duckdb as db

    from warehouse.db import snapshot_path

    con = db.connect(str(snapshot_path(snapshot_dir)))
    con.execute("DELETE FROM schema_migrations WHERE version >= 7")
    con.execute("DROP TABLE gpu_prices")
    con.close()
    app = run_app(monkeypatch, snapshot_dir)
    for page, _, _ in PAGES:
        app.switch_page(page).run()
        assert not app.exception, (page, [e.value for e in app.exception])
        (warning,) = app.warning
        assert "older Plan B" in warning.value and "7" in warning.value


def test_no_pages_folder_beside_the_app():
    """On a server's first run Streamlit takes a ``pages/`` folder beside the entry file for its
    legacy multipage app: a first link to /segments would run that page file alone, with no
    sidebar and no view (the pages are in ``app_pages/``)."""
    assert not (Path(APP).parent / "pages").exists()
    assert all(module.startswith("app_pages/") and (Path(APP).parent / module).is_file() for module, _, _ in PAGES)
