"""Many small files: N one-line JSONL files (10,000 by default) ingested in one call, against one
file holding the same N lines, in the same run; the goal is within 5x of the one file.

    .venv/bin/python bench/ingest_files.py                # 10,000 files
    .venv/bin/python bench/ingest_files.py --files 2000

Each side runs in a fresh warehouse; CPU-seconds are reported with wall time (on a shared machine
the wall clock mostly measures the other jobs). Results: printed, and written to
bench/results/ingest_files_cpu.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warehouse.db import writer  # noqa: E402
from warehouse.ingestion import IngestSettings, ingest_paths  # noqa: E402


def _record(i: int) -> str:
    return json.dumps({"request_id": f"req-{i:07d}", "timestamp": f"2026-11-01T{i % 24:02d}:00:00Z",
                       "session_id": f"s-{i // 7}", "user_id": f"u-{i % 500}", "surface": "chat", "mode": "balanced",
                       "language": "en", "query": f"which president created agency number {i}",
                       "response": "Richard Nixon.", "model": "gpt-4o", "prompt_tokens": 60, "completion_tokens": 5,
                       "latency_ms": 250})


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ingest(data: Path, path: Path) -> dict:
    lines: list[str] = []
    cpu, wall = _cpu(), time.perf_counter()
    with writer(data) as con:
        reports = ingest_paths(con, [str(path)], IngestSettings(salt="bench"), progress=lines.append)
        stored = con.execute("SELECT count(*) FROM chat_logs").fetchone()[0]
    return {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(_cpu() - cpu, 2), "files": len(reports),
            "rows": stored, "progress_lines": len(lines), "last_progress": lines[-1] if lines else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest_files_cpu.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="planb-bench-files-") as tmp:
        root = Path(tmp)
        many, one = root / "many", root / "one" / "all.jsonl"
        many.mkdir()
        one.parent.mkdir()
        records = [_record(i) for i in range(args.files)]
        for i, record in enumerate(records):
            (many / f"part-{i:06d}.jsonl").write_text(record + "\n")
        one.write_text("\n".join(records) + "\n")
        warm = root / "warm" / "w.jsonl"  # imports, DuckDB's extensions and regex compiles paid before timing
        warm.parent.mkdir()
        warm.write_text(_record(0) + "\n")
        _ingest(root / "data_warm", warm)
        load = os.getloadavg()[0]
        baseline = _ingest(root / "data_one", one)
        ours = _ingest(root / "data_many", many)
        load_after = os.getloadavg()[0]
    assert baseline["rows"] == ours["rows"] == args.files, (baseline, ours)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_before": round(load, 2), "load_after": round(load_after, 2),
        "files": args.files, "one_file": baseline, "many_files": ours,
        "ratio_wall": round(ours["wall_s"] / baseline["wall_s"], 2),
        "ratio_cpu": round(ours["cpu_s"] / max(baseline["cpu_s"], 0.01), 2),
        "per_file_ms": round(1000 * ours["wall_s"] / args.files, 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{args.files:,} one-line files: {ours['wall_s']:.1f} s wall, {ours['cpu_s']:.1f} CPU-s "
          f"({result['per_file_ms']:.2f} ms a file, {ours['progress_lines']} progress lines)")
    print(f"one file of the same {args.files:,} lines: {baseline['wall_s']:.1f} s wall, {baseline['cpu_s']:.1f} CPU-s")
    print(f"ratio many/one: {result['ratio_wall']:.1f}x wall, {result['ratio_cpu']:.1f}x CPU (goal: within 5x); "
          f"load {load:.1f} -> {load_after:.1f}")


if __name__ == "__main__":
    main()
