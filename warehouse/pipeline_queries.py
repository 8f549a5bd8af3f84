"""Reads and writes the pipeline's steps make in the live warehouse (inside their writer transaction)."""

from __future__ import annotations

import json
from dataclasses import astuple
from datetime import date, datetime

import duckdb
import polars as pl

from warehouse.db import insert_rows, read_frame, replace_rows, utc_now
from warehouse.keys import ScoringKey

# The rows of one day scored under one ScoringKey (agreement, judge_calls).
_PAIR = "day = ? AND small_key = ? AND large_key = ? AND scoring_version = ?"


def day_logs(con: duckdb.DuckDBPyConnection, day: date) -> pl.DataFrame:
    return read_frame(con, "SELECT * FROM chat_logs WHERE day = ? ORDER BY request_id", [day])


def sample_queries(con: duckdb.DuckDBPyConnection, day: date) -> pl.DataFrame:
    """The day's sampled requests with their query text and what production logged for them."""
    return read_frame(
        con,
        "SELECT s.request_id, l.query, l.response, l.prompt_tokens, l.completion_tokens "
        "FROM replay_sample s "
        "JOIN chat_logs l USING (day, request_id) WHERE s.day = ? ORDER BY s.request_id",
        [day],
    )


def replayed_ids(con: duckdb.DuckDBPyConnection, model_key: str) -> set[str]:
    """Requests already replayed successfully by a model config: never replayed again."""
    rows = con.execute(
        "SELECT request_id FROM replays WHERE model_key = ? AND error IS NULL", [model_key]
    ).fetchall()
    return {r[0] for r in rows}


def store_replays(con: duckdb.DuckDBPyConnection, model_key: str, replays: pl.DataFrame,
                  batches: pl.DataFrame | None) -> None:
    """One chunk of a model's replays (replacing its earlier rows of those requests: a failed
    one replayed again) and the chunk's batches, if it has any."""
    replace_rows(con, "replays", replays, "model_key = ? AND list_contains(?, request_id)",
                 [model_key, replays["request_id"].to_list()])
    if batches is not None:
        insert_rows(con, "replay_batches", batches)


def replay_pairs(con: duckdb.DuckDBPyConnection, day: date, small_key: str, large_key: str) -> pl.DataFrame:
    """Sampled requests of a day with both answers and the small model's confidence."""
    return read_frame(
        con,
        "SELECT s.request_id, l.query, sm.output AS small_output, lg.output AS large_output, "
        "sm.mean_logprob AS small_mean_logprob "
        "FROM replay_sample s JOIN chat_logs l USING (day, request_id) "
        "JOIN replays sm ON sm.request_id = s.request_id AND sm.model_key = ? AND sm.error IS NULL "
        "JOIN replays lg ON lg.request_id = s.request_id AND lg.model_key = ? AND lg.error IS NULL "
        "WHERE s.day = ? ORDER BY s.request_id",
        [small_key, large_key, day],
    )


def router_inputs(con: duckdb.DuckDBPyConnection, day: date, key: ScoringKey) -> pl.DataFrame:
    """What the routers score: query, small confidence and the agree label of the key's
    scoring_version (never another's), per sampled request."""
    return read_frame(
        con,
        "SELECT a.request_id, l.query, sm.mean_logprob AS small_mean_logprob, a.agree "
        "FROM agreement a JOIN chat_logs l USING (day, request_id) "
        "JOIN replays sm ON sm.request_id = a.request_id AND sm.model_key = a.small_key "
        "WHERE a.day = ? AND a.small_key = ? AND a.large_key = ? AND a.scoring_version = ? "
        "ORDER BY a.request_id",
        [day, *astuple(key)],
    )


def unscored_days(con: duckdb.DuckDBPyConnection, key: ScoringKey) -> list[date]:
    """Sampled days with answer pairs to score but no agreement rows of the key's scoring_version
    (the rule changed since they were scored): a projection over them would miss those days."""
    rows = con.execute(
        "SELECT DISTINCT s.day FROM replay_sample s "
        "JOIN replays sm ON sm.request_id = s.request_id AND sm.model_key = ? AND sm.error IS NULL "
        "JOIN replays lg ON lg.request_id = s.request_id AND lg.model_key = ? AND lg.error IS NULL "
        "WHERE NOT EXISTS (SELECT 1 FROM agreement a WHERE a.day = s.day AND a.small_key = ? "
        "AND a.large_key = ? AND a.scoring_version = ?) ORDER BY 1",
        [key.small_key, key.large_key, key.small_key, key.large_key, key.scoring_version],
    ).fetchall()
    return [r[0] for r in rows]


def batches(con: duckdb.DuckDBPyConnection, model_key: str) -> pl.DataFrame:
    return read_frame(
        con,
        "SELECT batch_id, device, batch_size, padded_prompt_tokens, decode_steps, seconds FROM replay_batches "
        "WHERE model_key = ?",
        [model_key],
    )


def projection_inputs(con: duckdb.DuckDBPyConnection, key: ScoringKey) -> pl.DataFrame:
    """Every scored sample request of the window: weight, label (of the key's scoring_version
    only; NULL for an unscored pair, which still costs and is routed, but is no evidence of
    agreement), the predicted probability of parity (p_parity), both replays' tokens, scores."""
    return read_frame(
        con,
        "SELECT s.day, s.request_id, s.weight, a.agree, a.p_parity, "
        "sm.prompt_tokens AS small_prompt_tokens, sm.output_tokens AS small_output_tokens, "
        "lg.prompt_tokens AS large_prompt_tokens, lg.output_tokens AS large_output_tokens, "
        "r.router, r.score "
        "FROM replay_sample s "
        "JOIN agreement a USING (day, request_id) "
        "JOIN replays sm ON sm.request_id = s.request_id AND sm.model_key = a.small_key "
        "JOIN replays lg ON lg.request_id = s.request_id AND lg.model_key = a.large_key "
        "JOIN router_scores r ON r.request_id = s.request_id AND r.day = s.day "
        "WHERE a.small_key = ? AND a.large_key = ? AND a.scoring_version = ? "
        "ORDER BY s.day, s.request_id, r.router",
        list(astuple(key)),
    )


def population_days(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(DISTINCT day) FROM chat_logs").fetchall()[0][0]


def calibrated_model_keys(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Model keys with a cost model measured by `planb calibrate-gpu`."""
    rows = con.execute("SELECT DISTINCT model_key FROM cost_models WHERE source = 'calibrate-gpu'").fetchall()
    return {r[0] for r in rows}


def window_router_inputs(con: duckdb.DuckDBPyConnection, key: ScoringKey) -> pl.DataFrame:
    """Every scored sample request of the window with its query and agree label: what a router
    trained on the whole window (query_classifier) learns from and scores. Unscored pairs (agree
    NULL) are no evidence either way: the router learns without them but still scores them."""
    return read_frame(
        con,
        "SELECT a.day, a.request_id, l.query, a.agree "
        "FROM agreement a JOIN chat_logs l USING (day, request_id) "
        "WHERE a.small_key = ? AND a.large_key = ? AND a.scoring_version = ? "
        "ORDER BY a.day, a.request_id",
        list(astuple(key)),
    )


def sample_segments(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The segments of every sampled request: surface, mode, language and its query."""
    return read_frame(
        con,
        "SELECT s.day, s.request_id, l.surface, l.mode, l.language, l.query "
        "FROM replay_sample s JOIN chat_logs l USING (day, request_id)",
    )


def router_seconds(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Each router's own measured device-seconds per request (0 where nothing was measured)."""
    rows = con.execute("SELECT router, avg(coalesce(seconds, 0)) FROM router_scores GROUP BY router").fetchall()
    return {router: float(seconds) for router, seconds in rows}


def register_model(con: duckdb.DuckDBPyConnection, model_key: str, *, name: str, role: str, backend: str,
                   spec: dict) -> None:
    """The ``models`` row of a model config (its JSON ``spec``), replacing an earlier one of the key."""
    replace_rows(con, "models", pl.DataFrame({
        "model_key": [model_key], "name": [name], "role": [role], "backend": [backend],
        "spec_json": [json.dumps(spec)],
    }), "model_key = ?", [model_key])


def store_agreement(con: duckdb.DuckDBPyConnection, day: date, key: ScoringKey, scored: pl.DataFrame) -> None:
    """The day's agreement rows under ``key``, replacing its earlier ones (a re-run leaves one copy)."""
    replace_rows(con, "agreement", scored, _PAIR, [day, *astuple(key)])


def register_scoring_version(con: duckdb.DuckDBPyConnection, scoring_version: str, rule: str, rule_json: str,
                             first_scored_at: datetime) -> None:
    """Record a scoring_version with its rule, once: the first scoring under it is kept."""
    con.execute(
        "INSERT INTO scoring_versions SELECT ?, ?, ?, ? WHERE NOT EXISTS "
        "(SELECT 1 FROM scoring_versions WHERE scoring_version = ?)",
        [scoring_version, rule, rule_json, first_scored_at, scoring_version])


def replace_judge_calls(con: duckdb.DuckDBPyConnection, day: date, key: ScoringKey,
                        calls: pl.DataFrame | None = None, batches: pl.DataFrame | None = None) -> None:
    """Remove the day's judge_calls under ``key``, then add ``calls`` and the judge's replay
    ``batches`` (if given)."""
    con.execute(f"DELETE FROM judge_calls WHERE {_PAIR}", [day, *astuple(key)])
    if calls is not None:
        insert_rows(con, "judge_calls", calls)
    if batches is not None:
        insert_rows(con, "replay_batches", batches)


def store_day_router_scores(con: duckdb.DuckDBPyConnection, day: date, scores: pl.DataFrame,
                            keep: list[str]) -> None:
    """The day's router scores, replacing its earlier ones except those of the routers in
    ``keep`` (trained on the window, written by their own step)."""
    replace_rows(con, "router_scores", scores, "day = ? AND NOT list_contains(?, router)", [day, keep])


def replace_router_scores(con: duckdb.DuckDBPyConnection, router: str, scores: pl.DataFrame | None = None) -> None:
    """Every score of one router, replacing all its earlier ones (None: only removes them)."""
    if scores is None:
        con.execute("DELETE FROM router_scores WHERE router = ?", [router])
    else:
        replace_rows(con, "router_scores", scores, "router = ?", [router])


def store_fitted_cost_models(con: duckdb.DuckDBPyConnection, fits: pl.DataFrame) -> None:
    """The cost models fitted on replay batches (source 'replay'), replacing the earlier fits;
    those measured by `planb calibrate-gpu` are kept."""
    replace_rows(con, "cost_models", fits, "source = 'replay'", [])


def store_calibrated_cost_model(con: duckdb.DuckDBPyConnection, row: pl.DataFrame, model_key: str,
                                device: str) -> None:
    """A cost model `planb calibrate-gpu` measured, replacing its earlier one of the same model
    key and device."""
    replace_rows(con, "cost_models", row, "model_key = ? AND device = ? AND source = 'calibrate-gpu'",
                 [model_key, device])


def cost_model_fits(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every cost model, fitted or calibrated, with every column (what ``latest_fit`` picks from)."""
    return read_frame(con, "SELECT * FROM cost_models")


def cost_model_summary(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every cost model's coefficients, fit and backtest, by role and source (the asset's preview)."""
    return read_frame(con, "SELECT model_key, role, device, source, seconds_per_request, "
                      "seconds_per_prompt_token, seconds_per_output_token, r2, n_batches, backtest_total_error, "
                      "backtest_median_abs_error, backtest_note FROM cost_models ORDER BY role, source")


def store_projection(con: duckdb.DuckDBPyConnection, dataset: str, projection: pl.DataFrame,
                     metrics: pl.DataFrame) -> None:
    """A dataset's routing_projection and router_metrics rows, replacing its earlier ones (the
    pipeline's own, PIPELINE, or a set `planb import-replays` brought in), stamped computed_at now."""
    replace_rows(con, "routing_projection", projection, "dataset = ?", [dataset])
    replace_rows(con, "router_metrics", metrics.with_columns(pl.lit(utc_now()).alias("computed_at")),
                 "dataset = ?", [dataset])


def store_imported_pairs(con: duckdb.DuckDBPyConnection, dataset: str, pairs: pl.DataFrame, routers: list[str], *,
                         keep: int, seed: int) -> int:
    """Up to ``keep`` of an imported set's ``pairs`` (a seeded random sample when it has more) in
    imported_pairs, their text PII-redacted as logs are, and their ``routers``' score columns in
    imported_router_scores, replacing the set's earlier ones; returns the pairs kept."""
    from warehouse.ingestion.pii import redact_texts

    if pairs.height > keep:
        pairs = pairs.sample(keep, seed=seed)
    texts = ("prompt", "small_output", "large_output")
    pairs = pairs.with_columns(pl.Series(name, redact_texts(pairs[name].to_list())[0], dtype=pl.String)
                               for name in texts)
    kept = pairs.select("request_id", *texts, "quality_small", "quality_large", "label", "surface", "mode",
                        "language").with_columns(pl.lit(dataset).alias("dataset"))
    scores = pairs.unpivot(routers, index="request_id", variable_name="router", value_name="score").with_columns(
        pl.lit(dataset).alias("dataset"))
    replace_rows(con, "imported_pairs", kept, "dataset = ?", [dataset])
    replace_rows(con, "imported_router_scores", scores, "dataset = ?", [dataset])
    return kept.height


def store_gpu_prices(con: duckdb.DuckDBPyConnection, prices: pl.DataFrame) -> None:
    """The price table the projection used, replacing the whole earlier one."""
    replace_rows(con, "gpu_prices", prices, "true", [])
