"""Answers of the bundled small and large models to validation questions, generated once on
the CPU with the replay engine and kept in the repository (model_answers.jsonl), so building
the validation set never needs the models. A rerun keeps the answers the file holds for the
same model configurations and generates only the missing ones (the 300 took 30 minutes on 2
shared cores).

    python -m validation.build.model_answers [--nq PATH] [--questions 300]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scoring.config import load_config
from scoring.replay.engine import ReplayRequest, replay
from scoring.replay.weights import load_causal_lm
from scoring.validation.sets import MODEL_ANSWERS_FILE
from validation.build.nq_questions import DEFAULT_NQ_PATH, load_questions

QUESTIONS = 300


def _kept(out: Path, keys: dict) -> dict[str, dict]:
    """Answers already in ``out`` from the same model configurations: never generated again."""
    if not out.exists():
        return {}
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r for r in rows if r["models"] == keys}


def generate(nq_path: Path, n_questions: int, out: Path) -> None:
    """Replay the first ``n_questions`` (seeded order) through both default models, reusing the
    answers ``out`` already holds for the same model keys."""
    cfg = load_config(None)
    questions = load_questions(nq_path)[:n_questions]
    keys = {role: {"name": cfg.models[role].name, "model_key": cfg.models[role].model_key}
            for role in ("small", "large")}
    kept = _kept(out, keys)
    todo = [q for q in questions if q["id"] not in kept]
    outputs: dict[str, dict[str, str | None]] = {q["id"]: {} for q in todo}
    for role in ("small", "large") if todo else ():
        spec = cfg.models[role]
        model, tokenizer = load_causal_lm(spec.weights, spec.dtype, spec.device, str(cfg.model_cache_dir))
        run = replay(spec, [ReplayRequest(q["id"], q["query"]) for q in todo], model=model, tokenizer=tokenizer)
        for result in run.results:
            outputs[result.request_id][role] = result.output
        print(f"{role}: {len(run.results)} answers, {sum(b.seconds for b in run.batches):.0f} s", flush=True)
    with out.open("w", encoding="utf-8") as handle:
        for q in questions:
            answers = kept.get(q["id"]) or outputs[q["id"]]
            handle.write(json.dumps({**q, "small": answers.get("small"), "large": answers.get("large"),
                                     "models": keys}, ensure_ascii=False) + "\n")
    print(f"{len(questions) - len(todo)} questions kept, {len(todo)} answered now -> {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nq", type=Path, default=DEFAULT_NQ_PATH)
    parser.add_argument("--questions", type=int, default=QUESTIONS)
    parser.add_argument("--out", type=Path, default=MODEL_ANSWERS_FILE)
    args = parser.parse_args(argv)
    generate(args.nq, args.questions, args.out)


if __name__ == "__main__":
    main()
