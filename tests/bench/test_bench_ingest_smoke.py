"""bench/ingest.py end to end on a small log: both sides run, count the generated anomalies
exactly, and the result file holds the figures the report quotes."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_ingest_small_run(tmp_path):
    out = tmp_path / "ingest.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "ingest.py"), "--records", "5000",
                    "--baseline-records", "1000", "--workdir", str(tmp_path), "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(out.read_text())
    ours, base = result["ours"], result["baseline"]
    # 5,000 records: line 8 is cut short, every 1,000th repeats an earlier id, and the generator's
    # share of e-mails (1%), phones (1%), IPs (0.5%) and cards (0.1%)
    assert ours["records"] == 5000
    assert ours["rejected"] == {"invalid_json": 1}
    assert ours["duplicates"] == {"request_id": 5}
    assert ours["accepted"] == 4994
    assert ours["redacted"] == {"email": 50, "phone": 50, "ip": 25, "card": 5}
    assert base["records"] == 1000 and base["rejected"] == 1 and base["duplicates"] == 1
    assert base["redacted"] == {"email": 10, "phone": 10, "ip": 5, "card": 1}
    assert result["speedup"] == ours["rows_per_s"] / base["rows_per_s"]
    assert ours["peak_rss_mib"] > 0 and ours["cpu_seconds"] > 0
    # the floor stores every parseable record as it is: duplicates and PII included
    assert result["floor"]["records"] == 4999
    assert result["share_of_floor"] == ours["rows_per_s"] / result["floor"]["rows_per_s"]


def test_bench_ingest_costs_small_run(tmp_path):
    out = tmp_path / "costs.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "ingest_costs.py"), "--records", "20000",
                          "--goal", "500000", "--cores", "2", "--out", str(out)],
                         check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(out.read_text())
    steps = result["steps_cpu_s_per_million"]
    assert result["budget_cpu_s_per_million"] == 4.0  # 2 cores x 1e6 rows / 500,000 rows/s
    assert result["left_by_floor"] == 4.0 - result["floor_cpu_s_per_million"]
    assert len(steps) == 9 and all(cpu >= 0 for cpu in steps.values())
    assert result["steps_total"] == sum(steps.values())
    assert "the required steps alone" in run.stdout
