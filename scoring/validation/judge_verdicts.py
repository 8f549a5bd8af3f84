"""The judge's verdicts on the validation set's test pairs, generated once per judge
configuration (``planb validate-agreement --judge``) and kept in judge_verdicts.jsonl, so the
report reproduces the judge's figures without running the judge again.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from scoring.config import ModelSpec
from scoring.judge import judge_generator, run_judge
from scoring.validation.questions import VALIDATION_DIR

JUDGE_FILE = VALIDATION_DIR / "judge_verdicts.jsonl"


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def judge_missing(path: Path, spec: ModelSpec, rows: list[dict], *, cache_dir: str, max_answer_chars: int) -> int:
    """Ask the judge about the ``rows`` it has no verdict on yet; returns how many it was asked."""
    kept = _read(path)
    done = {r["pair_id"] for r in kept if r["judge_key"] == spec.model_key}
    todo = [r for r in rows if r["pair_id"] not in done]
    if not todo:
        return 0
    run = run_judge([r["pair_id"] for r in todo], [r["query"] for r in todo], [r["a"] for r in todo],
                    [r["b"] for r in todo], generate=judge_generator(spec, cache_dir),
                    max_answer_chars=max_answer_chars)
    outputs = {r.request_id: r for r in run.replay.results}
    for i, row in enumerate(todo):
        first, second = outputs.get(f"{row['pair_id']}|small_first"), outputs.get(f"{row['pair_id']}|large_first")
        kept.append({"pair_id": row["pair_id"], "judge_key": spec.model_key, "judge": spec.name,
                     "a_first": first.output if first else None, "b_first": second.output if second else None,
                     "score": run.score[i],
                     "output_tokens": sum(r.output_tokens for r in (first, second) if r),
                     "seconds": round(sum(r.seconds for r in (first, second) if r), 4)})
    kept.sort(key=lambda r: (r["judge_key"], r["pair_id"]))
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    return len(todo)


def cached_scores(path: Path, judge_key: str, pair_ids: list[str]) -> np.ndarray | None:
    """The judge's scores for ``pair_ids`` in order, or None unless every one has a verdict."""
    scores = {r["pair_id"]: r["score"] for r in _read(path) if r["judge_key"] == judge_key}
    if not pair_ids or any(p not in scores for p in pair_ids):
        return None
    return np.array([scores[p] for p in pair_ids], dtype=float)
