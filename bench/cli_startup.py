"""How fast `planb` starts: `planb --help` and `planb sql "select 1"` on a tiny snapshot, against
`python -c "import duckdb"` (the least a query on the snapshot can cost) measured in the same run
(issue 17's goal: `planb sql "select 1"` under 0.5 s on a quiet machine).

Each command runs in a child process of its own, N rounds, the commands of a round one after the
other so that they share the machine's load; the figure is the best of N, wall and CPU (user +
system of the child; the one to compare on a shared machine). The snapshot is the product's own:
an empty warehouse migrated by ``warehouse.db.writer`` and published by ``publish_snapshot``.
``--before COMMIT`` adds the same commands on that commit's code (``git archive``): by default
the CLI before issue 17, which imported Dagster, torch and scikit-learn for every command.

    .venv/bin/python bench/cli_startup.py [--repeats 15] [--before 4a11342 | --no-before] [--out FILE]

The last line printed is the result as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE_COMMIT = "4a11342"  # the CLI wing as moved (assets/cli/main.py importing every command's work)
GOAL_S = 0.5


def timed(command: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process running ``command``; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {(done.stdout + done.stderr)[-600:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def tiny_snapshot(data_dir: Path) -> None:
    """An empty warehouse (every migration applied) published as the snapshot."""
    from warehouse.db import publish_snapshot, writer

    with writer(data_dir):
        pass
    publish_snapshot(data_dir)


def commands(data_dir: Path, code: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The timed commands: this checkout's `planb` entry point, or ``code``'s (an older commit's
    tree, first on the path), plus the baseline."""
    env = {k: v for k, v in os.environ.items() if k not in ("PLANB_CONFIG", "PLANB_DATA_DIR", "PYTHONPATH")}
    env.setdefault("HF_HUB_OFFLINE", "1")
    planb = [sys.executable, "-m", "assets.cli.main"]
    runs = {"baseline: python -c 'import duckdb'": ([sys.executable, "-c", "import duckdb"], env)}
    if code is not None:
        env = {**env, "PYTHONPATH": str(code)}
    return runs | {
        "planb --help": ([*planb, "--help"], env),
        'planb sql "select 1"': ([*planb, "--data-dir", str(data_dir), "sql", "select 1"], env),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="rounds; the best of them is kept (default 15)")
    parser.add_argument("--before", default=BEFORE_COMMIT, help=f"older commit to time too (default {BEFORE_COMMIT})")
    parser.add_argument("--no-before", action="store_true", help="time this checkout only")
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="planb-cli-bench-") as tmp:
        work = Path(tmp)  # the children's working directory: no ./planb.yaml of the checkout
        tiny_snapshot(work / "data")
        sides = {"ours": commands(work / "data", None)}
        if not args.no_before:
            code = work / "before"
            code.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
            before = commands(work / "data", code)
            sides["before"] = {name: run for name, run in before.items() if name.startswith("planb")}
        best: dict[str, dict[str, dict[str, float]]] = {side: {} for side in sides}
        for _ in range(args.repeats):
            for side, runs in sides.items():
                for name, (command, env) in runs.items():
                    wall, cpu = timed(command, cwd=work, env=env)
                    seen = best[side].setdefault(name, {"wall_s": wall, "cpu_s": cpu})
                    seen["wall_s"], seen["cpu_s"] = min(seen["wall_s"], wall), min(seen["cpu_s"], cpu)
    baseline = best["ours"]["baseline: python -c 'import duckdb'"]
    sql = best["ours"]['planb sql "select 1"']
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "load_before": load_before, "load_after": os.getloadavg()},
        "repeats": args.repeats, "before_commit": None if args.no_before else args.before, "best": best,
        "sql_over_baseline": {"wall": sql["wall_s"] / baseline["wall_s"], "cpu": sql["cpu_s"] / baseline["cpu_s"]},
        "sql_goal_s": GOAL_S, "sql_under_goal": sql["wall_s"] < GOAL_S,
    }
    print(f"best of {args.repeats}, {os.cpu_count()} cores, load average {load_before[0]:.1f} before, "
          f"{result['machine']['load_after'][0]:.1f} after")
    for side, runs in best.items():
        for name, figures in runs.items():
            print(f"  {side:<6} {name:<38} wall {figures['wall_s']:.3f} s   CPU {figures['cpu_s']:.3f} s")
    print(f'planb sql "select 1" / import duckdb: {result["sql_over_baseline"]["wall"]:.2f}x wall, '
          f'{result["sql_over_baseline"]["cpu"]:.2f}x CPU; under {GOAL_S} s wall: {result["sql_under_goal"]}')
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
