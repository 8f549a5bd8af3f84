"""Bring your own replay results: a table of requests with both models' answers (for example a
published router dataset), read and checked, turned into the sample the projection takes.

Columns (CSV, JSON lines or Parquet, by the file's extension; README "planb import-replays"):

- required: ``request_id`` (unique), ``prompt``, ``small_output``, ``large_output``;
- optional token counts, all four or none: ``small_prompt_tokens``, ``small_output_tokens``,
  ``large_prompt_tokens``, ``large_output_tokens`` (without them the costs are unknown);
- optional quality, one pair or none: ``small_quality`` and ``large_quality`` (scores in [0, 1]),
  or ``small_correct`` and ``large_correct`` (true / false, 1 / 0). With them quality is this
  instead of agreement (RouteLLM's PGR, CPT, APGR; the oracle routes small when the small
  answer is at least as good);
- optional ``small_mean_logprob`` (enables the small_confidence router), ``day`` (a date: the
  bootstrap resamples within it and per-day rows are made), ``weight`` (> 0, logged requests it
  stands for; default 1), ``surface``, ``mode``, ``language``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

REQUIRED = ("request_id", "prompt", "small_output", "large_output")
TOKENS = ("small_prompt_tokens", "small_output_tokens", "large_prompt_tokens", "large_output_tokens")
QUALITY_PAIRS = (("small_quality", "large_quality"), ("small_correct", "large_correct"))
OPTIONAL = (*TOKENS, *(c for pair in QUALITY_PAIRS for c in pair), "small_mean_logprob", "day", "weight",
            "surface", "mode", "language")


class ReplayImportError(ValueError):
    """An import table that cannot be used; the message names the column and why."""


def read_table(path: str | Path) -> pl.DataFrame:
    """The file as a frame, by extension (.csv, .jsonl / .json, .parquet)."""
    path = Path(path)
    if not path.exists():
        raise ReplayImportError(f"{path} does not exist")
    readers = {".csv": pl.read_csv, ".jsonl": pl.read_ndjson, ".ndjson": pl.read_ndjson,
               ".json": pl.read_ndjson, ".parquet": pl.read_parquet}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise ReplayImportError(f"{path}: unknown extension {path.suffix!r} (use {', '.join(readers)})")
    try:
        return reader(path)
    except (pl.exceptions.PolarsError, OSError) as err:
        raise ReplayImportError(f"{path}: cannot be read: {err}") from None


def _quality(frame: pl.DataFrame) -> tuple[str, np.ndarray, np.ndarray] | None:
    given = [pair for pair in QUALITY_PAIRS if any(c in frame.columns for c in pair)]
    if not given:
        return None
    if len(given) > 1:
        raise ReplayImportError("give quality scores or correctness, not both")
    small, large = given[0]
    if not {small, large} <= set(frame.columns):
        raise ReplayImportError(f"{small} and {large} come together: one is missing")
    values = []
    for column in (small, large):
        series = frame[column]
        try:
            numbers = series.cast(pl.Float64, strict=True)
        except pl.exceptions.PolarsError:
            numbers = series.cast(pl.String).str.to_lowercase().replace_strict(
                {"true": 1.0, "false": 0.0}, default=None, return_dtype=pl.Float64)
        if numbers.null_count() or not numbers.is_between(0.0, 1.0).all():
            raise ReplayImportError(f"{column}: every value must be a number in [0, 1] (or true / false)")
        values.append(numbers.to_numpy())
    return ("correctness" if small == "small_correct" else "quality scores"), values[0], values[1]


def checked(frame: pl.DataFrame) -> pl.DataFrame:
    """The table with its columns checked and typed, day and weight filled in.

    Example:
        >>> t = checked(pl.DataFrame({"request_id": ["a"], "prompt": ["q"], "small_output": ["x"],
        ...                           "large_output": ["x"]}))
        >>> t["weight"].to_list(), t["day"].to_list()
        ([1.0], ['undated'])
    """
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ReplayImportError(f"missing required column(s): {', '.join(missing)} (required: {', '.join(REQUIRED)})")
    unknown = [c for c in frame.columns if c not in (*REQUIRED, *OPTIONAL)]
    if unknown:
        raise ReplayImportError(f"unknown column(s): {', '.join(unknown)}")
    if frame.is_empty():
        raise ReplayImportError("the table has no rows")
    if frame["request_id"].null_count() or frame["request_id"].is_duplicated().any():
        raise ReplayImportError("request_id: every row needs one, and no two the same")
    tokens = [c for c in TOKENS if c in frame.columns]
    if tokens and len(tokens) < len(TOKENS):
        raise ReplayImportError(f"token counts come all four or none: missing {', '.join(set(TOKENS) - set(tokens))}")
    for column in tokens:
        if frame[column].null_count() or (frame[column].cast(pl.Float64) < 0).any():
            raise ReplayImportError(f"{column}: every row needs a count >= 0")
    if "weight" in frame.columns and (frame["weight"].null_count() or (frame["weight"].cast(pl.Float64) <= 0).any()):
        raise ReplayImportError("weight: every row needs a weight > 0")
    out = frame.with_columns(
        pl.col(c).cast(pl.String).fill_null("") for c in ("prompt", "small_output", "large_output")
    ).with_columns(pl.col("request_id").cast(pl.String))
    if "weight" not in out.columns:
        out = out.with_columns(weight=pl.lit(1.0))
    day = pl.col("day").cast(pl.String).fill_null("undated") if "day" in out.columns else pl.lit("undated")
    return out.with_columns(day.alias("day"), pl.col("weight").cast(pl.Float64))


def quality_columns(frame: pl.DataFrame, agree: np.ndarray) -> tuple[str, pl.DataFrame]:
    """(quality measure, frame with quality_small, quality_large, label): the imported scores or
    correctness when given, else agreement (small = agree, large = 1; label = agree)."""
    given = _quality(frame)
    agree = np.asarray(agree, dtype=float)
    if given is None:
        measure, small, large = "agreement", agree, np.ones(len(agree))
        label = agree.astype(bool)
    else:
        measure, small, large = f"imported {given[0]}", given[1], given[2]
        label = small >= large  # the small answer loses nothing
    return measure, frame.with_columns(
        pl.Series("agree", agree), pl.Series("quality_small", small), pl.Series("quality_large", large),
        pl.Series("label", label),
    )
