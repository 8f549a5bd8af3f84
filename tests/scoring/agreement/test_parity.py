"""The default parity predictor: every pair of a table, open or not, gets a probability from the
committed fit, through score_pair_table as through the predictor called directly; a fit whose
features are not the code's is refused; the fit is part of the scoring_version."""

import json
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from scoring.agreement.parity import (
    FEATURES,
    PARITY_FIT_FILE,
    load_parity_fit,
    parity_fit_digest,
    parity_probability,
    predict_parity,
)
from scoring.agreement.table import score_pair_table
from scoring.config import load_config

FIXTURE = Path(__file__).parents[2] / "assets" / "cli" / "fixtures" / "score_pairs" / "pairs.jsonl"


def _pairs() -> pl.DataFrame:
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    return pl.DataFrame({"request_id": [r["id"] for r in rows], "question": [r["question"] for r in rows],
                         "small_answer": [r["small_answer"] for r in rows], "large_answer": [r["large_answer"] for r in rows]})


def test_every_pair_gets_a_probability_even_the_unscored_ones():
    table = score_pair_table(_pairs(), load_config(None), judge=False).table
    p = table["p_parity"]
    assert p.null_count() == 0 and p.dtype == pl.Float64
    assert ((p > 0) & (p < 1)).all()
    unscored = table.filter(pl.col("agree").is_null())
    assert unscored.height > 0 and unscored["p_parity"].null_count() == 0
    # not one constant: the features move it
    assert p.std() > 0.01


def test_the_table_says_what_the_predictor_says_on_its_own():
    pairs = _pairs()
    cfg = load_config(None)
    table = score_pair_table(pairs, cfg, judge=False).table
    metrics = {name: table[name].to_list() for name in FEATURES[:5]}
    direct = predict_parity(pairs["question"].to_list(), pairs["small_answer"].to_list(),
                            pairs["large_answer"].to_list(), metrics, table["kind"].to_list(), device="cpu")
    np.testing.assert_allclose(table["p_parity"].to_numpy(), direct, atol=1e-9)


def test_a_short_decline_scores_below_a_near_copy():
    question = "Explain how vaccines train the immune system."
    large = ("Vaccines expose the immune system to a harmless piece or weakened form of a pathogen.\n"
             "B cells learn to make antibodies and memory cells remain, so a later infection is met quickly.")
    declined = "I'm sorry, but I can't help with that."
    table = score_pair_table(pl.DataFrame({"request_id": ["a", "b"], "question": [question, question],
                                           "small_answer": [large.replace("quickly", "fast"), declined],
                                           "large_answer": [large, large]}), load_config(None), judge=False).table
    kept, refused = table["p_parity"].to_list()
    assert refused < kept


def test_a_fit_of_other_features_is_refused(tmp_path):
    fit = json.loads(PARITY_FIT_FILE.read_text(encoding="utf-8"))
    fit["features"] = [*fit["features"], "no_such_feature"]
    other = tmp_path / "fit.json"
    other.write_text(json.dumps(fit), encoding="utf-8")
    with pytest.raises(ValueError, match="refit with python -m validation.build.parity_fit"):
        load_parity_fit(other)


def test_the_committed_fit_matches_the_features_and_is_in_the_scoring_version(tmp_path):
    fit = load_parity_fit()
    assert len(fit["coef"]) == len(fit["mean"]) == len(fit["scale"]) == len(fit["features"])
    average = np.zeros((1, len(FEATURES)))
    average[0, [FEATURES.index(name) for name in fit["features"]]] = fit["mean"]
    assert 0.5 < parity_probability(average, fit)[0] < 0.95  # the average pair: near the base rate
    changed = tmp_path / "fit.json"
    changed.write_text(json.dumps({**fit, "intercept": fit["intercept"] + 1}), encoding="utf-8")
    assert parity_fit_digest(changed) != parity_fit_digest()


def test_the_features_the_fit_uses_are_the_same_computed_alone_or_with_all():
    from scoring.agreement.embedding import load_embedder
    from scoring.agreement.pairs import score_pairs
    from scoring.agreement.parity import PARITY_EMBEDDER, parity_features
    from scoring.agreement.rule import rule_from_config

    pairs = _pairs()
    cfg = load_config(None)
    embedder = load_embedder(PARITY_EMBEDDER, "cpu")
    args = [pairs[c].to_list() for c in ("question", "small_answer", "large_answer")]
    metrics = score_pairs(args[1], args[2], embedder=embedder, rule=rule_from_config(cfg.agreement), questions=args[0])
    every = parity_features(*args, metrics, metrics["kind"], embedder=embedder)
    assert every.shape == (pairs.height, len(FEATURES)) and np.isfinite(every).all()
    for names in (load_parity_fit()["features"], ["cos_answers", "small_declines", "exact"]):
        alone = parity_features(*args, metrics, metrics["kind"], embedder=embedder, names=names)
        np.testing.assert_array_equal(alone, every[:, [FEATURES.index(n) for n in names]])


def test_a_configured_judge_s_verdict_is_the_prediction_where_it_was_asked():
    """Issue 23: a configured judge replaces the predictor on the pairs it judged (the bundled
    small model as the judge, asked about the open pairs), and the predictor stands elsewhere."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    pairs = _pairs()
    cfg = load_config(None, agreement={"judge": {"enabled": True, "model": "small", "max_new_tokens": 4}})
    table = score_pair_table(pairs, cfg).table
    asked = table["judge"].is_not_null()
    assert asked.any() and not asked.all()
    np.testing.assert_allclose(table.filter(asked)["p_parity"].to_numpy(), table.filter(asked)["judge"].to_numpy())
    alone = score_pair_table(pairs, load_config(None), judge=False).table
    np.testing.assert_allclose(table.filter(~asked)["p_parity"].to_numpy(), alone.filter(~asked)["p_parity"].to_numpy(),
                               atol=1e-9)
