"""bench/import.py end to end on a small table with the default routers (ours only: the baseline's
MiniLM takes minutes on a loaded machine), and the result file holds the figures the report quotes."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_import_small_run(tmp_path):
    out = tmp_path / "import.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "import.py"), "--rows", "400", "--baseline-rows",
                    "--no-demo", "--out", str(out)], check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(out.read_text())
    assert list(result["runs"]) == ["ours_400"]
    for run in result["runs"].values():
        assert run["finished"] and run["rc"] == 0
        assert run["peak_bytes"] > 0 and run["cpu_s"] > 0 and run["wall_s"] > 0
        quality = run["query_classifier"]  # the default configuration includes the query classifier
        assert 0 <= quality["auc"] <= 1 and 0 <= quality["apgr"] <= 1
    assert result["routers"] == "default" and result["goal_met"] is True
