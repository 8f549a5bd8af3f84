"""Does the certificate of a trained router hold for the model that is deployed? (issue 23)

The query classifier's thresholds are certified on cross-fitted scores (each sampled request
scored by a model trained on the other folds, scoring/routing/query_classifier.py), but what a team
deploys is one model, refitted on every labelled request. This study checks, by simulation, that
the recommendation certified on the cross-fitted scores keeps its promise for the refitted model:
its true agreement among the requests it routes small, at the certified threshold, on the whole
population, is below the target in at most 5% of samples.

The population: 200,000 requests with 8 query features (standard normal) and the label "the
small answer agrees" drawn with P = sigmoid(a + b.x) (agreement ~93% overall, the classifier's AUC
~0.75). Each replication draws n requests at random, scores them with the product's
``cross_fitted_scores`` (5 folds, the product's model), sweeps the thresholds, tests them with the
product's ``kept_curve`` and ``certify`` (target 95%, risk 5%) and picks the most saving certified
one (``recommend``; the saving grows with the share routed small); then refits the model on all n
(as deployed) and measures, on the population, agreement among the requests it routes small at
that threshold. Reported: how often a threshold is certified, and how often the deployed model
misses the target (with its Monte-Carlo standard error).

    .venv/bin/python bench/coverage_trained_router.py [--replications 500] [--sizes 300 1000 3000]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import polars as pl

from scoring.projection.table import kept_curve, sweep_thresholds
from scoring.routing.metrics import certify, recommend
from scoring.routing.query_classifier import _model, cross_fitted_scores

TARGET = 0.95
FEATURES = 8
SLOPE = np.array([0.9, -0.6, 0.5, 0.3, 0.0, 0.0, 0.0, 0.0])  # half the features carry nothing


def population(size: int, intercept: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size, FEATURES))
    p = 1.0 / (1.0 + np.exp(-(intercept + x @ SLOPE)))
    return x, rng.random(size) < p, p


def one(x: np.ndarray, agree: np.ndarray, p: np.ndarray, n: int, rng: np.random.Generator, seed: int) -> dict:
    members = rng.choice(len(agree), size=n, replace=False)
    features, labels = x[members], agree[members]
    scores, folds = cross_fitted_scores(features, labels, folds=5, seed=seed)
    if not folds:
        return {"certified": False, "missed": False}
    thresholds, _ = sweep_thresholds(101, scores)
    sample = pl.DataFrame({"weight": np.ones(n), "quality_small": labels.astype(float), "quality_large": np.ones(n)})
    kept = kept_curve(sample, scores, thresholds)
    test = certify(kept.share, kept.n_eff, TARGET, binary=True)
    share = np.array([(scores >= t).mean() for t in thresholds])
    best = recommend(share, test.certified, thresholds)
    if best is None:
        return {"certified": False, "missed": False}
    deployed = _model().fit(features, labels)
    routed = deployed.predict_proba(x)[:, 1] >= thresholds[best]
    true_kept = p[routed].mean() if routed.any() else 1.0  # the population's expected agreement
    cross_fitted_routed = share[best]
    return {"certified": True, "missed": bool(true_kept < TARGET), "true_kept": float(true_kept),
            "share_deployed": float(routed.mean()), "share_certified": float(cross_fitted_routed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000])
    parser.add_argument("--intercept", type=float, default=3.2, help="sets the overall agreement (3.2: ~93%%)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "coverage_trained_router.json")
    args = parser.parse_args()
    x, agree, p = population(200_000, args.intercept, args.seed)
    rows = []
    for n in args.sizes:
        rng = np.random.default_rng(args.seed + n)
        results = [one(x, agree, p, n, rng, args.seed + i) for i in range(args.replications)]
        certified = [r for r in results if r["certified"]]
        missed = sum(r["missed"] for r in results) / len(results)
        rows.append({"n": n, "replications": len(results), "population_agreement": float(agree.mean()),
                     "certified_share": len(certified) / len(results),
                     "deployed_missed_target": missed,
                     "mc_se": float(np.sqrt(missed * (1 - missed) / len(results))),
                     "median_share_certified": float(np.median([r["share_certified"] for r in certified])) if certified else None,
                     "median_share_deployed": float(np.median([r["share_deployed"] for r in certified])) if certified else None,
                     "median_true_kept": float(np.median([r["true_kept"] for r in certified])) if certified else None})
        print(rows[-1], flush=True)
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
