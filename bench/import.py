"""`planb import-replays` at 1M rows: wall time and peak memory (issue 16's goal: < 4 GB),
against the import as it was before (BASELINE_COMMIT) measured in the same run.

The table is synthetic and shaped like a real router dataset: 1,000,000 requests over 7 days,
prompts of 3-20 words, short answers, correctness of both models, the four token counts and
the small model's mean log-probability. Routers: small_confidence, random, length and oracle,
1,000 bootstrap replicates (the default). The query classifier is left out on both sides: its
cost is the embedding of every prompt (bench/agreement measures the embedder).

Each import runs as `planb import-replays` in a child process of its own, so its peak resident
memory is its own (``ru_maxrss`` of the waited-for child). The baseline is BASELINE_COMMIT's
code (extracted with ``git archive``), which held every request x replicate in 12 bytes and
scored text agreement the import never used; it cannot take 1M rows, so it runs on two smaller
tables, and its wall time and peak are extrapolated linearly in rows to 1M (a line through the
two points: fixed cost + cost per row). Ours runs on the same two tables too, and on 1M.

    .venv/bin/python bench/import.py [--rows 1000000] [--baseline-rows 10000 20000] [--routers random ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import yaml

ROOT = Path(__file__).resolve().parent.parent
BASELINE_COMMIT = "fe499e2"  # import-replays before issue 16's hardening
ROUTERS = ["small_confidence", "random", "length", "oracle"]
GOAL_BYTES = 4 * 10**9
# Runs the command given after it and prints its wall seconds, CPU seconds (the figure to compare on
# a shared machine) and peak resident bytes (Linux: KiB).
MEASURE = ("import json, resource, subprocess, sys, time\n"
           "start = time.perf_counter()\n"
           "done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], capture_output=True, text=True)\n"
           "wall = time.perf_counter() - start\n"
           "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "print(json.dumps({'rc': done.returncode, 'wall_s': wall, 'tail': (done.stdout + done.stderr)[-600:],\n"
           "                  'cpu_s': used.ru_utime + used.ru_stime, 'peak_bytes': used.ru_maxrss * 1024}))\n")


def synthetic_table(rows: int, seed: int = 0) -> pl.DataFrame:
    """An import table of ``rows`` requests (see the module docstring).

    Example:
        >>> synthetic_table(3).columns[:4]
        ['request_id', 'prompt', 'small_output', 'large_output']
    """
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(500)])
    length = rng.integers(3, 21, rows)
    vocabulary = words[rng.integers(0, len(words), (rows, 20))]
    prompt = [" ".join(row[:k]) for row, k in zip(vocabulary.tolist(), length.tolist(), strict=True)]
    easiness = rng.normal(size=rows)
    small_ok = easiness + rng.normal(scale=0.8, size=rows) > -0.2
    large_ok = easiness + rng.normal(scale=0.8, size=rows) > -1.0
    answers = np.array([f"answer {i}" for i in range(50)])
    days = np.array([f"2026-11-0{d}" for d in range(1, 8)])
    return pl.DataFrame({
        "request_id": [f"r{i:07d}" for i in range(rows)], "prompt": prompt,
        "small_output": answers[rng.integers(0, 50, rows)], "large_output": answers[rng.integers(0, 50, rows)],
        "small_correct": small_ok, "large_correct": large_ok,
        "small_prompt_tokens": length * 2 + 10, "small_output_tokens": rng.integers(5, 400, rows),
        "large_prompt_tokens": length * 2 + 10, "large_output_tokens": rng.integers(5, 400, rows),
        "small_mean_logprob": -np.abs(rng.normal(0.5, 0.3, rows)) - 0.1 * small_ok, "day": days[rng.integers(0, 7, rows)],
    })


def measure(code_dir: Path, table: Path, work: Path, label: str, routers: list[str]) -> dict:
    """One `planb import-replays` of ``table`` with the code in ``code_dir``, in a fresh warehouse."""
    data = work / f"data-{label}"
    config = work / f"planb-{label}.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(data), "projection": {"routers": routers}}), encoding="utf-8")
    command = [sys.executable, "-m", "assets.cli.main", "--config", str(config), "import-replays", str(table), "--name", "bench"]
    env_note = os.getloadavg()
    done = subprocess.run([sys.executable, "-c", MEASURE, str(code_dir), *command], capture_output=True, text=True,
                          check=True)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{label}: import failed: {result['tail']}")
    result.update(load_before=env_note, load_after=os.getloadavg())
    print(f"  {label:<28} {result['wall_s']:8.1f} s  {result['cpu_s']:8.1f} CPU-s  peak {result['peak_bytes'] / 1e9:6.2f} GB  "
          f"(load {env_note[0]:.1f} -> {result['load_after'][0]:.1f})", flush=True)
    return result


def _line(rows: list[int], values: list[float], at: int) -> float:
    slope = (values[1] - values[0]) / (rows[1] - rows[0])
    return values[0] + slope * (at - rows[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, nargs=2, default=[10_000, 20_000])
    parser.add_argument("--routers", nargs="+", default=ROUTERS, choices=ROUTERS,
                        help="routers projected (each is projected in turn: the peak is one router's)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "import_cpu.json"))
    parser.add_argument("--repo", default=str(ROOT), help="the git repository BASELINE_COMMIT is taken from")
    args = parser.parse_args()
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    with tempfile.TemporaryDirectory(prefix="planb-bench-import-") as tmp:
        work = Path(tmp)
        baseline_code = work / "baseline"
        baseline_code.mkdir()
        archive = subprocess.run(["git", "-C", args.repo, "archive", BASELINE_COMMIT], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(baseline_code)], input=archive.stdout, check=True)
        tables = {}
        for rows in [*args.baseline_rows, args.rows]:
            tables[rows] = work / f"table-{rows}.parquet"
            synthetic_table(rows).write_parquet(tables[rows])
        print(f"planb import-replays, routers {', '.join(args.routers)}, 1,000 replicates; {os.cpu_count()} cores")
        report = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                              "cores": os.cpu_count(), "python": platform.python_version()},
                  "baseline_commit": BASELINE_COMMIT, "routers": args.routers, "runs": {}}
        small = args.baseline_rows
        # The big run first; the report is written after every run, so a stopped bench keeps its figures.
        plan = [(f"ours_{args.rows}", ROOT, args.rows)]
        plan += [(f"{who}_{rows}", code, rows) for rows in small for who, code in (("baseline", baseline_code),
                                                                                   ("ours", ROOT))]
        for key, code, rows in plan:
            report["runs"][key] = measure(code, tables[rows], work, f"{key.split('_')[0]} {rows:,} rows", args.routers)
            Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        ours = report["runs"][f"ours_{args.rows}"]
    scaled = {key: _line(small, [report["runs"][f"baseline_{r}"][key] for r in small], args.rows)
              for key in ("wall_s", "cpu_s", "peak_bytes")}
    report["baseline_scaled_to_rows"] = {"rows": args.rows, **scaled}
    report["ratio"] = {"wall": scaled["wall_s"] / ours["wall_s"], "cpu": scaled["cpu_s"] / ours["cpu_s"],
                       "peak": scaled["peak_bytes"] / ours["peak_bytes"]}
    report["goal_met"] = ours["peak_bytes"] < GOAL_BYTES
    print(f"\n{args.rows:,} rows: ours {ours['wall_s']:.1f} s ({ours['cpu_s']:.0f} CPU-s), peak {ours['peak_bytes'] / 1e9:.2f} GB "
          f"(goal < {GOAL_BYTES / 1e9:.0f} GB: {'met' if report['goal_met'] else 'MISSED'}); baseline extrapolated "
          f"from {small[0]:,} and {small[1]:,} rows: {scaled['wall_s']:.0f} s ({scaled['cpu_s']:.0f} CPU-s), peak {scaled['peak_bytes'] / 1e9:.2f} GB; "
          f"ratio {report['ratio']['cpu']:.1f}x CPU, {report['ratio']['peak']:.1f}x memory")
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
