"""The configured judge measured against a strong judge: its verdicts on validation pairs,
generated once per judge configuration and prompt and kept in judge_verdicts.jsonl (so the
reports reproduce the figures without running the judge again), and `planb validate-judge`'s
figures from them.

    planb validate-judge [--limit 20]

The truth is the long-answer set's ``parity`` label (validation/build/longform_set.py: the
small answer at least as good as the large one, from GPT-4's MT-Bench grades or GPT-4-turbo's
AlpacaEval preferences), on the test split; pairs the strong judge's verdicts cannot label are
left out. Figures per set and overall: accuracy and Cohen's kappa of "score > 0.5" against it
(95% intervals: Wilson for shares, a bootstrap over requests for kappa), position bias (the
share of pairs whose preference flips with the order), unparsed replies, ties, and the cost per
pair (tokens, device-seconds).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.agreement.judge import JUDGE_PROMPT, ORDERS, judge_generator, run_judge
from scoring.config import ModelSpec
from scoring.validation.fit import proportion_ci
from scoring.validation.kappa import kappa_ci
from scoring.validation.sets import DOCS, read_jsonl

REPORT_FILE = DOCS / "JUDGE_VALIDATION.md"
# Verdicts under another prompt are another judge's: they are asked again.
PROMPT_VERSION = hashlib.sha256(JUDGE_PROMPT.encode()).hexdigest()[:8]
SETS = ("alpaca_eval", "mt_bench")


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return read_jsonl(path)


def _current(record: dict, judge_key: str) -> bool:
    return record["judge_key"] == judge_key and record.get("prompt") == PROMPT_VERSION


def request_text(row: dict) -> str:
    """The request as the judge sees it: a second turn keeps the user's earlier turns before it.

    Example:
        >>> request_text({"query": "And in French?", "context": [["Say hi", "Hi!"]]})
        '(earlier in the conversation, the user asked: Say hi)\\nAnd in French?'
    """
    earlier = [turn[0] for turn in row.get("context") or []]
    prefix = "".join(f"(earlier in the conversation, the user asked: {text})\n" for text in earlier)
    return prefix + row["query"]


def judge_missing(path: Path, spec: ModelSpec, rows: list[dict], *, cache_dir: str, max_answer_chars: int) -> int:
    """Ask the judge about the ``rows`` (pair_id, query, a = small answer, b = large answer) it
    has no verdict on yet under the current prompt; returns how many it was asked."""
    kept = _read(path)
    done = {r["pair_id"] for r in kept if _current(r, spec.model_key)}
    todo = [r for r in rows if r["pair_id"] not in done]
    if not todo:
        return 0
    run = run_judge([r["pair_id"] for r in todo], [request_text(r) for r in todo], [r["a"] for r in todo],
                    [r["b"] for r in todo], generate=judge_generator(spec, cache_dir),
                    max_answer_chars=max_answer_chars)
    outputs = {r.request_id: r for r in run.replay.results}
    kept = [r for r in kept if not (_current(r, spec.model_key) and r["pair_id"] in {t["pair_id"] for t in todo})]
    for i, row in enumerate(todo):
        calls = [outputs.get(f"{row['pair_id']}|{order}") for order in ORDERS]
        kept.append({
            "pair_id": row["pair_id"], "judge_key": spec.model_key, "judge": spec.name, "prompt": PROMPT_VERSION,
            **{f"{order}_output": c.output if c else None for order, c in zip(ORDERS, calls, strict=True)},
            **{f"{order}_preference": run.preferences[order][i] for order in ORDERS},
            "score": run.score[i], "chars_cut": run.chars_cut[i], "prompt_truncated": run.prompt_truncated[i],
            "prompt_tokens": sum(c.prompt_tokens for c in calls if c),
            "output_tokens": sum(c.output_tokens for c in calls if c),
            "seconds": round(sum(c.seconds for c in calls if c), 4), "device": run.replay.device})
    kept.sort(key=lambda r: (r["judge_key"], r["pair_id"]))
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    return len(todo)


def cached_verdicts(path: Path, judge_key: str, pair_ids: list[str]) -> list[dict] | None:
    """The judge's kept records for ``pair_ids`` in order, or None unless every one has one."""
    records = {r["pair_id"]: r for r in _read(path) if _current(r, judge_key)}
    if not pair_ids or any(p not in records for p in pair_ids):
        return None
    return [records[p] for p in pair_ids]


def cached_scores(path: Path, judge_key: str, pair_ids: list[str]) -> np.ndarray | None:
    """The judge's scores for ``pair_ids`` in order, or None unless every one has a verdict."""
    records = cached_verdicts(path, judge_key, pair_ids)
    return None if records is None else np.array([r["score"] for r in records], dtype=float)


def parity_rows(rows: list[dict], *, split: str = "test", per_set: int | None = None) -> list[dict]:
    """The long-answer set's pairs of ``split`` with a parity label, at most ``per_set`` of each
    set (a seeded choice by pair id hash, the same on every run).

    Example:
        >>> rows = [{"pair_id": f"p{i}", "set": "mt_bench", "split": "test", "parity": i % 2 == 0} for i in range(5)]
        >>> len(parity_rows(rows)), len(parity_rows(rows, per_set=2))
        (5, 2)
    """
    labelled = [r for r in rows if r["split"] == split and r.get("parity") is not None]
    chosen = []
    for name in sorted({r["set"] for r in labelled}):
        members = sorted((r for r in labelled if r["set"] == name),
                         key=lambda r: hashlib.sha256(r["pair_id"].encode()).hexdigest())
        chosen += members[:per_set] if per_set else members
    return chosen


@dataclass
class JudgeFigures:
    name: str  # the set, or "all"
    pairs: int
    truth_parity_share: float
    accuracy: tuple  # (value, 95% low, high)
    kappa: tuple
    position_bias: tuple  # share of pairs with a verdict in both orders whose preference flips
    unparsed_share: float  # of calls
    tie_share: float  # of parsed calls
    first_position_share: float | None  # of parsed, non-tie calls: the answer in position A preferred
    prompt_tokens_per_pair: float
    output_tokens_per_pair: float
    seconds_per_pair: float
    chars_cut_pairs: int  # pairs with an answer cut in the prompt
    truncated_pairs: int  # pairs whose prompt the engine cut to the judge's context


def figures(name: str, rows: list[dict], records: list[dict]) -> JudgeFigures:
    """The judge's figures on ``rows`` (with ``parity`` and ``request``) from its ``records``."""
    truth = np.array([r["parity"] for r in rows], dtype=bool)
    predicted = np.array([v["score"] > 0.5 for v in records], dtype=bool)
    pairs = [tuple(v[f"{o}_preference"] for o in ORDERS) for v in records]
    both = [(a, b) for a, b in pairs if a is not None and b is not None]
    calls = [p for pair in pairs for p in pair]
    parsed = [p for p in calls if p is not None]
    # Position A holds the small answer in small_first: "small" there and "large" in large_first.
    firsts = [(a == "small") for a, _ in pairs if a not in (None, "tie")] + \
             [(b == "large") for _, b in pairs if b not in (None, "tie")]
    n = len(rows)
    return JudgeFigures(
        name=name, pairs=n, truth_parity_share=float(truth.mean()) if n else float("nan"),
        accuracy=proportion_ci(int((predicted == truth).sum()), n),
        kappa=kappa_ci(predicted, truth, [r["request"] for r in rows]),
        position_bias=proportion_ci(sum(a != b for a, b in both), len(both)),
        unparsed_share=(len(calls) - len(parsed)) / len(calls) if calls else float("nan"),
        tie_share=parsed.count("tie") / len(parsed) if parsed else float("nan"),
        first_position_share=sum(firsts) / len(firsts) if firsts else None,
        prompt_tokens_per_pair=float(np.mean([v["prompt_tokens"] for v in records])),
        output_tokens_per_pair=float(np.mean([v["output_tokens"] for v in records])),
        seconds_per_pair=float(np.mean([v["seconds"] for v in records])),
        chars_cut_pairs=sum(v["chars_cut"] > 0 for v in records),
        truncated_pairs=sum(bool(v["prompt_truncated"]) for v in records))


def judge_figures(rows: list[dict], records: list[dict]) -> list[JudgeFigures]:
    """Per set, then over all pairs."""
    out = []
    for name in SETS:
        members = [i for i, r in enumerate(rows) if r["set"] == name]
        if members:
            out.append(figures(name, [rows[i] for i in members], [records[i] for i in members]))
    out.append(figures("all", rows, records))
    return out


def _ci(values: tuple, fmt: str = ".1%") -> str:
    value, low, high = values
    if value is None or value != value:
        return "n/a"
    if low is None or low != low:
        return f"{value:{fmt}}"
    return f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def render_report(spec: ModelSpec, figs: list[JudgeFigures], *, per_set: int | None, max_answer_chars: int) -> str:
    """docs/JUDGE_VALIDATION.md: the judge, how it was measured, its figures per set."""
    lines = [
        "# Judge validation", "",
        "Written by `planb validate-judge` (scoring/validation/judge_verdicts.py); the verdicts are kept in "
        "`validation/data/judge_verdicts.jsonl`, so running it again with the same judge and prompt "
        "only reproduces these figures.", "",
        f"Judge: **{spec.name}** ({spec.backend}, weights `{spec.weights or spec.api_model or spec.name}`, "
        f"{spec.dtype} on {spec.device}, at most {spec.max_new_tokens} new tokens, model_key `{spec.model_key}`), "
        f"prompt version `{PROMPT_VERSION}` (scoring/agreement/judge.py, MT-Bench's pairwise prompt asking for the "
        f"verdict only), answers cut at {max_answer_chars} characters (cuts recorded per pair).", "",
        "Truth: the long-answer validation set's `parity` label (validation/build/longform_set.py: is the "
        "small answer at least as good as the large one, from GPT-4's MT-Bench grades or GPT-4-turbo's "
        "AlpacaEval preferences), test split only, pairs the strong judge's verdicts cannot label left out"
        + ("" if not per_set else f"; at most {per_set} pairs per set, chosen by a seeded hash of the pair id")
        + ". The judge says parity when its score (the mean of both orders' verdicts: small better or "
        "tie 1, large better 0, no verdict 0.5) is above 0.5.", "",
        "| set | pairs | truth: parity | accuracy [95% CI] | Cohen's kappa [95% CI] | position bias [95% CI] "
        "| unparsed | ties | prefers position A | prompt tokens / pair | output tokens / pair | device-s / pair "
        "| answers cut | prompts truncated |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figs:
        first = "n/a" if f.first_position_share is None else f"{f.first_position_share:.1%}"
        lines.append(
            f"| {f.name} | {f.pairs} | {f.truth_parity_share:.1%} | {_ci(f.accuracy)} | {_ci(f.kappa, '.3f')} | "
            f"{_ci(f.position_bias)} | {f.unparsed_share:.1%} | {f.tie_share:.1%} | {first} | "
            f"{f.prompt_tokens_per_pair:,.0f} | {f.output_tokens_per_pair:.1f} | {f.seconds_per_pair:.2f} | "
            f"{f.chars_cut_pairs} | {f.truncated_pairs} |")
    lines += [
        "", "Position bias: the share of pairs, among those with a verdict in both orders, whose preferred "
        "model changes when the answers swap places; a judge that always prefers position A flips on every "
        "pair it does not call a tie. \"Prefers position A\": of the parsed verdicts that are not ties, the "
        "share that chose the answer shown first (0.5 for an unbiased judge). Device-seconds per pair are "
        "both orders' shares of their batches' wall time, on the device named above: on a shared machine "
        f"they include waiting for the cores (1-minute load average when this was written: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores).", "",
        "Reading it: a kappa whose interval holds 0 means the judge agrees with the strong judge no more "
        "than chance does, whatever its accuracy (the accuracy of always answering the majority label is "
        "the truth's parity share, or one minus it). The bundled models (135M and 270M parameters) are "
        "what runs on a CPU here, not judges one should deploy: configure a capable model as the judge "
        "(`agreement.judge.model`, e.g. a Llama-3-70B or GPT-4-class model behind the openai backend) and "
        "run `planb validate-judge` again; its verdicts are kept beside these, by model key.", "",
    ]
    return "\n".join(lines)
