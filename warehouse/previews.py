"""The rows each asset shows as a Markdown preview in the Dagster UI, read from the live warehouse
inside the step's writer transaction: what one day (or the window) of its table looks like."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from warehouse.db import read_frame

# Columns shown per table; long text is cut so the preview stays a table.
_DAY_COLUMNS = {
    "chat_logs": "request_id, ts, surface, mode, language, left(query, 60) AS query, prompt_tokens, completion_tokens",
    "replay_sample": "request_id, stratum, stratum_size, stratum_sample_size, round(weight, 2) AS weight",
    "replays": "request_id, left(output, 60) AS output, prompt_tokens, output_tokens, round(seconds, 4) AS seconds, "
               "round(mean_logprob, 3) AS mean_logprob, error",
    "agreement": "request_id, kind, exact, round(token_f1, 3) AS token_f1, round(content_containment, 3) AS "
                 "content_containment, round(cosine, 3) AS cosine, round(judge, 2) AS judge, agree, decided_by",
}


def day_rows(con: duckdb.DuckDBPyConnection, table: str, day: date, *, model_key: str | None = None,
             rows: int = 10) -> pl.DataFrame:
    """The first ``rows`` rows of ``table`` for ``day`` (of one model config for replays).

    Example:
        >>> day_rows(con, "replays", date(2026, 11, 1), model_key=key)  # doctest: +SKIP
    """
    where, params = "day = ?", [day]
    if model_key is not None:
        where, params = where + " AND model_key = ?", [day, model_key]
    return read_frame(con, f"SELECT {_DAY_COLUMNS[table]} FROM {table} WHERE {where} "
                      f"ORDER BY request_id LIMIT {int(rows)}", params)


def router_score_summary(con: duckdb.DuckDBPyConnection, day: date | None = None) -> pl.DataFrame:
    """Per router: requests scored, mean and quartiles of the score, its device-seconds (of one
    day, or of the window)."""
    where, params = ("WHERE day = ?", [day]) if day is not None else ("", [])
    return read_frame(con, f"""
        SELECT router, count(*) AS requests, round(avg(score), 3) AS mean_score,
               round(quantile_cont(score, 0.25), 3) AS q25, round(quantile_cont(score, 0.75), 3) AS q75,
               round(sum(coalesce(seconds, 0)), 4) AS device_seconds
        FROM router_scores {where} GROUP BY router ORDER BY router""", params)


def table_counts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Rows of every table of the warehouse (what a snapshot holds)."""
    tables = [row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    return pl.DataFrame({"table": tables,
                         "rows": [con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in tables]})


def recommended_savings(con: duckdb.DuckDBPyConnection, dataset: str) -> pl.DataFrame:
    """Per router, the window's projection at its recommended threshold (no row for a router
    where no threshold keeps agreement's lower bound at the target)."""
    return read_frame(con, """
        SELECT router, threshold, share_small, agreement_small, agreement_small_lo, agreement_small_hi,
               gpu_hours_saved_per_day, dollars_saved_per_day, dollars_saved_per_year,
               dollars_saved_per_year_lo, dollars_saved_per_year_hi
        FROM routing_projection
        WHERE dataset = ? AND segment_by = 'all' AND recommended ORDER BY router""", [dataset])
