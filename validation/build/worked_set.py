"""Labelled worked-solution and option-answer validation sets from ../shared/data/worked/ (real
answers of two models to the same question, each with the final answer its source's parser read
and whether it was right; Tebmer/Rereading-LLM-Reasoning, Apache-2.0, see NOTICE).

    python -m validation.build.worked_set [--worked ../shared/data/worked]

- **svamp** (1,000 math word problems): GPT-4o-mini answering directly against the same model
  step by step.
- **csqa** (CommonsenseQA, 1,221 questions x 4 ways of asking, options in the question):
  GPT-3.5-turbo against GPT-4o-mini, both asked the same way.

Truth (``same_answer``): both answers reach the same final answer. An answer's final answer is
the one its source's parser read (``*_final``), except where that parser read the text wrongly:
``worked_corrections.tsv`` (beside the set) lists every answer whose text was read by eye
because the parser and the text disagree, with the text's final answer: a number or option
letter, ``hedge:B,E`` (the answer names several options as its answer), ``none`` (it names
none: a refusal, "we cannot determine", a question back) or ``text:..`` (a final answer that is
none of the options, "None of the above"). Numbers are compared as exact values; options by
letter, two options of the same text ("(A) mortal", "(E) mortal") counting as one. A pair where
exactly one answer has a single final answer does not agree; a pair where neither has one is
not labelled.

Each question goes wholly to ``fit`` or ``test`` by the seeded hash the long-answer sets use
(a CommonsenseQA question's four ways of asking together). Same inputs, same file, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import re
from fractions import Fraction
from pathlib import Path

from scoring.agreement.metrics import normalize_answer
from scoring.validation.sets import DATA_DIR, SHARED_DATA, WORKED_SET_FILE, read_jsonl
from validation.build.longform_set import split_of

DEFAULT_WORKED_DIR = SHARED_DATA / "worked"
CORRECTIONS_FILE = DATA_DIR / "worked_corrections.tsv"
SOURCES = (("svamp", "svamp_pairs.jsonl"), ("csqa", "commonsenseqa_pairs.jsonl"))
NONE = "none"  # an answer with no single final answer (read as ``none`` or ``hedge:..``)
_OPTION = re.compile(r"^\(([A-E])\)\s*(.+?)\s*$", re.MULTILINE)


def load_corrections(path: Path = CORRECTIONS_FILE) -> dict[tuple[str, str], tuple[str, str]]:
    """(row id, "small" / "large") -> (the text's final answer, why the parser's reading is wrong)."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        row_id, side, _source, text_final, note = line.split("\t")
        out[(row_id, side)] = (text_final, note)
    return out


def canonical_letters(question: str) -> dict[str, str]:
    """Option letter -> the first letter with the same option text (duplicated options are one).

    Example:
        >>> canonical_letters("Who?\\n(A) mortal\\n(B) dead\\n(C) Mortal")
        {'A': 'A', 'B': 'B', 'C': 'A'}
    """
    first: dict[str, str] = {}
    out = {}
    for letter, text in _OPTION.findall(question):
        out[letter] = first.setdefault(normalize_answer(text), letter)
    return out


def final_value(final: str, set_name: str, question: str) -> object:
    """A final answer as a comparable value: a Fraction (svamp), a canonical option letter or a
    ``text:`` answer (csqa), or NONE for ``none`` and ``hedge:..``.

    Example:
        >>> final_value("1/332", "svamp", ""), final_value("hedge:B,E", "csqa", "")
        (Fraction(1, 332), 'none')
    """
    if final == NONE or final.startswith("hedge:"):
        return NONE
    if final.startswith("text:"):
        return "text:" + normalize_answer(final[5:])
    if set_name == "svamp":
        return Fraction(final)
    return canonical_letters(question).get(final, final)


def same_answer(a: object, b: object) -> bool | None:
    """The truth of a pair from its two final answers (module docstring).

    Example:
        >>> same_answer(Fraction(3), Fraction(3)), same_answer("A", NONE), same_answer(NONE, NONE)
        (True, False, None)
    """
    if a == NONE and b == NONE:
        return None
    return a == b


def rows_of(set_name: str, path: Path, corrections: dict) -> list[dict]:
    out = []
    for r in read_jsonl(path):
        request = r["id"] if set_name == "svamp" else r["id"].split("-r")[0]
        finals, notes = [], []
        for side in ("small", "large"):
            final, note = corrections.get((r["id"], side), (str(r[f"{side}_final"]), None))
            finals.append(final)
            if note:
                notes.append(f"{side}: parser read {r[f'{side}_final']!r}, the text {final!r} ({note})")
        values = [final_value(f, set_name, r["question"]) for f in finals]
        out.append({
            "pair_id": f"{set_name}:{r['id']}", "set": set_name, "request": f"{set_name}:{request}",
            "split": split_of(f"{set_name}:{request}"), "query": r["question"],
            "a": r["small_answer"], "b": r["large_answer"], "a_model": r["small_model"], "b_model": r["large_model"],
            "gold": r["gold"], "a_final": finals[0], "b_final": finals[1],
            "source_finals": [r["small_final"], r["large_final"]],
            "correct": [r["small_correct"], r["large_correct"]],
            "same_answer": same_answer(*values), "corrected": notes,
        })
    return out


def build(worked_dir: Path = DEFAULT_WORKED_DIR, out: Path = WORKED_SET_FILE,
          corrections: Path = CORRECTIONS_FILE) -> int:
    """Write the labelled worked set; returns its number of pairs."""
    missing = [name for _, name in SOURCES if not (worked_dir / name).exists()]
    if missing:
        raise FileNotFoundError(f"{worked_dir}: {', '.join(missing)} not found (pass --worked)")
    fixes = load_corrections(corrections)
    rows = [row for set_name, name in SOURCES for row in rows_of(set_name, worked_dir / name, fixes)]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worked", type=Path, default=DEFAULT_WORKED_DIR)
    args = parser.parse_args(argv)
    print(f"wrote {build(args.worked)} pairs to {WORKED_SET_FILE}")


if __name__ == "__main__":
    main()
