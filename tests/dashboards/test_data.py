"""dashboards.data on a real published snapshot: one function per dashboard query, named as it,
cached per snapshot version only, and dollars repriced under the view's cost assumptions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import streamlit as st

from dashboards import data
from dashboards.view import CostAssumptions, View
from warehouse import dashboard_queries as queries

PAGES = Path(data.__file__).parent / "app_pages"


@pytest.fixture(autouse=True)
def empty_cache():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _names(module, *, besides: set[str]) -> set[str]:
    return {name for name, member in vars(module).items()
            if not name.startswith("_") and callable(member) and getattr(member, "__module__", None) == module.__name__
            } - besides


def test_one_function_per_query_named_as_it():
    reads = _names(data, besides={"data_dir", "snapshot_version"})
    # judge_cost is the CLI summary's (planb demo); the dashboard shows no judge cost.
    assert reads == _names(queries, besides={"snapshot_version", "judge_cost"})


def test_pages_read_through_data_only():
    """No page queries the warehouse or reprices dollars itself."""
    for page in PAGES.glob("*.py"):
        tree = ast.parse(page.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not {name for name in imported if name.startswith(("warehouse", "dashboards.repricing"))}, page.name


def test_dollars_follow_the_view_costs(snapshot_dir, sql_row):
    row = sql_row(snapshot_dir, "length", 0.3)
    version = data.snapshot_version(snapshot_dir)
    as_projected = View(snapshot_dir, version)
    assert data.projection_at(as_projected, "length", 0.3).row(0, named=True) == row

    costs = CostAssumptions("H200", 4.0, 0.5, editable=True)
    priced = View(snapshot_dir, version, "length", 0.3, costs)
    for frame in (data.projection_at(priced, "length", 0.3), data.projection(priced, "length").filter(
            threshold=0.3), data.projection_curves(priced).filter(router="length", threshold=0.3)):
        shown = frame.row(0, named=True)
        assert shown["dollars_saved_per_year"] == pytest.approx(row["gpu_hours_saved_per_year"] * 4.0 / 0.5)
        assert shown["dollars_saved_per_day_lo"] == pytest.approx(row["gpu_hours_saved_lo"] * 4.0 / 0.5)
        assert (shown["dollars_per_gpu_hour"], shown["utilisation"]) == (4.0, 0.5)
        assert shown["gpu_hours_saved_per_day"] == row["gpu_hours_saved_per_day"]
    # Read through the cache: the priced call did not change what a view without costs gets.
    assert data.projection_at(as_projected, "length", 0.3).row(0, named=True) == row


def test_the_cache_is_keyed_by_snapshot_not_by_router_threshold_or_costs(snapshot_dir, monkeypatch, republish,
                                                                         projection_rows):
    real, calls = queries.projection_curves, []

    def counted(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(queries, "projection_curves", counted)
    version = data.snapshot_version(snapshot_dir)
    for router, threshold, price in [("length", 0.1, 2.0), ("small_confidence", 0.9, 3.0)]:
        data.projection_curves(View(snapshot_dir, version, router, threshold,
                                    CostAssumptions("H100", price, 0.5, editable=True)))
    assert len(calls) == 1

    republish(snapshot_dir, projection_rows(scale=2.0))
    data.projection_curves(View(snapshot_dir, data.snapshot_version(snapshot_dir)))
    assert len(calls) == 2  # a new publish: read afresh
