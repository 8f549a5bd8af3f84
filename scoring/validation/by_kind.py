"""The whole label (``score_pairs``: kinds, short rule, cores, unscored open pairs) measured on
every validation set, per set and per kind of answer: precision and recall (Wilson 95%) and
Cohen's kappa (bootstrap over requests, 95%) on the pairs that have both a truth and a label,
and the share of truth-labelled pairs the label covers.

Sets and their truth:
- ``nq``: the Natural Questions set (agreement_set.jsonl): both answers hold the same gold answer.
- ``mt_bench_reference``: MT-Bench's math and reasoning pairs, graded against a reference
  answer: the same final answer (``same_answer``);
- ``mt_bench_other``: MT-Bench's other categories: quality parity (``parity``)
  (longform_set.py says how grades become labels).
- ``alpaca_eval``: quality parity from two preferences over one reference.
- ``svamp``: SVAMP math word problems answered directly and step by step (worked_set.jsonl):
  both answers reach the same final number (``same_answer``);
- ``csqa``: CommonsenseQA questions with their options: both answers pick the same option
  (worked_set.py says how the source's parsed finals, read again by eye where its parser and
  the text disagree, become labels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from scoring.agreement.final import boxed
from scoring.agreement.kind import CORE, KINDS, OPEN
from scoring.agreement.pairs import IDENTICAL, JUDGE, ONE_EMPTY, UNSCORED, score_pairs
from scoring.agreement.rule import AgreementRule
from scoring.validation.fit import LabelQuality, label_quality
from scoring.validation.kappa import kappa_ci
from scoring.validation.sets import REFERENCE_GRADED, load_longform_set, load_set, load_worked_set

SETS = ("nq", "mt_bench_reference", "mt_bench_other", "alpaca_eval", "svamp", "csqa")
WORKED_SETS = ("svamp", "csqa")
ENTITY_GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)
TOLERANCE_GRID = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02)
# Labels a threshold on a lexical metric never makes (open pairs may only carry these).
NOT_LEXICAL = (UNSCORED, JUDGE, IDENTICAL, ONE_EMPTY)


def validation_rows() -> list[dict]:
    """Every pair of every set, with ``set``, ``request`` (the unit of the split and of the
    bootstrap), ``split``, ``query``, ``a``, ``b``, ``truth`` (bool or None) and ``truth_kind``.

    Example:
        >>> {r["set"] for r in validation_rows()} == set(SETS)  # doctest: +SKIP
        True
    """
    rows = [{"set": "nq", "pair_id": r["pair_id"], "request": r["question_id"], "split": r["split"],
             "query": r["query"], "a": r["a"], "b": r["b"], "truth": bool(r["agree"]),
             "truth_kind": "same gold answer"} for r in load_set()]
    for r in load_longform_set():
        same = r["set"] == "mt_bench" and r["category"] in REFERENCE_GRADED
        set_name = r["set"] if r["set"] != "mt_bench" else "mt_bench_reference" if same else "mt_bench_other"
        rows.append({"set": set_name, "pair_id": r["pair_id"], "request": r["request"], "split": r["split"],
                     "query": r["query"], "a": r["a"], "b": r["b"],
                     "truth": r["same_answer"] if same else r["parity"],
                     "truth_kind": "same final answer" if same else "quality parity"})
    rows += [{"set": r["set"], "pair_id": r["pair_id"], "request": r["request"], "split": r["split"],
              "query": r["query"], "a": r["a"], "b": r["b"], "truth": r["same_answer"],
              "truth_kind": "same final answer",
              "source_truth": r["source_finals"][0] == r["source_finals"][1]} for r in load_worked_set()]
    return rows


def unboxed(text: str) -> str:
    """``text`` with every ``\\boxed{..}`` replaced by its content: the conclusion as a model
    that marks nothing would write it.

    Example:
        >>> unboxed("So the answer is \\\\boxed{51}.")
        'So the answer is 51.'
    """
    for at, content in reversed(boxed(text)):
        text = text[:at] + content + text[text.index("{", at) + len(content) + 2:]
    return text


def unboxed_rows(rows: list[dict], *, split: str = "test") -> list[dict]:
    """The worked sets' ``split`` pairs with their boxes removed, as sets ``<set>_unboxed``: a
    check of the reading of conclusions, where most answers in these sets mark a boxed answer."""
    return [dict(r, set=f"{r['set']}_unboxed", a=unboxed(r["a"]), b=unboxed(r["b"]))
            for r in rows if r["set"] in WORKED_SETS and r["split"] == split]


def score_rows(rows: list[dict], *, embedder, rule: AgreementRule) -> dict[str, list]:
    """``score_pairs`` over the rows, as the pipeline scores them (no judge)."""
    return score_pairs([r["a"] for r in rows], [r["b"] for r in rows], embedder=embedder, rule=rule,
                       questions=[r["query"] for r in rows])


@dataclass(frozen=True)
class KindQuality:
    set: str
    kind: str
    pairs: int
    with_truth: int
    labelled: int  # with a truth and a label
    quality: LabelQuality
    kappa: tuple[float, float, float]
    lexical_open: int  # open pairs labelled by a lexical threshold: must be 0

    @property
    def coverage(self) -> float | None:
        return self.labelled / self.with_truth if self.with_truth else None

    def as_dict(self) -> dict:
        q = self.quality
        return {"set": self.set, "kind": self.kind, "pairs": self.pairs, "with_truth": self.with_truth,
                "labelled": self.labelled, "tp": q.tp, "fp": q.fp, "fn": q.fn,
                "precision": _r(q.precision), "recall": _r(q.recall), "kappa": _r(self.kappa),
                "lexical_open": self.lexical_open}


def _r(triple) -> list[float | None]:
    return [None if x is None or not np.isfinite(x) else round(float(x), 4) for x in triple]


def quality_by_kind(rows: list[dict], scored: dict[str, list], *, split: str = "test",
                    sets: tuple[str, ...] = SETS, truth: str = "truth") -> list[KindQuality]:
    """Per set and per kind (and "all"), on ``split``: the figures of ``KindQuality`` (``truth``:
    the rows' key that holds it)."""
    out = []
    for set_name in sets:
        for kind in (*KINDS, "all"):
            idx = [i for i, r in enumerate(rows) if r["split"] == split and r["set"] == set_name
                   and (kind == "all" or scored["kind"][i] == kind)]
            if not idx:
                continue
            with_truth = [i for i in idx if rows[i].get(truth) is not None]
            both = [i for i in with_truth if scored["agree"][i] is not None]
            predicted = np.array([scored["agree"][i] for i in both], bool)
            truths = np.array([rows[i][truth] for i in both], bool)
            lexical_open = sum(1 for i in idx if scored["kind"][i] == OPEN
                               and scored["decided_by"][i] not in NOT_LEXICAL)
            out.append(KindQuality(set_name, kind, len(idx), len(with_truth), len(both),
                                   label_quality(predicted, truths),
                                   kappa_ci(predicted, truths, [rows[i]["request"] for i in both]),
                                   lexical_open))
    return out


def _fit_setting(rows: list[dict], scored: dict[str, list], rule: AgreementRule, *, field: str, grid,
                 decided: Callable[[str], bool], prefer: float) -> float:
    """The value of ``field`` in ``grid`` with the fewest wrong labels on the fit split's core
    pairs that ``decided`` selects by their decided_by (ties: the one nearest ``prefer``)."""
    from scoring.agreement.pairs import core_label

    idx = [i for i, r in enumerate(rows) if r["split"] == "fit" and r["truth"] is not None
           and scored["kind"][i] == CORE and decided(scored["decided_by"][i])]
    best, best_wrong = getattr(rule, field), None
    for value in sorted(grid, key=lambda t: abs(t - prefer)):
        trial = replace(rule, **{field: float(value)})
        wrong = sum(core_label(rows[i]["query"], rows[i]["a"], rows[i]["b"], trial)[0] != rows[i]["truth"]
                    for i in idx)
        if best_wrong is None or wrong < best_wrong:
            best, best_wrong = float(value), wrong
    return best


def fit_core_entity_threshold(rows: list[dict], scored: dict[str, list], rule: AgreementRule) -> float:
    """The entity threshold with the fewest wrong labels on the fit split's core pairs decided
    by an entity's words (ties: the one nearest 0.5)."""
    return _fit_setting(rows, scored, rule, field="core_entity_threshold", grid=ENTITY_GRID,
                        decided=lambda d: d == "core:entity", prefer=0.5)


def fit_core_number_tolerance(rows: list[dict], scored: dict[str, list], rule: AgreementRule) -> float:
    """The relative tolerance of decimal and fractional final answers with the fewest wrong
    labels on the fit split's core pairs decided by a final answer (ties: nearest 0.5%)."""
    return _fit_setting(rows, scored, rule, field="core_number_tolerance", grid=TOLERANCE_GRID,
                        decided=lambda d: d.startswith("final:"), prefer=0.005)


def _pct(triple) -> str:
    value, lo, hi = triple
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.2f} [{lo:.2f}, {hi:.2f}]" if np.isfinite(lo) else f"{value:.2f}"


def by_kind_table(figures: list[KindQuality]) -> str:
    """Markdown: per set and kind, pairs, coverage, precision, recall and kappa with 95% CIs."""
    lines = ["| set | kind | pairs | with a truth | labelled (coverage) | precision [95% CI] | "
             "recall [95% CI] | kappa [95% CI] |", "|---|---|---|---|---|---|---|---|"]
    for f in figures:
        coverage = "" if f.coverage is None else f" ({f.coverage:.0%})"
        lines.append(f"| {f.set} | {f.kind} | {f.pairs} | {f.with_truth} | {f.labelled}{coverage} | "
                     f"{_pct(f.quality.precision)} | {_pct(f.quality.recall)} | {_pct(f.kappa)} |")
    return "\n".join(lines)
