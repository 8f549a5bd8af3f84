"""The Natural Questions open test split, read and ordered the same way on every machine."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from scoring.agreement.metrics import normalize_answer
from scoring.validation.sets import SEED, SHARED_DATA

DEFAULT_NQ_PATH = SHARED_DATA / "nq_open_test.jsonl"


def load_questions(path: Path = DEFAULT_NQ_PATH) -> list[dict]:
    """Every question with at least one gold answer that has a word in it, in a seeded hash order.

    Example:
        >>> load_questions()[0].keys()  # doctest: +SKIP
        dict_keys(['id', 'query', 'answers'])
    """
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} not found: pass the path of nq_open_test.jsonl")
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if not isinstance(record["answers"], list):  # 77 records hold a string: left out
            continue
        # Some NQ gold answers are debris ("[", "--"): keep those with a word in them.
        answers = [a.strip() for a in record["answers"] if normalize_answer(a)]
        if record["query"].strip() and answers:
            rows.append({"id": record["id"], "query": record["query"].strip(), "answers": answers})
    return sorted(rows, key=lambda r: hashlib.sha256(f"{SEED}:{r['id']}".encode()).hexdigest())
