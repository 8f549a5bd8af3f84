"""The default parity predictor (``scoring.agreement.parity``) measured on model pairs it was not
fitted on, and what it buys an estimate of quality kept: the "Predicted parity" section of
docs/AGREEMENT_VALIDATION.md.

    python -m scoring.validation.parity    # rewrite that section only

**Parity from the longform verdicts** (../shared/data/longform; every pair gets a label):

- MT-Bench (Mixtral-8x7B against GPT-4-1106, graded 1-10 by GPT-4): parity when the small
  answer's grade is at least the large one's (a tie is parity).
- AlpacaEval (five model pairs, each answer's GPT-4-turbo preference against the same reference
  answer, in [1, 2]): parity when the small answer's preference is at least the large one's less
  ``ALPACA_TIE`` (a preference within 0.05 of the other's is a tie: most pairs of the weaker
  families lose to the reference both, at preferences within 0.01 of 1).

**Leave one model pair out**: for each of the six model pairs, the predictor is fitted on the
other five and scores the held-out one: AUC, calibration (mean predicted against observed
parity, expected calibration error over ten equal-width bins, and the calibration slope: the
logistic regression of parity on the predicted logit) with 95% intervals from a bootstrap over
questions (both turns of an MT-Bench question resampled together).

**Width of quality kept** (routing every request of a model pair to the small model keeps the
share of pairs at parity): with the verdicts standing in for a team's reviews, ``REVIEWS`` random
reviewed pairs give a Wilson interval alone, or a PPI++ interval (Angelopoulos, Duchi and Zrnic,
"PPI++: Efficient Prediction-Powered Inference", 2023: the mean estimator with its power-tuning
weight) with the held-out predictor's probability on every other pair of the model pair; each
drawn ``WIDTH_DRAWS`` times, with each interval's coverage of the model pair's whole share.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from scoring.validation.sets import SEED, SHARED_DATA

LONGFORM_DIR = SHARED_DATA / "longform"
ALPACA_TIE = 0.05
BOOTSTRAP = 1000
REVIEWS = 100
WIDTH_DRAWS = 500
Z = stats.norm.ppf(0.975)
SECTION_BEGIN, SECTION_END = "<!-- predicted-parity:begin -->", "<!-- predicted-parity:end -->"


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{SEED}:parity:{name}".encode()).digest()[:4], "little")


def longform_pairs(folder: Path = LONGFORM_DIR) -> pl.DataFrame:
    """Every longform pair with its parity label: model_pair, group (the question, for the
    bootstrap), question, small_answer, large_answer, parity.

    Example:
        >>> longform_pairs().group_by("model_pair").len().height  # doctest: +SKIP
        6
    """
    mt = pl.read_ndjson(folder / "mt_bench_pairs.jsonl")
    mt = mt.select(
        model_pair=pl.lit("mt_bench: ") + pl.col("small_model") + " / " + pl.col("large_model"),
        group=pl.lit("mt_bench:") + pl.col("question_id").cast(pl.String),
        question=pl.col("question"), small_answer=pl.col("small_answer"), large_answer=pl.col("large_answer"),
        parity=pl.col("small_grade") >= pl.col("large_grade"))
    alpaca = pl.read_ndjson(folder / "alpaca_eval_pairs.jsonl")
    alpaca = alpaca.select(
        model_pair=pl.lit("alpaca_eval: ") + pl.col("small_model") + " / " + pl.col("large_model"),
        group=pl.lit("alpaca_eval:") + pl.col("instruction"),
        question=pl.col("instruction"), small_answer=pl.col("small_answer"), large_answer=pl.col("large_answer"),
        parity=pl.col("small_preference_vs_reference") >= pl.col("large_preference_vs_reference") - ALPACA_TIE)
    out = pl.concat([mt, alpaca])
    for column in ("question", "small_answer", "large_answer", "parity"):
        missing = out[column].is_null()
        if missing.any():
            row = int(missing.arg_max())
            raise ValueError(f"longform row {row + 1} ({out['group'][row]}), column {column}: missing")
    return out


def pair_features(pairs: pl.DataFrame, cfg=None) -> np.ndarray:
    """The predictor's features of ``pairs`` computed as ``score_pair_table`` computes them (the
    configured rule's kinds, no judge)."""
    from scoring.agreement.embedding import configured_embedder, load_embedder, resolve_device
    from scoring.agreement.pairs import score_pairs
    from scoring.agreement.parity import PARITY_EMBEDDER, parity_features
    from scoring.agreement.rule import rule_from_config
    from scoring.config import load_config

    cfg = cfg or load_config(None)
    questions, small, large = (pairs[c].to_list() for c in ("question", "small_answer", "large_answer"))
    metrics = score_pairs(small, large, embedder=configured_embedder(cfg.agreement),
                          rule=rule_from_config(cfg.agreement), questions=questions)
    device = resolve_device(cfg.agreement.embedding_device)
    return parity_features(questions, small, large, metrics, metrics["kind"],
                           embedder=load_embedder(PARITY_EMBEDDER, device))


# The candidate feature sets, from the few features whose sign held in every model pair (the
# answers' length and line ratios, containment, declining) to all of them. Each model pair weighs
# the same in a fit, so AlpacaEval's five do not drown MT-Bench's one.
CANDIDATE_SETS = (
    ("log_length_ratio",),
    ("log_length_ratio", "containment"),
    ("log_length_ratio", "containment", "log_lines_ratio"),
    ("log_length_ratio", "containment", "log_lines_ratio", "small_declines", "large_declines"),
    ("log_length_ratio", "containment", "log_lines_ratio", "cos_answers", "relevance_gap", "small_declines",
     "large_declines"),
    ("exact", "token_f1", "containment", "rouge_l", "content_containment", "kind_short", "kind_core",
     "log_length_ratio", "log_lines_ratio", "small_declines", "large_declines"),
    None,  # every feature
)


def fit_predictor(features: np.ndarray, labels: np.ndarray, groups: np.ndarray, names=None) -> dict:
    """A standardised L2 logistic regression (scikit-learn, C = 1) on the features ``names`` (None:
    all), each group (model pair) weighing the same, as ``parity_probability`` reads it."""
    from sklearn.linear_model import LogisticRegression

    from scoring.agreement.parity import FEATURES, FEATURES_VERSION, PARITY_EMBEDDER

    names = list(FEATURES if names is None else names)
    x = features[:, [FEATURES.index(name) for name in names]]
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    _, index, counts = np.unique(groups, return_inverse=True, return_counts=True)
    weight = len(labels) / (len(counts) * counts[index])
    model = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, labels.astype(int), sample_weight=weight)
    return {"features": names, "features_version": FEATURES_VERSION, "embedder": PARITY_EMBEDDER,
            "mean": mean.tolist(), "scale": scale.tolist(), "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0])}


def _held_out(features: np.ndarray, labels: np.ndarray, groups: np.ndarray, names) -> np.ndarray:
    from scoring.agreement.parity import parity_probability

    out = np.empty(len(labels))
    for name in np.unique(groups):
        held = groups == name
        out[held] = parity_probability(features[held], fit_predictor(features[~held], labels[~held], groups[~held], names))
    return out


def select_features(features: np.ndarray, labels: np.ndarray, groups: np.ndarray):
    """The candidate set (``CANDIDATE_SETS``) whose predictor, fitted leaving one group out, has the
    best mean AUC over the held-out groups."""
    def score(names) -> float:
        p = _held_out(features, labels, groups, names)
        return float(np.mean([auc(labels[groups == g], p[groups == g]) for g in np.unique(groups)]))

    return max(CANDIDATE_SETS, key=score)


def held_out_probabilities(pairs: pl.DataFrame, features: np.ndarray) -> tuple[np.ndarray, dict[str, list[str]]]:
    """Each pair's P(parity) from a predictor that never saw its model pair: fitted on the other
    model pairs, with its features chosen among them too (``select_features`` leaving one of the
    others out at a time), so the held-out AUC is not the one the choice was made on. Also the
    features chosen for each held-out model pair."""
    from scoring.agreement.parity import FEATURES, parity_probability

    labels = pairs["parity"].to_numpy()
    groups = pairs["model_pair"].to_numpy()
    out, chosen = np.empty(len(labels)), {}
    for name in np.unique(groups):
        held = groups == name
        names = select_features(features[~held], labels[~held], groups[~held])
        chosen[str(name)] = list(FEATURES if names is None else names)
        out[held] = parity_probability(features[held], fit_predictor(features[~held], labels[~held], groups[~held], names))
    return out, chosen


def fit_all(pairs: pl.DataFrame, features: np.ndarray) -> dict:
    """The predictor of every model pair: features chosen leaving one model pair out at a time,
    then fitted on all (what validation/build/parity_fit.py writes)."""
    labels, groups = pairs["parity"].to_numpy(), pairs["model_pair"].to_numpy()
    return fit_predictor(features, labels, groups, select_features(features, labels, groups))


# -- measures ------------------------------------------------------------------------------------

def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties half).

    Example:
        >>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
        0.75
    """
    y = np.asarray(y, dtype=bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if not pos or not neg:
        return float("nan")
    ranks = stats.rankdata(p)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-width bins of the predicted probability.

    Example:
        >>> round(ece(np.array([0, 1, 1, 1]), np.array([0.2, 0.2, 0.9, 0.9])), 3)
        0.2
    """
    which = np.minimum((np.asarray(p) * bins).astype(int), bins - 1)
    total = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, weights=p, minlength=bins) - np.bincount(which, weights=y, minlength=bins))
    return float(gap.sum() / max(total.sum(), 1))


def calibration_slope(y: np.ndarray, p: np.ndarray) -> float:
    """Slope of the logistic regression of ``y`` on logit(``p``) (1: well spread; < 1: too
    confident), by Newton's method.

    Example:
        >>> rng = np.random.default_rng(0); p = rng.uniform(0.05, 0.95, 20000)
        >>> round(calibration_slope(rng.uniform(size=p.size) < p, p), 1)
        1.0
    """
    x = np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))
    design = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    y = np.asarray(y, dtype=float)
    for _ in range(50):
        mu = 1 / (1 + np.exp(-np.clip(design @ beta, -30, 30)))
        hessian = design.T @ (design * (mu * (1 - mu))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, design.T @ (y - mu))
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return float(beta[1])


MEASURES = {"auc": auc, "mean_predicted": lambda y, p: float(np.mean(p)), "observed": lambda y, p: float(np.mean(y)),
            "ece": ece, "slope": calibration_slope}


def group_bootstrap(y: np.ndarray, p: np.ndarray, groups: np.ndarray, *, reps: int = BOOTSTRAP,
                    seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Each of ``MEASURES`` with its 95% percentile interval from resampling ``groups`` (whole
    questions) with replacement: name -> (estimate, low, high)."""
    rng = np.random.default_rng(seed)
    _, index = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(index == g) for g in range(index.max() + 1)]
    draws = {name: [] for name in MEASURES}
    for _ in range(reps):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        for name, measure in MEASURES.items():
            draws[name].append(measure(y[rows], p[rows]))
    return {name: (measure(y, p), *np.nanpercentile(draws[name], [2.5, 97.5]))
            for name, measure in MEASURES.items()}


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of a share k / n.

    Example:
        >>> [round(x, 3) for x in wilson(50, 100)]
        [0.404, 0.596]
    """
    return _wilson_share(k / n, n)


def ppi_mean(y: np.ndarray, f_labelled: np.ndarray, f_unlabelled: np.ndarray) -> tuple[float, float, float]:
    """PPI++ estimate of the mean of ``y`` with its 95% interval: reviewed labels ``y`` and the
    predictor ``f`` on them, plus ``f`` on the unreviewed pairs; the power-tuning weight
    lambda = Cov(y, f) / ((1 + n / N) Var(f)), clipped to [0, 1] (0: the reviews alone). The
    interval is Wilson's at the estimate's effective sample size, share (1 - share) / variance
    (Kish), rather than the normal one, which covered 92-93% at shares near 0.9 from 100 reviews
    (the same skew that makes Wald's interval short there); with lambda = 0 it is Wilson's.

    Example:
        >>> y = np.array([1, 0, 1, 1.0]); f = np.array([0.9, 0.2, 0.8, 0.7])
        >>> [round(v, 3) for v in ppi_mean(y, f, np.full(100, 0.65))]
        [0.75, 0.506, 0.898]
    """
    n, big_n = len(y), len(f_unlabelled)
    var_f = np.var(np.concatenate([f_labelled, f_unlabelled]), ddof=1)
    lam = 0.0 if var_f <= 0 else float(np.clip(np.cov(y, f_labelled, ddof=1)[0, 1] / ((1 + n / big_n) * var_f), 0, 1))
    estimate = float(np.mean(y) + lam * (np.mean(f_unlabelled) - np.mean(f_labelled)))
    variance = np.var(y - lam * f_labelled, ddof=1) / n + lam * lam * np.var(f_unlabelled, ddof=1) / big_n
    share = min(max(estimate, 0.0), 1.0)
    n_eff = share * (1 - share) / variance if variance > 0 and 0 < share < 1 else n
    low, high = _wilson_share(share, n_eff)
    return estimate, low, high


def _wilson_share(share: float, n: float) -> tuple[float, float]:
    z2 = Z * Z
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = Z * np.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return float(centre - half), float(centre + half)


@dataclass(frozen=True)
class Widths:
    model_pair: str
    pairs: int
    quality_kept: float  # the share at parity over all its pairs: the truth the intervals aim at
    reviews_width: float
    reviews_coverage: float
    ppi_width: float
    ppi_coverage: float


def interval_widths(y: np.ndarray, p: np.ndarray, *, name: str, reviews: int = REVIEWS,
                    draws: int = WIDTH_DRAWS) -> Widths:
    """Mean width and coverage of quality kept's interval from ``reviews`` random reviewed pairs
    alone (Wilson) and with the predictor on the others (PPI++), over ``draws`` draws."""
    rng = np.random.default_rng(_seed(name))
    truth = float(np.mean(y))
    alone, powered = [], []
    for _ in range(draws):
        picked = np.zeros(len(y), dtype=bool)
        picked[rng.choice(len(y), size=reviews, replace=False)] = True
        low, high = wilson(int(y[picked].sum()), reviews)
        alone.append((high - low, low <= truth <= high))
        _, low, high = ppi_mean(y[picked].astype(float), p[picked], p[~picked])
        powered.append((high - low, low <= truth <= high))
    a, b = np.array(alone), np.array(powered)
    return Widths(name, len(y), truth, float(a[:, 0].mean()), float(a[:, 1].mean()),
                  float(b[:, 0].mean()), float(b[:, 1].mean()))


def bootstrap_coverage(*, n: int, reps: int = 300, boot: int = 500, seed: int = 0) -> float:
    """Coverage of the percentile bootstrap's 95% AUC interval, simulated: scores of a binormal
    model with a known AUC (0.70) and parity share 0.4, ``n`` pairs a draw, ``reps`` draws."""
    rng = np.random.default_rng(seed)
    shift = np.sqrt(2) * stats.norm.ppf(0.70)  # binormal AUC = Phi(shift / sqrt 2)
    hits = 0
    for _ in range(reps):
        y = rng.uniform(size=n) < 0.4
        s = rng.normal(size=n) + shift * y
        draws = [auc(y[r], s[r]) for r in (rng.integers(0, n, n) for _ in range(boot))]
        low, high = np.nanpercentile(draws, [2.5, 97.5])
        hits += low <= 0.70 <= high
    return hits / reps


# -- the report section --------------------------------------------------------------------------

@dataclass(frozen=True)
class ParityValidation:
    per_pair: list[tuple[str, int, dict]]  # model pair, pairs, group_bootstrap's measures
    widths: list[Widths]
    coverage: dict[int, float]  # the AUC interval's simulated coverage by sample size
    fit: dict  # the predictor fitted on all model pairs (what parity_fit.json holds)
    chosen: dict[str, list[str]]  # held-out model pair -> the features chosen without it


def run_validation(cfg=None) -> ParityValidation:
    """Features of every longform pair, the held-out predictions, their measures and widths."""
    pairs = longform_pairs()
    features = pair_features(pairs, cfg)
    p, chosen = held_out_probabilities(pairs, features)
    y = pairs["parity"].to_numpy().astype(bool)
    names, groups = pairs["model_pair"].to_numpy(), pairs["group"].to_numpy()
    per_pair, widths = [], []
    for name in sorted(set(names)):
        rows = names == name
        per_pair.append((name, int(rows.sum()), group_bootstrap(y[rows], p[rows], groups[rows], seed=_seed(name))))
        widths.append(interval_widths(y[rows], p[rows], name=name))
    # Pooled, the model pairs' base rates differ and the held-out predictors' do not follow them: not a ranking.
    per_pair.append(("all six pooled (each held out; base rates differ)", len(y),
                     group_bootstrap(y, p, groups, seed=_seed("all"))))
    coverage = {n: bootstrap_coverage(n=n, seed=_seed(f"coverage:{n}")) for n in (160, 805)}
    return ParityValidation(per_pair, widths, coverage, fit_all(pairs, features), chosen)


def _ci(m: tuple[float, float, float], digits: int = 3) -> str:
    return f"{m[0]:.{digits}f} [{m[1]:.{digits}f}, {m[2]:.{digits}f}]"


def render_section(v: ParityValidation) -> str:
    """The "Predicted parity" section of docs/AGREEMENT_VALIDATION.md, between its markers."""
    from scoring.agreement.parity import FEATURES

    coef = sorted(zip(v.fit["features"], v.fit["coef"]), key=lambda kv: -abs(kv[1]))
    lines = [
        SECTION_BEGIN,
        "## Predicted parity: the default predictor on model pairs it was not fitted on",
        "",
        "Every pair, open or not, gets `p_parity`: the probability that the small answer is at least as good as the "
        "large one, from a logistic regression that needs no endpoint (`scoring/agreement/parity.py`, coefficients in "
        "`scoring/agreement/data/parity_fit.json`, fitted by `python -m validation.build.parity_fit`). `planb score-pairs` "
        "writes it beside the label and the agreement table keeps it, so a team can check it on pairs it has reviewed.",
        "",
        "**Truth: the longform judge verdicts (../shared/data/longform), standing in for human reviews.** MT-Bench: "
        "parity when the small answer's GPT-4 grade is at least the large one's. AlpacaEval: parity when the small "
        f"answer's GPT-4-turbo preference against the reference is at least the large one's less {ALPACA_TIE} (a tie). "
        "All 4,185 pairs are labelled (none left out).",
        "",
        f"Candidate features ({len(FEATURES)}): " + ", ".join(f"`{f}`" for f in FEATURES) + ". The lexical metrics "
        "and the kind come from the agreement stack; lengths are normalised tokens and lines (`log_length_ratio`: "
        "log(1 + small tokens) - log(1 + large tokens)); the cosines are of the static embedding distilled from the "
        "bundled all-MiniLM-L6-v2 (question against each answer, and the two answers); `*_declines`: the answer opens "
        "by declining (\"I'm sorry\", \"as an AI\"). The fit uses one of "
        f"{len(CANDIDATE_SETS)} candidate sets (`CANDIDATE_SETS`: from the length ratio alone to all of them), the one "
        "whose predictor does best (mean AUC) on the model pairs it was not fitted on; each model pair weighs the same. "
        "The committed fit (all six model pairs) uses " + ", ".join(f"`{k}` {c:+.2f}" for k, c in coef)
        + " (standardised coefficients).",
        "",
        "Each row: the predictor fitted on the other five model pairs, its features chosen among those five too "
        "(leaving one of them out at a time), scored on this one: the held-out pair plays no part in the fit or the "
        f"choice. 95% intervals from {BOOTSTRAP} bootstrap draws of whole questions. ECE: expected calibration error, "
        "ten equal-width bins. Slope: of parity on the predicted logit (1 ideal; below 1, too confident; near 0, no "
        "signal). No predictor of text alone can know a model pair's base rate of parity (0.39 to 0.92 here), so the "
        "mean p_parity of a model pair it never saw is off by that much: use p_parity to rank pairs or with reviews "
        "(below), not as the share itself.",
        "",
        "| held-out model pair | pairs | AUC | observed parity | mean p_parity | ECE | calibration slope | features chosen |",
        "|---|---:|---|---|---|---|---|---|",
    ]
    for name, n, m in v.per_pair:
        chosen = v.chosen.get(name)
        shown = "-" if chosen is None else "all" if len(chosen) == len(FEATURES) else ", ".join(chosen)
        lines.append(f"| {name} | {n:,} | {_ci(m['auc'])} | {_ci(m['observed'])} | {_ci(m['mean_predicted'])} | "
                     f"{_ci(m['ece'])} | {_ci(m['slope'], 2)} | {shown} |")
    lines += [
        "",
        "The percentile bootstrap's AUC interval, checked by simulation (binormal scores of AUC 0.70, parity share 0.4, "
        "300 samples of 500 draws): coverage " + ", ".join(f"{c:.1%} at {n} pairs" for n, c in v.coverage.items()) + ".",
        "",
        f"### Quality kept from {REVIEWS} reviews, alone and with the predictor",
        "",
        f"**The 'reviews' are the longform verdicts standing in for a team's reviews.** Per model pair, {REVIEWS} pairs "
        "drawn at random are 'reviewed'; quality kept (routing every request to the small model) is the share at parity "
        f"over all the model pair's pairs. Wilson: the {REVIEWS} reviews alone. PPI++: the reviews plus the held-out "
        f"predictor's `p_parity` on every other pair (power-tuned weight). Mean width and coverage over {WIDTH_DRAWS} draws "
        "(the finite population's share is the truth; coverage below 95% is a failure of the interval).",
        "",
        "| model pair | pairs | quality kept | Wilson width | Wilson coverage | PPI++ width | PPI++ coverage | width saved |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in v.widths:
        lines.append(f"| {w.model_pair} | {w.pairs:,} | {w.quality_kept:.3f} | {w.reviews_width:.3f} | "
                     f"{w.reviews_coverage:.1%} | {w.ppi_width:.3f} | {w.ppi_coverage:.1%} | "
                     f"{1 - w.ppi_width / w.reviews_width:.1%} |")
    saved = [1 - w.ppi_width / w.reviews_width for w in v.widths]
    lines += ["", f"Width saved: {min(saved):+.1%} to {max(saved):+.1%}. A predictor this weak (held-out AUC near 0.6) "
              "carries too little about a pair's parity to shorten the interval: PPI++'s tuning weight keeps it about as "
              "wide as the reviews alone, and no wider. Where 100 of a model pair's pairs are all it has (MT-Bench, 160), "
              "both intervals over-cover: they are for the share of a large population, not of 160 pairs."]
    lines += ["", "Reproduce: `python -m scoring.validation.parity` (this section) or `planb validate-agreement` "
              "(the whole report).", SECTION_END, ""]
    return "\n".join(lines)


def write_section(report: Path, section: str) -> None:
    """Put ``section`` into ``report`` in place of the one between the markers, or at its end."""
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    pattern = re.compile(re.escape(SECTION_BEGIN) + r".*?" + re.escape(SECTION_END) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    report.write_text(text, encoding="utf-8")


def main() -> None:
    import os

    from scoring.validation.report import REPORT_FILE

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    v = run_validation()
    write_section(REPORT_FILE, render_section(v))
    print(f"wrote the predicted-parity section of {REPORT_FILE}")


if __name__ == "__main__":
    main()
