"""Bring your own replay results: a table of requests with both models' answers (for example a
published router dataset), read and checked, turned into the sample the projection takes.

Columns (CSV, JSON lines or Parquet, by the file's extension; docs/OWN_DATA.md, "Replays made elsewhere"):

- required: ``request_id`` (unique), ``prompt``, ``small_output``, ``large_output`` (text, none
  empty);
- optional token counts, all four or none: ``small_prompt_tokens``, ``small_output_tokens``,
  ``large_prompt_tokens``, ``large_output_tokens`` (whole numbers >= 0; costs come from them
  and the configured models' cost models);
- optional request costs, both or none: ``small_dollars`` and ``large_dollars`` (what each
  request cost on each model, >= 0, e.g. its tokens at the API's list price); with them the
  costs are these, not the cost models';
- optional quality, one pair or none: ``small_quality`` and ``large_quality`` (scores in [0, 1]),
  or ``small_correct`` and ``large_correct`` (true / false, 1 / 0). With them quality is this
  instead of agreement (RouteLLM's PGR, CPT, APGR; the oracle routes small when the small
  answer is at least as good);
- optional ``small_mean_logprob`` (<= 0; enables the small_confidence router), ``day`` (a real
  date, YYYY-MM-DD, from 2000-01-01 to today: the bootstrap resamples within it and per-day
  rows are made), ``weight`` (> 0, logged requests it stands for; default 1), ``surface``,
  ``mode``, ``language``.

Every value of every row is checked. A bad value stops the import (nothing is written) with
one line naming the first bad rows: row (1 is the first record: a CSV's line 2), column, value
and why. A CSV is read as text and typed here, so a stray word in a number column is named
like any other bad value; JSON lines with NaN or Infinity (as Python's json.dumps writes them,
which JSON does not allow) are named the same way. Request ids are compared, and stored, trimmed
and NFKC-normalised, as ingest trims them: ids that differ only there are one id, repeated. A text
longer than ``max_text_chars`` (config ``import_replays.max_text_chars``) is a bad value too: the
answers' agreement grows faster than their length (a 10,000,000-character pair took 244 s of CPU
to score, one at 100,000 characters 0.12 s).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl

REQUIRED = ("request_id", "prompt", "small_output", "large_output")
TOKENS = ("small_prompt_tokens", "small_output_tokens", "large_prompt_tokens", "large_output_tokens")
DOLLARS = ("small_dollars", "large_dollars")
QUALITY_PAIRS = (("small_quality", "large_quality"), ("small_correct", "large_correct"))
SEGMENT_COLUMNS = ("surface", "mode", "language")
OPTIONAL = (*TOKENS, *DOLLARS, *(c for pair in QUALITY_PAIRS for c in pair), "small_mean_logprob", "day",
            "weight", *SEGMENT_COLUMNS)
EARLIEST_DAY = date(2000, 1, 1)
MAX_TOKENS = 2**31 - 1  # a count that fits the 32-bit columns token counts are stored in
LISTED = 5  # bad values named in the error
MAX_TEXT_CHARS = 100_000  # the default of import_replays.max_text_chars


class ReplayImportError(ValueError):
    """An import table that cannot be used; the message names the row, column and value."""


def read_table(path: str | Path) -> pl.DataFrame:
    """The file as a frame, by extension (.csv, .jsonl / .ndjson / .json, .parquet); a CSV's
    cells as text (``checked`` types them).

    Example:
        >>> read_table("missing.csv")
        Traceback (most recent call last):
        ...
        scoring.replay.imported.ReplayImportError: missing.csv does not exist
    """
    path = Path(path)
    if not path.is_file():
        raise ReplayImportError(f"{path} does not exist" if not path.exists() else f"{path} is not a file")
    readers = {".csv": ("CSV", lambda p: pl.read_csv(p, infer_schema=False)),
               ".jsonl": ("JSON lines", lambda p: pl.read_ndjson(p, infer_schema_length=None)),
               ".ndjson": ("JSON lines", lambda p: pl.read_ndjson(p, infer_schema_length=None)),
               ".json": ("JSON lines", lambda p: pl.read_ndjson(p, infer_schema_length=None)),
               ".parquet": ("Parquet", pl.read_parquet)}
    if path.suffix.lower() not in readers:
        raise ReplayImportError(f"{path}: unknown extension {path.suffix!r} (use {', '.join(readers)})")
    kind, reader = readers[path.suffix.lower()]
    if path.stat().st_size == 0:
        raise ReplayImportError(f"{path}: the file is empty (no header, no rows)")
    try:
        return reader(path)
    except pl.exceptions.NoDataError:
        raise ReplayImportError(f"{path}: the file has no rows") from None
    except (pl.exceptions.PolarsError, OSError, ValueError) as err:
        if kind == "JSON lines":  # the parser names a character; say which row and column
            found = _json_lines_problems(path)
            if found:
                raise ReplayImportError(f"{path}: {found}") from None
        reason = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise ReplayImportError(f"{path}: not a readable {kind} file ({reason})") from None


class _Constant(str):
    """NaN, Infinity or -Infinity where a JSON line has one (json.loads' parse_constant)."""


def _json_lines_problems(path: Path) -> str | None:
    """The first bad rows of a JSON lines file, read line by line with Python's json (only when
    the fast reader failed): NaN / Infinity by row and column, a line that is not JSON or not an
    object by row; None when every line is fine (the fast reader failed for another reason)."""
    found, total, row = [], 0, 0
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            row += 1
            at = f"row {row}" + (f" (line {number})" if number != row else "")
            try:
                record = json.loads(raw.rstrip(b"\r\n").decode("utf-8"), parse_constant=_Constant)
            except UnicodeDecodeError as err:
                bad = [f"{at}: not UTF-8 (byte {err.start + 1})"]
            except json.JSONDecodeError as err:
                bad = [f"{at}: not valid JSON ({err.msg} at character {err.pos + 1})"]
            else:
                if not isinstance(record, dict):
                    bad = [f"{at}: not a JSON object ({type(record).__name__})"]
                else:
                    bad = [f"{at}, {column} = {_nonfinite(value)}: JSON has no NaN or Infinity (Python's "
                           "json.dumps writes them): write null or a finite number"
                           for column, value in record.items() if _nonfinite(value)]
            total += len(bad)
            found += bad[: LISTED - len(found)]
    if not total:
        return None
    more = f" ({total} bad values in all)" if total > len(found) else ""
    return f"bad value{'s' if total > 1 else ''}: {'; '.join(found)}{more}"


def _nonfinite(value: object) -> str | None:
    """The NaN or Infinity in a JSON value (at any depth), as written; None if there is none."""
    if isinstance(value, _Constant):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):  # 1e999 reads as inf
        return str(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return next(filter(None, map(_nonfinite, items)), None)


class _Problems:
    """Bad values found so far: the first few of each column, and how many in all."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str, str, str]] = []  # (row index, column, value shown, why)
        self.total = 0

    def flag(self, raw: pl.Series, bad: pl.Series, why: str | Callable[[int], str]) -> None:
        """Flag the rows where ``bad`` is true (or null); ``why`` may depend on the row."""
        bad = bad.fill_null(True)
        rows = bad.arg_true()
        self.total += len(rows)
        for row in rows[:LISTED].to_list():
            self.found.append((row, raw.name, _shown(raw[row]), why if isinstance(why, str) else why(row)))

    def raise_any(self) -> None:
        if not self.total:
            return
        first = sorted(self.found)[:LISTED]
        listed = "; ".join(f"row {row + 1}, {column} = {value}: {why}" for row, column, value, why in first)
        more = f" ({self.total} bad values in all)" if self.total > len(first) else ""
        raise ReplayImportError(f"bad value{'s' if self.total > 1 else ''}: {listed}{more}")


def _shown(value) -> str:
    if value is None:
        return "missing"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(frame: pl.DataFrame, column: str, problems: _Problems, *, required: bool, max_chars: int) -> pl.Series:
    raw = frame[column]
    try:
        text = raw.cast(pl.String)
    except pl.exceptions.PolarsError:
        raise ReplayImportError(f"{column}: holds {raw.dtype}, not text") from None
    if required:
        problems.flag(raw, text.is_null() | (text.str.strip_chars() == ""), "needs a non-empty text")
    lengths = text.str.len_chars()
    problems.flag(raw, (lengths > max_chars).fill_null(False),
                  lambda row: f"{lengths[row]:,} characters, over the limit of {max_chars:,} "
                  "(import_replays.max_text_chars)")
    return text


def _numbers(frame: pl.DataFrame, column: str, problems: _Problems, *, low: float | None = None,
             high: float | None = None, above_low: bool = False, whole: bool = False, rule: str) -> pl.Series:
    """The column as finite float64 within its range; every other value is flagged with ``rule``."""
    raw = frame[column]
    if raw.dtype == pl.String:
        values = raw.str.strip_chars().cast(pl.Float64, strict=False)
    elif raw.dtype.is_numeric():
        values = raw.cast(pl.Float64)
    else:  # booleans, lists, dates: not numbers
        values = pl.Series(column, [None] * len(raw), dtype=pl.Float64)
    bad = values.is_null() | ~values.is_finite()
    if low is not None:
        bad = bad | ((values <= low) if above_low else (values < low))
    if high is not None:
        bad = bad | (values > high)
    if whole:
        bad = bad | (values != values.floor())
    problems.flag(raw, bad, rule)
    return values.alias(column)


def _truth(frame: pl.DataFrame, column: str, problems: _Problems) -> pl.Series:
    """Quality: a number in [0, 1], or true / false."""
    raw = frame[column]
    if raw.dtype == pl.Boolean:
        values = raw.cast(pl.Float64)
    elif raw.dtype == pl.String:
        text = raw.str.strip_chars().str.to_lowercase()
        values = text.replace_strict({"true": "1", "false": "0"}, default=text).cast(pl.Float64, strict=False)
    elif raw.dtype.is_numeric():
        values = raw.cast(pl.Float64)
    else:
        values = pl.Series(column, [None] * len(raw), dtype=pl.Float64)
    problems.flag(raw, values.is_null() | ~values.is_finite() | ~values.is_between(0.0, 1.0),
                  "needs a number in [0, 1] (or true / false)")
    return values.alias(column)


def _days(frame: pl.DataFrame, problems: _Problems) -> pl.Series:
    """YYYY-MM-DD days that exist on the calendar, from EARLIEST_DAY to today (UTC)."""
    raw = frame["day"]
    if raw.dtype == pl.Date:
        days = raw
    elif raw.dtype == pl.String:
        text = raw.str.strip_chars()
        days = text.str.to_date("%Y-%m-%d", strict=False).set(~text.str.contains(r"^\d{4}-\d{2}-\d{2}$").fill_null(False), None)
    else:  # integers, timestamps with a time, ...: not a day
        days = pl.Series("day", [None] * len(raw), dtype=pl.Date)
    today = datetime.now(UTC).date()
    problems.flag(raw, days.is_null() | (days < EARLIEST_DAY) | (days > today),
                  f"needs a real date YYYY-MM-DD from {EARLIEST_DAY} to today ({today})")
    return days.dt.to_string("%Y-%m-%d").alias("day")


def _check_columns(frame: pl.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ReplayImportError(f"missing required column(s): {', '.join(missing)} (required: {', '.join(REQUIRED)})")
    unknown = [c for c in frame.columns if c not in (*REQUIRED, *OPTIONAL)]
    if unknown:
        raise ReplayImportError(f"unknown column(s): {', '.join(unknown)} (known: {', '.join((*REQUIRED, *OPTIONAL))})")
    tokens = [c for c in TOKENS if c in frame.columns]
    if tokens and len(tokens) < len(TOKENS):
        raise ReplayImportError(f"token counts come all four or none: missing {', '.join(c for c in TOKENS if c not in tokens)}")
    dollars = [c for c in DOLLARS if c in frame.columns]
    if len(dollars) == 1:
        raise ReplayImportError(f"{DOLLARS[0]} and {DOLLARS[1]} come together: one is missing")
    given = [pair for pair in QUALITY_PAIRS if any(c in frame.columns for c in pair)]
    if len(given) > 1:
        raise ReplayImportError("give quality scores or correctness, not both")
    if given and not set(given[0]) <= set(frame.columns):
        raise ReplayImportError(f"{given[0][0]} and {given[0][1]} come together: one is missing")
    if frame.is_empty():
        raise ReplayImportError("the table has no rows")


def checked(frame: pl.DataFrame, *, max_text_chars: int = MAX_TEXT_CHARS) -> pl.DataFrame:
    """The table with every value checked and typed, day and weight filled in; request ids
    trimmed and NFKC-normalised, texts at most ``max_text_chars`` characters.

    Example:
        >>> t = checked(pl.DataFrame({"request_id": ["a"], "prompt": ["q"], "small_output": ["x"],
        ...                           "large_output": ["x"]}))
        >>> t["weight"].to_list(), t["day"].to_list()
        ([1.0], ['undated'])
        >>> checked(pl.DataFrame({"request_id": ["a"], "prompt": ["q"], "small_output": ["x"],
        ...                       "large_output": [None]}))
        Traceback (most recent call last):
        ...
        scoring.replay.imported.ReplayImportError: bad value: row 1, large_output = missing: needs a non-empty text
    """
    _check_columns(frame)
    problems = _Problems()
    out = {column: _text(frame, column, problems, required=True, max_chars=max_text_chars) for column in REQUIRED}
    # as ingest stores ids (trimmed), and Unicode's compatibility forms as one (NFKC: full-width
    # letters, ligatures, non-breaking spaces)
    ids = out["request_id"] = out["request_id"].str.normalize("NFKC").str.strip_chars()
    first = ids.is_first_distinct()
    earlier = dict(zip(ids.filter(first).to_list(), first.arg_true().to_list(), strict=True))
    problems.flag(frame["request_id"], ids.is_not_null() & ~first,
                  lambda row: f"repeats row {earlier[ids[row]] + 1}'s request_id {ids[row]!r} (compared trimmed "
                  "and NFKC-normalised, as ingest does)")
    for column in TOKENS:
        if column in frame.columns:
            out[column] = _numbers(frame, column, problems, low=0, high=MAX_TOKENS, whole=True,
                                   rule=f"needs a whole number of tokens from 0 to {MAX_TOKENS:,}")
    for column in DOLLARS:
        if column in frame.columns:
            out[column] = _numbers(frame, column, problems, low=0, rule="needs a finite cost in dollars >= 0")
    for column in (c for pair in QUALITY_PAIRS for c in pair):
        if column in frame.columns:
            out[column] = _truth(frame, column, problems)
    if "small_mean_logprob" in frame.columns:
        out["small_mean_logprob"] = _numbers(frame, "small_mean_logprob", problems, high=0.0,
                                             rule="needs a finite mean log-probability <= 0")
    out["weight"] = (_numbers(frame, "weight", problems, low=0, above_low=True, rule="needs a finite weight > 0")
                     if "weight" in frame.columns else pl.Series("weight", np.ones(frame.height)))
    out["day"] = _days(frame, problems) if "day" in frame.columns else pl.Series("day", ["undated"] * frame.height)
    for column in SEGMENT_COLUMNS:
        if column in frame.columns:
            out[column] = _text(frame, column, problems, required=False, max_chars=max_text_chars)
    problems.raise_any()
    return pl.DataFrame([series.alias(name) for name, series in out.items()])


def quality_measure(frame: pl.DataFrame) -> str | None:
    """"imported correctness", "imported quality scores", or None (no quality columns).

    Example:
        >>> quality_measure(pl.DataFrame({"small_correct": [1.0], "large_correct": [0.0]}))
        'imported correctness'
    """
    for (small, _), name in zip(QUALITY_PAIRS, ("quality scores", "correctness"), strict=True):
        if small in frame.columns:
            return f"imported {name}"
    return None


def quality_columns(frame: pl.DataFrame, agree: pl.Series | np.ndarray | None) -> tuple[str, pl.DataFrame]:
    """(quality measure, frame with agree, quality_small, quality_large, label) of a ``checked``
    frame: the imported scores or correctness when given (label: the small answer is at least
    as good; ``agree``: that label too when no text agreement was scored), else agreement
    (small = agree, large = 1; label = agree).

    Example:
        >>> t = checked(pl.DataFrame({"request_id": ["a", "b"], "prompt": ["q", "r"], "small_output": ["x", "y"],
        ...     "large_output": ["x", "z"], "small_correct": [True, False], "large_correct": [True, True]}))
        >>> measure, out = quality_columns(t, None)
        >>> measure, out["label"].to_list(), out["agree"].to_list()
        ('imported correctness', [True, False], [1.0, 0.0])
    """
    measure = quality_measure(frame)
    if measure is None:
        if agree is None:
            raise ValueError("without imported quality the agreement of the answers is the quality: score it")
        agree = np.asarray(agree, dtype=float)  # an unscored (open-ended) pair's null becomes NaN here
        # Unscored: not "agree" as a label (astype(bool) would say so), null as a quality.
        small, large, label = agree, np.ones(len(agree)), agree == 1.0
    else:
        pair = QUALITY_PAIRS[0] if measure == "imported quality scores" else QUALITY_PAIRS[1]
        small, large = frame[pair[0]].to_numpy(), frame[pair[1]].to_numpy()
        label = small >= large  # the small answer loses nothing
        agree = label.astype(float) if agree is None else np.asarray(agree, dtype=float)
    # Unscored is null, as in the pipeline's agreement rows (never NaN).
    return measure or "agreement", frame.with_columns(
        pl.Series("agree", agree, dtype=pl.Float64).fill_nan(None),
        pl.Series("quality_small", small).fill_nan(None) if measure is None else pl.Series("quality_small", small),
        pl.Series("quality_large", large), pl.Series("label", label),
    )
