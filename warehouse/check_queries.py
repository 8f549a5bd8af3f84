"""What the asset checks measure in the live warehouse: one row of counts per check, read inside
the checking step's writer transaction (assets/checks.py decides pass or fail)."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

import duckdb
import polars as pl

from warehouse.db import read_frame
from warehouse.keys import ScoringKey


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> dict:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    (row,) = cursor.fetchall()  # fetched to the end: DuckDB refuses new work on a half-read result
    return {name: (0 if value is None else value) for name, value in zip(names, row, strict=True)}


def chat_logs_day(con: duckdb.DuckDBPyConnection, day: date) -> dict:
    """The day's accepted rows, and those that break the normalised schema's rules: a request
    id seen twice, an empty query, a timestamp on another day, no source line."""
    return _row(con, """
        SELECT count(*) AS rows,
               count(*) - count(DISTINCT request_id) AS duplicate_ids,
               count(*) FILTER (WHERE trim(query) = '') AS empty_queries,
               count(*) FILTER (WHERE ts::DATE <> day) AS off_day_timestamps,
               count(*) FILTER (WHERE source_file IS NULL OR source_line IS NULL) AS no_source,
               (SELECT count(*) FROM rejected_log_rows WHERE day = ?) AS rejected
        FROM chat_logs WHERE day = ?""", [day, day])


def sample_day(con: duckdb.DuckDBPyConnection, day: date) -> dict:
    """The day's sample against its logs: the weights must add up to the logged requests of each
    stratum and of the day, and every sampled request must be a logged one."""
    return _row(con, """
        WITH strata AS (
            SELECT stratum, any_value(stratum_size) AS size, sum(weight) AS weight_sum
            FROM replay_sample WHERE day = ? GROUP BY stratum)
        SELECT (SELECT count(*) FROM replay_sample WHERE day = ?) AS sampled,
               (SELECT count(*) FROM chat_logs WHERE day = ?) AS logged,
               (SELECT coalesce(sum(weight), 0) FROM replay_sample WHERE day = ?) AS weight_sum,
               (SELECT count(*) FROM strata WHERE abs(weight_sum - size) > 1e-6 * size) AS strata_off,
               (SELECT count(*) FROM replay_sample s ANTI JOIN chat_logs l USING (day, request_id)
                WHERE s.day = ?) AS not_logged,
               (SELECT count(*) FROM replay_sample
                WHERE day = ? AND NOT (inclusion_prob > 0 AND inclusion_prob <= 1)) AS bad_probabilities""",
        [day] * 6)


def replays_day(con: duckdb.DuckDBPyConnection, day: date, model_key: str) -> dict:
    """The day's sample as one model config replayed it: requests with no replay, failed ones
    (error), empty answers among the others, and impossible token counts or seconds."""
    return _row(con, """
        SELECT count(*) AS sampled,
               count(*) FILTER (WHERE r.request_id IS NULL) AS missing,
               count(*) FILTER (WHERE r.error IS NOT NULL) AS failed,
               count(*) FILTER (WHERE r.request_id IS NOT NULL AND r.error IS NULL
                                AND trim(coalesce(r.output, '')) = '') AS empty,
               count(*) FILTER (WHERE r.prompt_tokens < 0 OR r.output_tokens < 0 OR r.seconds < 0) AS negative,
               coalesce(sum(r.seconds), 0) AS device_seconds
        FROM replay_sample s
        LEFT JOIN replays r ON r.request_id = s.request_id AND r.model_key = ?
        WHERE s.day = ?""", [model_key, day])


def agreement_day(con: duckdb.DuckDBPyConnection, day: date, key: ScoringKey) -> dict:
    """The day's agreement rows of the key's scoring version against the pairs both models
    answered (``missing``: answered but no row), the unscored rows (agree NULL), metric values
    outside their ranges, and the agree share among the scored rows."""
    return _row(con, """
        WITH pairs AS (
            SELECT s.request_id FROM replay_sample s
            JOIN replays sm ON sm.request_id = s.request_id AND sm.model_key = ? AND sm.error IS NULL
            JOIN replays lg ON lg.request_id = s.request_id AND lg.model_key = ? AND lg.error IS NULL
            WHERE s.day = ?),
        scored AS (
            SELECT * FROM agreement
            WHERE day = ? AND small_key = ? AND large_key = ? AND scoring_version = ?)
        SELECT (SELECT count(*) FROM pairs) AS pairs,
               (SELECT count(*) FROM scored) AS scored,
               (SELECT count(*) FROM pairs ANTI JOIN scored USING (request_id)) AS missing,
               -- agree NULL: an open-ended pair with no judge (unscored), left out of agree_share
               (SELECT count(*) FROM scored WHERE agree IS NULL) AS unscored,
               (SELECT count(*) FROM scored WHERE exact NOT IN (0, 1) OR token_f1 NOT BETWEEN 0 AND 1
                  OR containment NOT BETWEEN 0 AND 1 OR coalesce(rouge_l, 0) NOT BETWEEN 0 AND 1
                  OR coalesce(content_containment, 0) NOT BETWEEN 0 AND 1
                  OR coalesce(judge, 0) NOT BETWEEN 0 AND 1
                  OR cosine NOT BETWEEN -1 - 1e-6 AND 1 + 1e-6) AS out_of_range,
               (SELECT coalesce(avg(agree::INT), 0) FROM scored) AS agree_share""",
        [key.small_key, key.large_key, day, day, key.small_key, key.large_key, key.scoring_version])


def router_scores_day(con: duckdb.DuckDBPyConnection, day: date, routers: list[str], key: ScoringKey) -> dict:
    """The day's scores of the given routers: one per router and pair scored under the key, each in [0, 1]."""
    return _row(con, """
        WITH scored AS (
            SELECT request_id FROM agreement
            WHERE day = ? AND small_key = ? AND large_key = ? AND scoring_version = ?),
        scores AS (SELECT * FROM router_scores WHERE day = ? AND list_contains(?, router))
        SELECT (SELECT count(*) FROM scored) * len(?) AS expected,
               (SELECT count(*) FROM scores) AS rows,
               (SELECT count(*) FROM (SELECT request_id, router FROM scores
                                      GROUP BY ALL HAVING count(*) > 1)) AS duplicates,
               (SELECT count(*) FROM scores WHERE score IS NULL OR NOT (score BETWEEN 0 AND 1)) AS out_of_range""",
        [day, *astuple(key), day, routers, routers])


def projection_ranges(con: duckdb.DuckDBPyConnection, dataset: str) -> dict:
    """routing_projection rows of a dataset whose shares or agreement leave [0, 1], whose
    intervals are upside down, or whose device-hours are negative."""
    return _row(con, """
        SELECT count(*) AS rows,
               count(DISTINCT router) AS routers,
               count(*) FILTER (WHERE NOT (share_small BETWEEN 0 AND 1) OR NOT (unchanged_share BETWEEN 0 AND 1)
                                OR NOT (coalesce(agreement_small, 0) BETWEEN 0 AND 1)) AS shares_out_of_range,
               count(*) FILTER (WHERE share_small_lo > share_small_hi OR agreement_small_lo > agreement_small_hi
                                OR unchanged_lo > unchanged_hi OR gpu_hours_saved_lo > gpu_hours_saved_hi)
                   AS intervals_upside_down,
               count(*) FILTER (WHERE gpu_hours_per_day < 0 OR gpu_hours_always_large_per_day < 0) AS negative_hours
        FROM routing_projection WHERE dataset = ?""", [dataset])


def recommended_intervals(con: duckdb.DuckDBPyConnection, dataset: str) -> list[tuple]:
    """Per router, the window's agreement interval where it is judged: at its recommended threshold,
    else (none qualifies) at the threshold routing the share nearest half its requests small.
    Rows: (router, threshold, recommended, n_routed_small, agreement_small_lo, agreement_small_hi)."""
    return con.execute("""
        SELECT router, threshold, recommended, n_routed_small, agreement_small_lo, agreement_small_hi
        FROM routing_projection
        WHERE dataset = ? AND segment_by = 'all'
        QUALIFY row_number() OVER (PARTITION BY router
                                   ORDER BY recommended DESC, abs(share_small - 0.5), threshold) = 1
        ORDER BY router""", [dataset]).fetchall()


def snapshot_state(con: duckdb.DuckDBPyConnection, dataset: str) -> dict:
    """What a published snapshot holds: its applied migrations, its chat_logs rows and what its
    last snapshot_log row says they were, and its projection rows of ``dataset``."""
    state = _row(con, """
        SELECT (SELECT count(*) FROM chat_logs) AS rows,
               (SELECT chat_log_rows FROM snapshot_log ORDER BY published_at DESC LIMIT 1) AS logged_rows,
               (SELECT count(*) FROM routing_projection WHERE dataset = ?) AS projected""", [dataset])
    state["migrations"] = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    return state


def week_over_week_inputs(con: duckdb.DuckDBPyConnection, dataset: str) -> dict:
    """What scoring.projection.drift.week_over_week reads: the projection's per-day rows, the per-day
    always-small and always-large quality with the day's requests, and each router's window-wide
    recommended threshold."""
    rows = read_frame(con, """
        SELECT segment::DATE AS day, router, threshold, share_small, agreement_small, quality, requests_per_day
        FROM routing_projection WHERE dataset = ? AND segment_by = 'day'""", [dataset])
    metrics = read_frame(con, """
        SELECT m.segment::DATE AS day, m.router, m.weak_quality, m.strong_quality, p.requests_per_day
        FROM router_metrics m
        JOIN (SELECT DISTINCT segment, router, requests_per_day FROM routing_projection
              WHERE dataset = ? AND segment_by = 'day') p USING (segment, router)
        WHERE m.dataset = ? AND m.segment_by = 'day'
          AND m.weak_quality IS NOT NULL AND m.strong_quality IS NOT NULL""", [dataset, dataset])
    recommended = dict(con.execute("SELECT router, recommended_threshold FROM router_metrics "
                                   "WHERE dataset = ? AND segment_by = 'all'", [dataset]).fetchall())
    return {"rows": rows, "metrics": metrics, "recommended": recommended}


def cost_models_of(con: duckdb.DuckDBPyConnection, model_keys: list[str]) -> pl.DataFrame:
    """The cost models of the given model keys (any device and source): coefficients, fit and backtest."""
    return read_frame(con, """
        SELECT model_key, source, device, seconds_per_request, seconds_per_prompt_token,
               seconds_per_output_token, r2, n_batches, backtest_total_error, backtest_batches, backtest_note
        FROM cost_models WHERE list_contains(?, model_key)""", [model_keys])


def router_certification(con: duckdb.DuckDBPyConnection, dataset: str) -> pl.DataFrame:
    """Per router of a dataset (the oracle aside), its window-wide recommended threshold and what
    certifying one takes: quality measure, scored requests routed small needed, certifiable share."""
    return read_frame(con, """
        SELECT router, gate_measure, recommended_threshold, certify_min_routed, certifiable_share_small, note
        FROM router_metrics WHERE dataset = ? AND segment_by = 'all' AND router <> 'oracle'
        ORDER BY router""", [dataset])
