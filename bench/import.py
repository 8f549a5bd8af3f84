"""`planb import-replays` with the default configuration (every router the table supports, the
query classifier included) at 100k and 1M rows: peak memory, CPU-seconds and wall time, and the
query classifier's AUC and APGR with their 95% intervals, against today's code before issue 27
(BASELINE_COMMIT, extracted with ``git archive``) in the same run. Goal (issues 16 and 27): 1M
rows under 4 GB, in minutes on 2 cores.

The table is synthetic and shaped like a real router dataset: requests over 7 days, prompts of
3-20 real words, short answers, correctness of both models, the four token counts and the small
model's mean log-probability. Whether the small model is right depends on the prompt's topic
(arithmetic and code are hard for it, greetings and trivia easy) and its length, plus noise, so a
router can learn it from the query: the query classifier's AUC on it means something. The bundled
real pair (MT-Bench, 160 requests: warehouse/sample_replays) is imported by both too.

Each import runs as `planb import-replays` in a child process of its own, so its peak resident
memory is its own (``ru_maxrss`` of the waited-for child); an import still running after its
limit (``--limit``, seconds of wall time) is stopped and reported unfinished, with its peak so
far. The query classifier's figures are read back from the import's router_metrics (the
import's own day-bootstrap intervals, 1,000 replicates).

    .venv/bin/python bench/import.py [--rows 100000 1000000] [--baseline-rows 100000 1000000] [--limit 3600]
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
BASELINE_COMMIT = "d3b9857"  # the query classifier on MiniLM, cross-fitted on every request (before issue 27)
DEMO_PAIR = ROOT / "warehouse" / "sample_replays" / "mt_bench_mixtral_gpt4.parquet"
GOAL_BYTES = 4 * 10**9
QUALITY = ("auc", "auc_lo", "auc_hi", "apgr", "apgr_lo", "apgr_hi")
# Runs the command given after it (stopped after sys.argv[2] seconds) and prints its wall seconds,
# CPU seconds (the figure to compare on a shared machine) and peak resident bytes (Linux: KiB).
MEASURE = ("import json, resource, subprocess, sys, time\n"
           "start = time.perf_counter()\n"
           "try:\n"
           "    done = subprocess.run(sys.argv[3:], cwd=sys.argv[1], capture_output=True, text=True,\n"
           "                          timeout=float(sys.argv[2]))\n"
           "    rc, tail = done.returncode, (done.stdout + done.stderr)[-600:]\n"
           "except subprocess.TimeoutExpired:\n"
           "    rc, tail = None, 'stopped: still running at the limit'\n"
           "wall = time.perf_counter() - start\n"
           "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "print(json.dumps({'rc': rc, 'finished': rc is not None, 'wall_s': wall, 'tail': tail,\n"
           "                  'cpu_s': used.ru_utime + used.ru_stime, 'peak_bytes': used.ru_maxrss * 1024}))\n")

# Topic: (its words, how much easier it is for the small model).
TOPICS = {
    "arithmetic": ("calculate sum product fraction percent divide multiply equation integer remainder average "
                   "digits square root decimal", -1.8),
    "code": ("python function compile error loop array pointer recursion regex class method debug "
             "exception library", -1.2),
    "science": ("photosynthesis molecule gravity quantum enzyme atom cell energy evolution climate "
                "electron protein orbit", -0.3),
    "writing": ("poem story essay letter email blog rewrite tone paragraph summary haiku slogan speech "
                "headline", 0.3),
    "trivia": ("capital country river mountain president author wrote invented born city ocean planet "
               "museum century", 1.2),
    "chat": ("hello thanks weather joke favorite recommend movie song weekend hobby birthday friend pet "
             "holiday", 1.8),
}
FILLER = ("please what how why explain tell me about the a of in for with short detailed simple can you give "
          "list which is are do my some").split()


def synthetic_table(rows: int, seed: int = 0) -> pl.DataFrame:
    """An import table of ``rows`` requests (see the module docstring).

    Example:
        >>> synthetic_table(3).columns[:4]
        ['request_id', 'prompt', 'small_output', 'large_output']
    """
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, len(TOPICS), rows)
    length = rng.integers(3, 21, rows)
    vocabularies = [words.split() for words, _ in TOPICS.values()]
    lexicon = FILLER + [word for words in vocabularies for word in words]
    sizes = np.array([len(words) for words in vocabularies])
    starts = len(FILLER) + np.concatenate([[0], np.cumsum(sizes)[:-1]])
    # About a third of the words from the prompt's topic (one of the first three always), the rest filler.
    on_topic = rng.uniform(size=(rows, 20)) < 0.35
    on_topic[np.arange(rows), rng.integers(0, 3, rows)] = True
    topical = starts[topic][:, None] + rng.integers(0, 1 << 30, (rows, 20)) % sizes[topic][:, None]
    codes = np.where(on_topic, topical, rng.integers(0, len(FILLER), (rows, 20)))
    prompt = [" ".join(lexicon[c] for c in row[:k]) for row, k in zip(codes.tolist(), length.tolist(), strict=True)]
    del codes, topical, on_topic
    ease = np.array([ease for _, ease in TOPICS.values()])
    easiness = ease[topic] - 0.05 * (length - 11) + rng.normal(scale=0.5, size=rows)
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
        "small_mean_logprob": -np.abs(rng.normal(0.5, 0.3, rows)) - 0.1 * small_ok,
        "day": days[rng.integers(0, 7, rows)],
    })


def classifier_quality(data: Path) -> dict | None:
    """The query classifier's AUC and APGR with their intervals, from an import's warehouse."""
    import duckdb

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        row = con.execute(f"SELECT {', '.join(QUALITY)} FROM router_metrics "
                          "WHERE router = 'query_classifier'").fetchone()
    return None if row is None else dict(zip(QUALITY, row))


def measure(code_dir: Path, table: Path, work: Path, label: str, routers: list[str] | None, limit: float) -> dict:
    """One `planb import-replays` of ``table`` with the code in ``code_dir``, in a fresh warehouse;
    ``routers`` None: the default configuration's."""
    data = work / f"data-{label.replace(' ', '-').replace(',', '')}"
    config = data.with_suffix(".yaml")
    settings = {"data_dir": str(data)} | ({"projection": {"routers": routers}} if routers else {})
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    command = [sys.executable, "-m", "assets.cli.main", "--config", str(config), "import-replays", str(table),
               "--name", "bench"]
    load_before = os.getloadavg()
    done = subprocess.run([sys.executable, "-c", MEASURE, str(code_dir), str(limit), *command], capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout)
    if result["finished"] and result["rc"] != 0:
        raise SystemExit(f"{label}: import failed: {result['tail']}")
    result.update(load_before=load_before, load_after=os.getloadavg(),
                  query_classifier=classifier_quality(data) if result["finished"] else None)
    quality = result["query_classifier"]
    said = (f"query_classifier AUC {quality['auc']:.3f} [{quality['auc_lo']:.3f}, {quality['auc_hi']:.3f}] "
            f"APGR {quality['apgr']:.3f} [{quality['apgr_lo']:.3f}, {quality['apgr_hi']:.3f}]"
            if quality and quality["auc_lo"] is not None else "no query_classifier interval" if quality else "")
    print(f"  {label:<24} {'' if result['finished'] else 'UNFINISHED after '}{result['wall_s']:7.0f} s  "
          f"{result['cpu_s']:7.0f} CPU-s  peak {result['peak_bytes'] / 1e9:5.2f} GB  "
          f"(load {load_before[0]:.1f} -> {result['load_after'][0]:.1f})  {said}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--baseline-rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--limit", type=float, default=3600.0, help="seconds of wall time an import may take")
    parser.add_argument("--demo", action=argparse.BooleanOptionalAction, default=True,
                        help="import the bundled real pair too (both codes)")
    parser.add_argument("--routers", nargs="+", help="routers projected (default: the configuration's, all five)")
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
        tables: dict = {"demo": DEMO_PAIR}
        for rows in sorted({*args.rows, *args.baseline_rows}):
            tables[rows] = work / f"table-{rows}.parquet"
            synthetic_table(rows).write_parquet(tables[rows])
        print(f"planb import-replays, routers {', '.join(args.routers or ['(default: all five)'])}, 1,000 replicates; "
              f"{os.cpu_count()} cores", flush=True)
        report = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                              "cores": os.cpu_count(), "python": platform.python_version()},
                  "baseline_commit": BASELINE_COMMIT, "routers": args.routers or "default", "limit_s": args.limit,
                  "runs": {}}
        # The real pair first, then each size ours before the baseline's; the report is written
        # after every run, so a stopped bench keeps its figures.
        plan = [(f"{who}_demo", code, "demo") for who, code in (("ours", ROOT), ("baseline", baseline_code))
                if args.demo]
        for rows in sorted({*args.rows, *args.baseline_rows}):
            plan += [(f"{who}_{rows}", code, rows) for who, code, sizes in
                     (("ours", ROOT, args.rows), ("baseline", baseline_code, args.baseline_rows)) if rows in sizes]
        for key, code, rows in plan:
            label = f"{key.split('_')[0]} {rows if rows == 'demo' else f'{rows:,} rows'}"
            report["runs"][key] = measure(code, tables[rows], work, label, args.routers, args.limit)
            Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    largest = report["runs"].get(f"ours_{max(args.rows)}") if args.rows else None
    if largest:
        report["goal_met"] = largest["finished"] and largest["peak_bytes"] < GOAL_BYTES
        print(f"\n{max(args.rows):,} rows: ours {largest['wall_s']:.0f} s ({largest['cpu_s']:.0f} CPU-s), peak "
              f"{largest['peak_bytes'] / 1e9:.2f} GB (goal < {GOAL_BYTES / 1e9:.0f} GB: "
              f"{'met' if report['goal_met'] else 'MISSED'})")
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
