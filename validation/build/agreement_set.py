"""Build the agreement validation set: pairs of answers to the same Natural Questions question
whose truth is known from the gold answers.

    python -m validation.build.agreement_set [--nq ../shared/data/nq_open_test.jsonl]

Truth: a pair should agree when both answers contain the same gold answer, and disagree when
exactly one contains a gold answer (pairs where neither does, or where the two contain
different gold answers of an ambiguous question, are left out). "Contains" is the Natural
Questions open-domain match on normalised tokens; a rewording contains its gold answer by
construction, whatever format it is written in.

Pairs, per question:
- model_vs_rewording: a bundled model's answer (model_answers.jsonl) against a rewording of the
  gold answer. Every right answer is kept; of the wrong ones, one model per question.
- model_vs_model: the small model's answer against the large one's, when at least one is right.
- rewording_vs_rewording (questions the models did not answer): two rewordings of the same gold
  answer in different templates or formats, so they agree.
- rewording_vs_near_miss (a share of those questions): a rewording of the gold answer against
  a near miss (a year moved by a few years, a number moved, or another question's answer of the
  same kind), half the time in the very same template.

Each question goes wholly to the ``fit`` split (thresholds are chosen there) or the ``test``
split (precision and recall are reported there), by a seeded hash of its id. Same inputs, same
file, byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

from scoring.validation.sets import AGREEMENT_SET_FILE, MODEL_ANSWERS_FILE, SEED
from validation.build.nq_questions import DEFAULT_NQ_PATH, load_questions
from validation.build.paraphrase import answer_kind, contains, contains_any, near_miss, reword, tidy

REWORDED_QUESTIONS = 320  # questions the models did not answer, for rewording pairs
NEAR_MISS_SHARE = 0.6  # of those, the share that also get a near-miss pair


def _rng(*parts: str) -> random.Random:
    return random.Random(hashlib.sha256(":".join((SEED, *parts)).encode()).hexdigest())


def _split(question_id: str) -> str:
    digest = hashlib.sha256(f"{SEED}:split:{question_id}".encode()).digest()
    return "fit" if digest[0] % 2 == 0 else "test"


def _gold_hit(text: str | None, gold: list[str]) -> str | None:
    return next((g for g in gold if contains(text, g)), None)


def _model_pairs(record: dict) -> Iterator[tuple[str, str, str, str, str, bool]]:
    """(kind, a, a_source, b, b_source, agree) for one question the models answered."""
    rng = _rng("model", record["id"])
    gold, query = record["answers"], record["query"]
    hits = {role: _gold_hit(record[role], gold) for role in ("small", "large")}
    wrong_kept = rng.choice(("small", "large"))
    for role in ("small", "large"):
        if record[role] is None or (hits[role] is None and role != wrong_kept):
            continue
        target = hits[role] or gold[0]
        yield ("model_vs_rewording", record[role], role, reword(target, query, rng), "rewording",
               hits[role] is not None)
    small, large = hits["small"], hits["large"]
    if (small is None) != (large is None) or (small is not None and small == large):
        yield ("model_vs_model", record["small"], "small", record["large"], "large",
               small is not None and large is not None)


def _rewording_pairs(record: dict, others: dict[str, list[str]]) -> Iterator[tuple[str, str, str, str, str, bool]]:
    rng = _rng("rewording", record["id"])
    gold, query = tidy(record["answers"][0]), record["query"]
    first = reword(gold, query, rng)
    for _ in range(20):  # a different wording of the same answer
        second = reword(gold, query, rng)
        if second != first:
            yield "rewording_vs_rewording", first, "rewording", second, "rewording", True
            break
    if rng.random() < NEAR_MISS_SHARE:
        pool = [o for o in others[answer_kind(gold)] if o != gold]
        miss = near_miss(gold, record["answers"], pool, rng)
        if miss is not None:
            same_template = rng.random() < 0.5
            seed = rng.getrandbits(32)
            right = reword(gold, query, random.Random(seed))
            wrong = reword(miss, query, random.Random(seed) if same_template else rng)
            if contains_any(wrong, record["answers"]):  # the question itself names a gold answer
                wrong = reword(miss, query, rng, restating=False)
            yield "rewording_vs_near_miss", right, "rewording", wrong, "near_miss", False


def build(nq_path: Path = DEFAULT_NQ_PATH, answers_path: Path = MODEL_ANSWERS_FILE) -> list[dict]:
    """Every validation pair, in a fixed order."""
    questions = load_questions(nq_path)
    answered = [json.loads(line) for line in answers_path.read_text(encoding="utf-8").splitlines()]
    answered_ids = {r["id"] for r in answered}
    reworded = [q for q in questions if q["id"] not in answered_ids][:REWORDED_QUESTIONS]
    others: dict[str, list[str]] = {"year": [], "number": [], "text": []}
    for q in questions[-600:]:  # distractors come from questions used nowhere else
        others[answer_kind(q["answers"][0])].append(q["answers"][0])
    rows = []
    for source, records, pairs in (("model", answered, _model_pairs),
                                   ("rewording", reworded, lambda r: _rewording_pairs(r, others))):
        for record in records:
            for n, (kind, a, a_source, b, b_source, agree) in enumerate(pairs(record)):
                rows.append({
                    "pair_id": f"{record['id']}:{source}:{n}", "question_id": record["id"],
                    "split": _split(record["id"]), "kind": kind, "query": record["query"],
                    "gold": record["answers"], "a": a, "a_source": a_source, "b": b,
                    "b_source": b_source, "agree": agree,
                })
    return rows


def write(rows: list[dict], out: Path = AGREEMENT_SET_FILE) -> None:
    with out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nq", type=Path, default=DEFAULT_NQ_PATH)
    parser.add_argument("--answers", type=Path, default=MODEL_ANSWERS_FILE)
    parser.add_argument("--out", type=Path, default=AGREEMENT_SET_FILE)
    args = parser.parse_args(argv)
    rows = build(args.nq, args.answers)
    write(rows, args.out)
    agree = sum(r["agree"] for r in rows)
    print(f"{len(rows)} pairs ({agree} agree, {len(rows) - agree} disagree) -> {args.out}")


if __name__ == "__main__":
    main()
