"""The stage commands on the same input before and after a change: `planb score-pairs` on real pairs
(Natural Questions and long answers from the committed validation sets, no judge) and
`planb import-replays` on the demo's real pair, once as bundled (imported quality: the text is not
scored) and the short pairs score-pairs scores as an imported table without quality columns (the
two answers' agreement is scored, every router runs, the query classifier included; short answers,
so every segment has scored pairs, which the code before migration 015 needs). Issue 21's goal:
after the restructure, no slower.

Each command runs in a child process of its own, N rounds, this checkout's and the older commit's
(``git archive``) one after the other within a round so that they share the machine's load; the
figure is the best of N, wall and CPU (user + system of the child; the one to compare on a shared
machine), and the ratio after / before.

    .venv/bin/python bench/stage_commands.py [--repeats 3] [--before 5950d70] [--pairs 400] [--out FILE]

The last line printed is the result as one JSON object.
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

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_startup import timed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BEFORE_COMMIT = "5950d70"  # the last commit before issue 21's restructure
DEMO_PAIR = ROOT / "warehouse" / "sample_replays" / "mt_bench_mixtral_gpt4.parquet"


def pairs_input(path: Path, n: int) -> None:
    """``n`` real pairs: half Natural Questions short answers, half long answers (test splits)."""
    sys.path.insert(0, str(ROOT))
    from scoring.validation.sets import load_longform_set, load_set

    short = [{"id": r["pair_id"], "question": r["query"], "small_answer": r["a"], "large_answer": r["b"]}
             for r in load_set() if r["split"] == "test"][: n // 2]
    long = [{"id": r["pair_id"], "question": r["query"], "small_answer": r["a"], "large_answer": r["b"]}
            for r in load_longform_set() if r["split"] == "test"][: n - len(short)]
    pl.DataFrame(short + long).write_ndjson(path)


def text_table(pairs: Path, out: Path) -> None:
    """The short pairs (the first half) as an imported replay table without quality columns
    (agreement is the quality), priced per request."""
    table = pl.read_ndjson(pairs)
    table = table.head(table.height // 2)
    table.select(pl.col("id").alias("request_id"), pl.col("question").alias("prompt"),
                 pl.col("small_answer").alias("small_output"), pl.col("large_answer").alias("large_output"),
                 pl.lit(0.0001).alias("small_dollars"), pl.lit(0.002).alias("large_dollars")).write_parquet(out)


def commands(work: Path, code: Path | None) -> dict[str, list[str]]:
    planb = [sys.executable, "-m", "assets.cli.main", "--data-dir", str(work / ("before" if code else "after"))]
    out = work / ("scored_before.csv" if code else "scored_after.csv")
    return {
        "score-pairs": [*planb, "score-pairs", str(work / "pairs.jsonl"), str(out)],
        "import-replays (imported quality)": [*planb, "import-replays", str(DEMO_PAIR), "--name", "quality"],
        "import-replays (text agreement)": [*planb, "import-replays", str(work / "text.parquet"), "--name", "text"],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best of them is kept (default 3)")
    parser.add_argument("--before", default=BEFORE_COMMIT, help=f"older commit to time (default {BEFORE_COMMIT})")
    parser.add_argument("--pairs", type=int, default=400, help="pairs scored by score-pairs (default 400)")
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k not in ("PLANB_CONFIG", "PLANB_DATA_DIR", "PYTHONPATH")}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="planb-stage-bench-") as tmp:
        work = Path(tmp)
        pairs_input(work / "pairs.jsonl", args.pairs)
        text_table(work / "pairs.jsonl", work / "text.parquet")
        code = work / "before_code"
        code.mkdir()
        archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
        # Each side's code first on the path (the venv's editable install points at /work/main).
        runs = {"after": (commands(work, None), {**env, "PYTHONPATH": str(ROOT)}),
                "before": (commands(work, code), {**env, "PYTHONPATH": str(code)})}
        best: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.repeats):
            for side, (cmds, side_env) in runs.items():
                for name, command in cmds.items():
                    wall, cpu = timed(command, cwd=work, env=side_env)
                    slot = best.setdefault(name, {}).setdefault(side, [float("inf"), float("inf")])
                    slot[0], slot[1] = min(slot[0], wall), min(slot[1], cpu)
                    print(f"{side:6} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
        same = pl.read_csv(work / "scored_before.csv").equals(pl.read_csv(work / "scored_after.csv"))
    result = {
        "bench": "stage_commands", "before": args.before, "pairs": args.pairs, "repeats": args.repeats,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores", "load_before": [round(x, 2) for x in load_before],
        "score_pairs_output_identical": same,
        "commands": {name: {"before_wall_s": round(sides["before"][0], 3), "after_wall_s": round(sides["after"][0], 3),
                            "before_cpu_s": round(sides["before"][1], 3), "after_cpu_s": round(sides["after"][1], 3),
                            "wall_ratio": round(sides["after"][0] / sides["before"][0], 2),
                            "cpu_ratio": round(sides["after"][1] / sides["before"][1], 2)}
                     for name, sides in best.items()},
    }
    for name, figures in result["commands"].items():
        print(f"{name}: after / before = {figures['wall_ratio']:.2f}x wall, {figures['cpu_ratio']:.2f}x CPU")
    print(json.dumps(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
