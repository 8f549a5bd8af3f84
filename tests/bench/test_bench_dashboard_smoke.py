"""bench/dashboard.py end to end at a tiny size: a snapshot built by the bench's generator, a
few slider moves on both pages, cached and uncached; the result file holds the figures the report
quotes, and the Overview after the last move shows what SQL over the snapshot gives."""

import importlib.util
import json
import sys
from contextlib import closing
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_dashboard", ROOT / "bench" / "dashboard.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _shows(text: str, value: float) -> bool:
    """A percentage as shown equals ``value`` up to half a unit of its last digit."""
    body = text.rstrip("%")
    decimals = len(body.split(".")[1]) if "." in body else 0
    return abs(float(body) / 100 - value) <= 0.5 * 10.0**-decimals / 100 + 1e-9


def test_bench_dashboard_small_run(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANB_DATA_DIR", raising=False)
    out = tmp_path / "dashboard.json"
    report = _bench().main(["--rows", "20000", "--sample", "1500", "--thresholds", "101", "--bootstrap", "100",
                            "--moves", "3", "--rounds", "1", "--browser-steps", "0", "--cache", str(tmp_path / "cache"),
                            "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["goal_met"] == report["goal_met"]
    assert result["snapshot"]["table_rows"]["chat_logs"] == 20000
    assert result["values"] == [0.15, 0.42, 0.68]
    for page in ("overview", "threshold_explorer"):
        figures = result["pages"][page]
        assert len(figures["cached_ms"]) == len(figures["uncached_ms"]) == 3
        for kind in ("cached", "uncached"):
            assert figures[kind]["n"] == 3 and 0 < figures[kind]["median_ms"] <= figures[kind]["p90_ms"]
        assert figures["ratio_uncached_to_cached"] == figures["uncached"]["median_ms"] / figures["cached"]["median_ms"]
        assert len(figures["load_before"]) == 3 and "load average" in figures["uptime_after"]
    assert result["machine"]["cores"] >= 1 and result["machine"]["cpu"]

    # The last move set 0.68: the Overview's tiles are SQL's row nearest it, to the shown rounding.
    shown = result["shown"]
    assert shown["threshold"] == 0.68 and result["shown_matches_sql"]
    snapshot = Path(result["snapshot"]["data_dir"]) / "snapshot.duckdb"
    with closing(duckdb.connect(str(snapshot), read_only=True)) as con:
        share, agreement, unchanged = con.execute(
            "SELECT share_small, agreement_small, unchanged_share FROM routing_projection "
            "WHERE router = ? AND dataset = 'pipeline' AND segment_by = 'all' "
            "ORDER BY abs(threshold - 0.68), threshold LIMIT 1", [shown["router"]]).fetchone()
    metrics = shown["metrics"]
    assert _shows(metrics["Routed to small model"], share)
    assert _shows(metrics["Agreement among routed small"], agreement)
    assert _shows(metrics["Answers unchanged"], unchanged)


def test_the_bench_leaves_the_environment_as_it_was(tmp_path):
    import os

    before = os.environ.get("PLANB_DATA_DIR")
    _bench().main(["--rows", "2000", "--sample", "300", "--thresholds", "11", "--bootstrap", "100", "--moves", "1",
                   "--rounds", "1", "--browser-steps", "0", "--cache", str(tmp_path / "cache"),
                   "--out", str(tmp_path / "out.json")])
    assert os.environ.get("PLANB_DATA_DIR") == before
