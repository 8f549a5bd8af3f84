"""The Costs page on a real published snapshot (hand-made rows, no models): each cost model's
backtest is shown beside it (the figure, or why there is none) and the page says at which batch
size the figures charge each model (routing_projection.cost_basis). The same on the real
pipeline's snapshot: tests/dashboards/test_pages.py::test_costs_show_the_fitted_cost_models."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from warehouse.db import insert_rows, publish_snapshot, replace_rows, writer

APP = str(Path(__file__).resolve().parents[3] / "dashboards" / "app.py")
BASIS = "small: serving batch 32 (measured 1-32); large: replay mean batch 6.5 (no serving batch size set)"
NOTE = "4 batches: a backtest needs at least 10 (5 folds, each fitted on the others)"


def _fit(role: str, device: str, source: str, error: float | None, *, batches: int) -> dict:
    return {"model_key": f"key-{role}", "role": role, "device": device, "source": source,
            "seconds_per_request": 0.01, "seconds_per_prompt_token": 1e-4, "seconds_per_output_token": 0.02,
            "r2": 0.98, "n_batches": batches, "fitted_at": datetime(2026, 11, 15), "min_batch_size": 1,
            "max_batch_size": 32, "mean_batch_size": 8.0, "seconds_per_output_slot": 0.01,
            "seconds_per_decode_step": 0.08, "backtest_method": "5-fold by batch_id", "backtest_total_error": error,
            "backtest_median_abs_error": None if error is None else 0.0042,
            "backtest_median_rel_error": None if error is None else 0.061,
            "backtest_batches": 0 if error is None else batches, "backtest_note": None if error is None else NOTE}


@pytest.fixture
def costs_app(monkeypatch, tmp_path, projection_rows) -> AppTest:
    rows = [{**row, "cost_basis": BASIS} for row in projection_rows()]
    fits = pl.DataFrame([_fit("small", "cuda:NVIDIA H100 80GB HBM3", "calibrate-gpu", 0.123, batches=12),
                         _fit("large", "cpu", "replay", None, batches=4)],
                        schema_overrides={"backtest_total_error": pl.Float64, "backtest_median_abs_error": pl.Float64,
                                          "backtest_median_rel_error": pl.Float64, "backtest_note": pl.String})
    fits = fits.with_columns(backtest_note=pl.when(pl.col("backtest_total_error").is_null()).then(pl.lit(NOTE)))
    with writer(tmp_path) as con:
        replace_rows(con, "routing_projection", pl.DataFrame(rows, schema_overrides={"n_sample": pl.Int32}), "true", [])
        insert_rows(con, "cost_models", fits)
    publish_snapshot(tmp_path)
    monkeypatch.setenv("PLANB_DATA_DIR", str(tmp_path))
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/costs.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_each_cost_model_shows_its_backtest_or_why_there_is_none(costs_app):
    (table,) = [f.value for f in costs_app.dataframe if "Backtest total error" in f.value.columns]
    by_role = {row["Role"]: row for row in table.to_dict("records")}
    assert by_role["small"]["Backtest total error"] == "+12.3%"
    assert by_role["small"]["Backtest median abs error (ms)"] == pytest.approx(4.2)
    assert by_role["small"]["Backtest median abs error (%)"] == pytest.approx(6.1)
    assert by_role["small"]["Batch sizes"] == "1-32"
    assert by_role["large"]["Backtest total error"] == "none" and by_role["large"]["Backtest note"] == NOTE


def test_the_page_says_which_batch_size_the_figures_charge(costs_app):
    texts = [m.value for m in costs_app.markdown]
    assert any(t.startswith(f"**Cost basis**: {BASIS}. Production serves a model at its own batch size") for t in texts)
