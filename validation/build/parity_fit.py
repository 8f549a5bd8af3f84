"""Fit the default parity predictor (scoring/agreement/parity.py) on every longform pair's judge
verdict (../shared/data/longform, Apache-2.0: see scoring/agreement/data/NOTICE) and write its
coefficients to scoring/agreement/data/parity_fit.json.

    python -m validation.build.parity_fit

How a verdict becomes parity, and the fit's measure on model pairs it was not fitted on:
scoring/validation/parity.py and docs/AGREEMENT_VALIDATION.md ("Predicted parity").
"""

from __future__ import annotations

import json
import os

from scoring.agreement.parity import PARITY_FIT_FILE
from scoring.validation.parity import ALPACA_TIE, fit_all, longform_pairs, pair_features


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    pairs = longform_pairs()
    features = pair_features(pairs)
    labels = pairs["parity"].to_numpy()
    fit = fit_all(pairs, features)
    counts = {name: int(n) for name, n in pairs.group_by("model_pair").len().sort("model_pair").iter_rows()}
    fit["fitted_on"] = {"source": "../shared/data/longform (MT-Bench grades, AlpacaEval preferences)",
                        "alpaca_tie": ALPACA_TIE, "pairs": len(labels), "parity_share": float(labels.mean()),
                        "pairs_by_model_pair": counts}
    PARITY_FIT_FILE.parent.mkdir(parents=True, exist_ok=True)
    PARITY_FIT_FILE.write_text(json.dumps(fit, indent=2) + "\n", encoding="utf-8")
    print(f"features {', '.join(fit['features'])}; fitted on {len(labels)} pairs ({labels.mean():.1%} at parity); "
          f"wrote {PARITY_FIT_FILE}")


if __name__ == "__main__":
    main()
