"""Agreement scoring: the stack with kinds of answers against the previous stack, same pairs,
same run, on long answers (AlpacaEval) and on short ones (Natural Questions); and the stack that
compares final answers (issue 22) against the stack of the commit before it, on the worked
solutions and option answers of validation/data/worked_set.jsonl.

- ours: ``score_pairs`` without a judge: lexical metrics, the kind of each pair, the MiniLM
  cosine of short pairs only, the short rule, final answers and cores, open pairs left unscored;
- baseline (the stack before answer kinds, kept here as it was): lexical metrics and the MiniLM
  cosine of every pair (long answers chunked and embedded whole), then the one-threshold rule;
- today's stack (issue 22's baseline): ``score_pairs`` as it was at TODAY_COMMIT, read from git
  into a package of its own (its ``scoring.agreement`` modules, nothing else changed).

Pairs: ../shared/data/longform/alpaca_eval_pairs.jsonl (the first N of its 4,025 pairs: long
answers of five same-family model pairs), validation/data/agreement_set.jsonl (851 short
pairs) and validation/data/worked_set.jsonl (5,884 worked-solution and option-answer pairs).

    python bench/agreement.py [--long-pairs 400] [--repeats 3] [--threads N] [--device cpu] [--no-worked]

Prints pairs/s and CPU-seconds per pair of each (best of the repeats, the two stacks taking
turns within each round, first one then the other first: run one after the other, the second
came out 14% faster on the same code; CPU time says more than wall time on a shared machine),
the ratios, the load average before and after, and a JSON line (in the worked_* and
short_vs_today keys, "previous" is today's stack).
Goal (issue 14): on 2 cores, long pairs at least 10x the previous stack and at least 100
pairs/s; short pairs no slower than the previous stack. Goal (issue 22): the worked pairs no
slower per pair than today's stack.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from scoring.agreement.embedding import embedder_path, embedding_cosine, load_embedder  # noqa: E402
from scoring.agreement.metrics import lexical_metrics  # noqa: E402
from scoring.agreement.pairs import answer_lengths, score_pairs  # noqa: E402
from scoring.agreement.rule import rule_from_config  # noqa: E402
from scoring.config import AgreementConfig  # noqa: E402
from scoring.validation.sets import (  # noqa: E402
    SHARED_DATA,  # noqa: E402
    load_set,
    load_worked_set,
)

ROOT = Path(__file__).resolve().parent.parent
TODAY_COMMIT = "652cb288a37b915a8fccbed3b1a4b7397d4c21f0"  # the commit before final answers (issue 22)
TODAY_MODULES = ("metrics", "core", "kind", "embedding", "rule", "pairs")


def ours(small, large, questions, embedder, rule) -> list:
    return score_pairs(small, large, embedder=embedder, rule=rule, questions=questions)["agree"]


def previous_stack(small, large, questions, embedder, rule) -> list:
    """The stack before answer kinds (HEAD e42b686^): every metric of every pair, the cosine
    included, then one threshold for short pairs and one for the rest."""
    small = [s or "" for s in small]
    large = [s or "" for s in large]
    metrics = lexical_metrics(small, large, questions)
    metrics["cosine"] = embedding_cosine(small, large, embedder=embedder).tolist()
    shortest, longest = answer_lengths(small, large)
    return [bool(x) for x in rule.label(metrics, shortest, longest)]


def stack_at(commit: str):
    """``scoring.agreement`` as it was at ``commit``, read with git into a package of its own
    (``planb_agreement_<commit>``): returns (its pairs module, its rule module)."""
    package = f"planb_agreement_{commit[:7]}"
    where = Path(tempfile.mkdtemp(prefix="planb-bench-")) / package
    where.mkdir()
    (where / "__init__.py").write_text("", encoding="utf-8")
    for name in TODAY_MODULES:
        source = subprocess.run(["git", "show", f"{commit}:scoring/agreement/{name}.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        (where / f"{name}.py").write_text(source.replace("scoring.agreement.", f"{package}."), encoding="utf-8")
    sys.path.insert(0, str(where.parent))
    return importlib.import_module(f"{package}.pairs"), importlib.import_module(f"{package}.rule")


def best_of(fns, pairs, embedder, rule, repeats: int) -> list[tuple[float, float]]:
    """(best wall seconds, best CPU seconds) of each function over ``repeats`` rounds; within a
    round the functions take turns, first one then the other first, so that neither always runs
    on a machine the other has just warmed (or loaded)."""
    best = [[float("inf"), float("inf")] for _ in fns]
    for round_ in range(repeats):
        order = range(len(fns)) if round_ % 2 == 0 else reversed(range(len(fns)))
        for k in order:
            started, cpu_started = time.perf_counter(), time.process_time()
            fns[k](*pairs, embedder, rule)
            best[k][0] = min(best[k][0], time.perf_counter() - started)
            best[k][1] = min(best[k][1], time.process_time() - cpu_started)
    return [tuple(b) for b in best]


def long_pairs(n: int) -> tuple[list, list, list]:
    path = SHARED_DATA / "longform" / "alpaca_eval_pairs.jsonl"
    if not path.exists():
        raise SystemExit(f"{path} not found: the long-answer bench needs ../shared/data/longform/")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:n]]
    return [r["small_answer"] for r in rows], [r["large_answer"] for r in rows], [r["instruction"] for r in rows]


def measure(name: str, pairs, embedder, rule, repeats: int, baseline=previous_stack) -> dict:
    n = len(pairs[0])
    (wall_ours, cpu_ours), (wall_prev, cpu_prev) = best_of([ours, baseline], pairs, embedder, rule, repeats)
    out = {f"{name}_pairs": n,
           f"{name}_ours_pairs_per_s": round(n / wall_ours, 1),
           f"{name}_previous_pairs_per_s": round(n / wall_prev, 1),
           f"{name}_ours_cpu_ms_per_pair": round(1000 * cpu_ours / n, 3),
           f"{name}_previous_cpu_ms_per_pair": round(1000 * cpu_prev / n, 3),
           f"{name}_ours_wall_s": round(wall_ours, 4), f"{name}_previous_wall_s": round(wall_prev, 4),
           f"{name}_ours_cpu_s": round(cpu_ours, 4), f"{name}_previous_cpu_s": round(cpu_prev, 4),
           f"{name}_wall_ratio": round(wall_prev / wall_ours, 2),
           f"{name}_cpu_ratio": round(cpu_prev / cpu_ours, 2)}
    print(f"{name:12s} {n:5d} pairs: ours {n / wall_ours:8.1f} pairs/s {1000 * cpu_ours / n:8.2f} CPU-ms/pair | "
          f"previous {n / wall_prev:8.1f} pairs/s {1000 * cpu_prev / n:8.2f} CPU-ms/pair | "
          f"{wall_prev / wall_ours:.2f}x wall, {cpu_prev / cpu_ours:.2f}x CPU")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long-pairs", type=int, default=400, help="first N AlpacaEval pairs")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--no-worked", dest="worked", action="store_false",
                        help="skip the worked pairs against today's stack (needs git)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    config = AgreementConfig()
    rule = rule_from_config(config)
    embedder = load_embedder(embedder_path(config.embedding_model), args.device)
    embedding_cosine(["warm up"], ["the model"], embedder=embedder)
    nq = load_set()
    short = ([r["a"] for r in nq], [r["b"] for r in nq], [r["query"] for r in nq])
    load_before = os.getloadavg()[0]
    result = {"device": str(embedder.device), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
              "cpu": platform.processor() or platform.machine()}
    result |= measure("long", long_pairs(args.long_pairs), embedder, rule, args.repeats)
    result |= measure("short", short, embedder, rule, args.repeats)
    if args.worked:
        today_pairs, today_rule = stack_at(TODAY_COMMIT)
        old_rule = today_rule.AgreementRule(**{k: getattr(rule, k) for k in today_rule.AgreementRule.__dataclass_fields__})

        def today(small, large, questions, embedder, _rule):
            return today_pairs.score_pairs(small, large, embedder=embedder, rule=old_rule, questions=questions)["agree"]

        result |= measure("short_vs_today", short, embedder, rule, args.repeats, today)
        rows = load_worked_set()
        for name in ("svamp", "csqa"):
            part = [r for r in rows if r["set"] == name]
            result |= measure(f"worked_{name}", ([r["a"] for r in part], [r["b"] for r in part],
                                                 [r["query"] for r in part]), embedder, rule, args.repeats, today)
        n = len(rows)  # all worked pairs: the two sets' best times added
        wall = [sum(result[f"worked_{s}_{k}_wall_s"] for s in ("svamp", "csqa")) for k in ("ours", "previous")]
        cpu = [sum(result[f"worked_{s}_{k}_cpu_s"] for s in ("svamp", "csqa")) for k in ("ours", "previous")]
        result |= {"worked_pairs": n, "worked_ours_cpu_ms_per_pair": round(1000 * cpu[0] / n, 3),
                   "worked_today_cpu_ms_per_pair": round(1000 * cpu[1] / n, 3),
                   "worked_wall_ratio": round(wall[1] / wall[0], 2), "worked_cpu_ratio": round(cpu[1] / cpu[0], 2)}
        print(f"worked       {n:5d} pairs: {wall[1] / wall[0]:.2f}x wall, {cpu[1] / cpu[0]:.2f}x CPU against today's stack")
    result |= {"load_average_1min_before": round(load_before, 2),
               "load_average_1min_after": round(os.getloadavg()[0], 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
