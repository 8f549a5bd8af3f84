"""bench/cli_startup.py end to end, one round of this checkout only: every command runs and the
last line is the JSON result with the figures PERFORMANCE.md quotes (no timing asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_cli_startup_one_round(tmp_path):
    out = tmp_path / "cli.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "cli_startup.py"), "--repeats", "1", "--no-before",
                          "--out", str(out)], check=True, capture_output=True, text=True, timeout=300)
    result = json.loads(run.stdout.splitlines()[-1])
    assert result == json.loads(out.read_text())
    assert set(result["best"]) == {"ours"}
    ours = result["best"]["ours"]
    assert set(ours) == {"baseline: python -c 'import duckdb'", "planb --help", 'planb sql "select 1"'}
    assert all(f["wall_s"] > 0 and f["cpu_s"] > 0 for f in ours.values())
    sql, base = ours['planb sql "select 1"'], ours["baseline: python -c 'import duckdb'"]
    assert result["sql_over_baseline"] == {"wall": sql["wall_s"] / base["wall_s"], "cpu": sql["cpu_s"] / base["cpu_s"]}
    assert result["repeats"] == 1 and result["machine"]["cores"] > 0
