"""Labelled long-answer validation sets from ../shared/data/longform/ (real answers of a smaller
and a larger model with a strong judge's verdicts; Apache-2.0, see NOTICE).

    python -m validation.build.longform_set [--longform ../shared/data/longform]

How verdicts become labels (one pair: the small model's answer and the large one's to the same
request):

- **mt_bench**, math and reasoning (questions 101-120, graded 1-10 by GPT-4 against a reference
  answer): ``same_answer`` is the truth. Both grades >= 7: both reach the reference's answer, so
  the same one (True). One >= 7 and the other <= 3: one reaches it and the other does not (False).
  Both <= 6 (both wrong: the same wrong answer or two different ones cannot be told), or a grade
  of 4-6 (partial credit) beside a high one: not labelled.
- **mt_bench**, the other categories (writing, roleplay, extraction, STEM, humanities, coding,
  graded without a reference): ``parity`` (the small answer at least as good as the large one)
  is True when the small grade is at least the large grade less 1, False when it is 3 or more
  below, and not labelled at a difference of 2.
- **alpaca_eval** (GPT-4-turbo's preference of each answer over the same reference answer, in
  [1, 2]): ``parity`` True when the small answer's preference is at least the large one's less
  0.1, or when both are >= 1.9 (both clearly beat the reference); False when it is 0.3 or more
  below; not labelled in between, or when both are <= 1.1 (both clearly lose to the reference,
  which then cannot order them). One of the five model pairs per instruction, chosen by a
  seeded hash, so the instructions are not repeated five times.

Every pair keeps its source's verdicts. Requests, not pairs, are split: an MT-Bench question
(both turns) or an AlpacaEval instruction goes wholly to ``fit`` or ``test`` by a seeded hash.
The second turn of an MT-Bench question is asked with its first turn before it (``context``),
but the question of the pair is the second turn's own text, as a log holds it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from scoring.validation.sets import LONGFORM_SET_FILE, REFERENCE_GRADED, SEED, SHARED_DATA

DEFAULT_LONGFORM_DIR = SHARED_DATA / "longform"
MT_BENCH_CATEGORIES = {  # MT-Bench's question ids by category
    "writing": range(81, 91), "roleplay": range(91, 101), "reasoning": range(101, 111),
    "math": range(111, 121), "coding": range(121, 131), "extraction": range(131, 141),
    "stem": range(141, 151), "humanities": range(151, 161),
}


def split_of(request_key: str) -> str:
    """``fit`` or ``test`` for a request, by a seeded hash of its key.

    Example:
        >>> split_of("mt_bench:101") in ("fit", "test")
        True
    """
    digest = hashlib.sha256(f"{SEED}:longform-split:{request_key}".encode()).digest()
    return "fit" if digest[0] % 2 == 0 else "test"


def mt_bench_category(question_id: int) -> str:
    """MT-Bench's category of a question id.

    Example:
        >>> mt_bench_category(115)
        'math'
    """
    return next(name for name, ids in MT_BENCH_CATEGORIES.items() if question_id in ids)


def same_answer_label(small_grade: float, large_grade: float) -> bool | None:
    """Same final answer, from two grades against a reference answer (module docstring).

    Example:
        >>> same_answer_label(10, 9), same_answer_label(2, 10), same_answer_label(2, 2), same_answer_label(5, 10)
        (True, False, None, None)
    """
    high_small, high_large = small_grade >= 7, large_grade >= 7
    if high_small and high_large:
        return True
    if (high_small and large_grade <= 3) or (high_large and small_grade <= 3):
        return False
    return None


def grade_parity_label(small_grade: float, large_grade: float) -> bool | None:
    """Quality parity from two 1-10 grades (module docstring).

    Example:
        >>> grade_parity_label(9, 10), grade_parity_label(6, 10), grade_parity_label(8, 10)
        (True, False, None)
    """
    gap = large_grade - small_grade
    if gap <= 1:
        return True
    if gap >= 3:
        return False
    return None


def preference_parity_label(small_pref: float, large_pref: float) -> bool | None:
    """Quality parity from two preferences over the same reference, in [1, 2] (module docstring).

    Example:
        >>> preference_parity_label(1.5, 1.55), preference_parity_label(1.2, 1.8), preference_parity_label(1.02, 1.08)
        (True, False, None)
    """
    if small_pref <= 1.1 and large_pref <= 1.1:
        return None
    if (small_pref >= 1.9 and large_pref >= 1.9) or small_pref >= large_pref - 0.1:
        return True
    if small_pref <= large_pref - 0.3:
        return False
    return None


def mt_bench_rows(path: Path) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        category = mt_bench_category(int(r["question_id"]))
        graded = category in REFERENCE_GRADED
        small, large = float(r["small_grade"]), float(r["large_grade"])
        out.append({
            "pair_id": f"mt_bench:{r['question_id']}:{r['turn']}", "set": "mt_bench",
            "request": f"mt_bench:{r['question_id']}", "split": split_of(f"mt_bench:{r['question_id']}"),
            "category": category, "query": r["question"], "context": r["context"],
            "a": r["small_answer"], "b": r["large_answer"],
            "a_model": r["small_model"], "b_model": r["large_model"],
            "verdicts": {"small_grade": small, "large_grade": large},
            "same_answer": same_answer_label(small, large) if graded else None,
            "parity": grade_parity_label(small, large),
        })
    return out


def alpaca_eval_rows(path: Path) -> list[dict]:
    by_instruction: dict[str, list[dict]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        by_instruction.setdefault(r["instruction"], []).append(r)
    out = []
    for instruction, rows in by_instruction.items():
        key = hashlib.sha256(instruction.encode()).hexdigest()[:12]
        rows = sorted(rows, key=lambda r: (r["small_model"], r["large_model"]))
        pick = rows[hashlib.sha256(f"{SEED}:alpaca-pick:{key}".encode()).digest()[0] % len(rows)]
        small, large = float(pick["small_preference_vs_reference"]), float(pick["large_preference_vs_reference"])
        out.append({
            "pair_id": f"alpaca_eval:{key}", "set": "alpaca_eval", "request": f"alpaca_eval:{key}",
            "split": split_of(f"alpaca_eval:{key}"), "category": pick["dataset"], "query": instruction,
            "context": [], "a": pick["small_answer"], "b": pick["large_answer"],
            "a_model": pick["small_model"], "b_model": pick["large_model"],
            "verdicts": {"small_preference_vs_reference": small, "large_preference_vs_reference": large},
            "same_answer": None, "parity": preference_parity_label(small, large),
        })
    return out


def build(longform_dir: Path = DEFAULT_LONGFORM_DIR, out: Path = LONGFORM_SET_FILE) -> int:
    """Write the labelled long-answer set; returns its number of pairs."""
    missing = [n for n in ("mt_bench_pairs.jsonl", "alpaca_eval_pairs.jsonl") if not (longform_dir / n).exists()]
    if missing:
        raise FileNotFoundError(f"{longform_dir}: {', '.join(missing)} not found (pass --longform)")
    rows = mt_bench_rows(longform_dir / "mt_bench_pairs.jsonl") + alpaca_eval_rows(longform_dir / "alpaca_eval_pairs.jsonl")
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--longform", type=Path, default=DEFAULT_LONGFORM_DIR)
    args = parser.parse_args(argv)
    print(f"wrote {build(args.longform)} pairs to {LONGFORM_SET_FILE}")


if __name__ == "__main__":
    main()
