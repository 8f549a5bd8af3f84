"""`planb score-pairs IN OUT`: score any table of answer pairs with the configured stack (every
agreement metric, the kind of answer, the agree label and what decided it, ``p_parity``: the
default predictor's probability that the small answer is at least as good as the large one, on
every pair, and the configured judge if any) and write one row per input pair. No warehouse is
read or written: a team checks the label, and any predictor of parity, on pairs it has reviewed
itself this way.

    planb score-pairs my_pairs.csv scored.parquet

IN and OUT are JSON lines (.jsonl, .ndjson, .json), CSV (.csv) or Parquet (.parquet), by
extension. IN has the columns id, question, small_answer, large_answer (others are ignored);
a bad row stops the command with one line naming the row, the column and the value.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

COLUMNS = ("id", "question", "small_answer", "large_answer")
WRITERS = {".jsonl": "write_ndjson", ".ndjson": "write_ndjson", ".json": "write_ndjson",
           ".csv": "write_csv", ".parquet": "write_parquet"}


class PairsInputError(ValueError):
    """A pairs table that cannot be scored; the message names the file, row and column."""


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_pairs(path: str | Path) -> pl.DataFrame:
    """The pairs of ``path`` as text columns id, question, small_answer, large_answer, checked
    row by row: every id present and unique, every question non-empty, every answer text (an
    empty answer is "", not missing; in a CSV an empty cell is an empty answer).

    Example:
        >>> read_pairs("pairs.csv").columns  # doctest: +SKIP
        ['id', 'question', 'small_answer', 'large_answer']
    """
    import polars as pl

    from scoring.replay.imported import ReplayImportError, read_table

    try:
        frame = read_table(path)
    except ReplayImportError as err:
        raise PairsInputError(str(err)) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise PairsInputError(f"{path}: missing column(s) {', '.join(missing)} (needs {', '.join(COLUMNS)})")
    if frame.is_empty():
        raise PairsInputError(f"{path}: no rows")
    for column in COLUMNS:
        dtype = frame[column].dtype
        if dtype.is_nested() or dtype == pl.Binary:
            raise PairsInputError(f"{path}: row 1, column {column}: not text but {dtype}: "
                                  f"{_shown(frame[column][0])}")
    frame = frame.select(pl.col(c).cast(pl.String) for c in COLUMNS)
    if Path(path).suffix.lower() == ".csv":  # a CSV cell cannot tell an empty answer from a missing one
        frame = frame.with_columns(pl.col("small_answer", "large_answer").fill_null(""))
    seen: dict[str, int] = {}
    for number, row in enumerate(frame.iter_rows(named=True), start=1):
        for column in COLUMNS:
            if row[column] is None:
                raise PairsInputError(f"{path}: row {number}, column {column}: missing (null)"
                                      + ("; an empty answer is \"\"" if column.endswith("_answer") else ""))
        for column in ("id", "question"):
            if not row[column].strip():
                raise PairsInputError(f"{path}: row {number}, column {column}: empty: {_shown(row[column])}")
        if row["id"] in seen:
            raise PairsInputError(f"{path}: row {number}, column id: {_shown(row['id'])} already on row {seen[row['id']]}")
        seen[row["id"]] = number
    return frame


def _writer(path: Path) -> str:
    method = WRITERS.get(path.suffix.lower())
    if method is None:
        raise PairsInputError(f"{path}: unknown output extension {path.suffix!r} (use {', '.join(WRITERS)})")
    return method


def score_table(pairs: pl.DataFrame, cfg) -> tuple[pl.DataFrame, dict]:
    """One row a pair (id, every metric, kind, agree: null when unscored, decided_by, p_parity,
    the judge's cut flags) and a summary: pairs by kind, unscored, the judge's cost."""
    from scoring.agreement.table import score_pair_table

    scored = score_pair_table(pairs.rename({"id": "request_id"}), cfg)
    return scored.table.rename({"request_id": "id"}), {**scored.counts(), **scored.judge.summary()}


def cmd_score_pairs(args: argparse.Namespace) -> None:
    from scoring.config import load_config

    cfg = load_config(args.config, data_dir=args.data_dir)
    out = Path(args.output)
    method = _writer(out)
    pairs = read_pairs(args.input)
    table, summary = score_table(pairs, cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    getattr(table, method)(out)
    kinds = ", ".join(f"{k} {n}" for k, n in json.loads(summary["pairs_by_kind"]).items())
    agree = "n/a" if summary["agree_share"] is None else f"{summary['agree_share']:.1%}"
    line = (f"scored {table.height} pairs ({kinds}): {summary['scored_pairs']} labelled, {agree} of them agree; "
            f"{summary['unscored_pairs']} unscored")
    if "judge_calls" in summary:
        line += (f"; judge: {summary['judge_calls']} calls, "
                 f"{summary['judge_prompt_tokens'] + summary['judge_output_tokens']} tokens, "
                 f"{summary['judge_device_seconds']:.1f} device-seconds")
    print(f"{line}\nwrote {out}")


def add_parser(sub) -> None:
    cmd = sub.add_parser("score-pairs", help="score a table of answer pairs (no warehouse) and write one row per pair")
    cmd.add_argument("input", help="JSON lines, CSV or Parquet with id, question, small_answer, large_answer")
    cmd.add_argument("output", help="where to write the scores: .jsonl, .csv or .parquet")
    cmd.set_defaults(func=cmd_score_pairs)
