"""A published snapshot at scale for bench/dashboard.py: ``rows`` logged requests over 30 days,
a stratified replay sample with both models' replays and agreement, and the projection the real
code computes (scoring.projection.run) for every router, threshold and segment.

The log is generated in DuckDB SQL straight into the warehouse through warehouse.db (so the
schema is the migrated one): hash-based pseudo-random days, times, surfaces, modes and languages,
queries and answers drawn from pools of generated texts of varied length. The sample's outcomes
(agreement, router scores) are synthetic as in bench/projection.py: agreement rises with a hidden
easiness that each router sees through its own noise; costs come from that bench's two H100 cost
models. Built once per size into a cache folder and reused.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl

from bench.projection import FIT, ROUTER_NAMES, synthetic_scores
from scoring.config import load_config
from scoring.costs.pricing import price_table
from scoring.projection.run import project_all, with_costs
from scoring.projection.table import query_length_bucket
from warehouse.db import insert_rows, publish_snapshot, snapshot_path, utc_now, writer
from warehouse.keys import PIPELINE
from warehouse.pipeline_queries import register_model, store_gpu_prices, store_projection

DAYS = 30
FIRST_DAY = "2026-10-01"
SMALL_KEY, LARGE_KEY = "bench-small-smollm2", "bench-large-gemma3"
SCORING_VERSION = "bench-v1"
DONE = ".built"  # written last: a folder without it is an interrupted build
# (value, share) of the segment columns, cumulative shares picked by a hash in [0, 1).
SURFACES = (("chat", 0.5), ("search", 0.35), ("sidebar", 0.15))
MODES = (("balanced", 0.6), ("precise", 0.25), ("creative", 0.15))
LANGUAGES = (("en", 0.7), ("de", 0.1), ("fr", 0.08), ("es", 0.07), ("ja", 0.05))
WORDS = [
    "how", "do", "i", "what", "is", "the", "best", "way", "to", "fix", "error", "python", "install",
    "train", "ticket", "weather", "in", "paris", "berlin", "recipe", "for", "cheap", "flight",
    "hotel", "near", "me", "compare", "price", "of", "laptop", "phone", "battery", "life", "review",
    "why", "does", "my", "code", "fail", "when", "running", "tests", "explain", "difference",
    "between", "tax", "return", "deadline", "convert", "pdf", "to", "word", "translate", "this",
    "sentence", "into", "german", "summary", "of", "article", "news", "today", "stock", "market",
    "score", "of", "game", "last", "night", "open", "hours", "pharmacy", "symptoms", "flu",
    "vaccine", "mortgage", "rate", "calculator", "history", "meaning", "lyrics", "song", "movie",
    "times", "near", "recommend", "book", "similar",
]


def _pick(column: str, choices: tuple[tuple[str, float], ...]) -> str:
    """A SQL CASE mapping the uniform ``column`` to a value by cumulative share."""
    cases, edge = [], 0.0
    for value, share in choices[:-1]:
        edge += share
        cases.append(f"WHEN {column} < {edge:.4f} THEN '{value}'")
    return f"CASE {' '.join(cases)} ELSE '{choices[-1][0]}' END"


def _texts(con, name: str, count: int, min_words: int, spread: int, seed: int) -> None:
    """A pool of ``count`` texts of ``min_words`` to ``min_words + spread - 1`` words (a skewed
    length: many short, a few long), numbered from 0."""
    vocab = "[" + ", ".join(f"'{w}'" for w in WORDS) + "]"
    con.execute(f"""
        CREATE TEMP TABLE {name} AS
        SELECT i AS id, array_to_string(list_transform(
                   range({min_words} + (power((hash(i, {seed}) % 1000) / 1000.0, 2) * {spread})::INT),
                   lambda k: {vocab}[1 + (hash(i, k, {seed}) % {len(WORDS)})::INT]), ' ') AS text
        FROM range({count}) t(i)""")


def _chat_logs(con, rows: int, seed: int) -> None:
    con.execute("SET enable_progress_bar = false")  # the bench prints its own lines
    _texts(con, "query_pool", 50_000, 1, 30, seed)
    _texts(con, "response_pool", 20_000, 5, 150, seed + 1)
    # Hashes of (i, salt) as uniforms in [0, 1): one per random column.
    def u(salt: int) -> str:
        return f"((hash(i, {seed}, {salt}) % 1000003) / 1000003.0)"

    con.execute(f"""
        INSERT INTO chat_logs (day, request_id, ts, session_id, user_hash, surface, mode, language, query,
                               response, model, prompt_tokens, completion_tokens, latency_ms,
                               source_file, source_line, context, source_sha256)
        WITH base AS (
            SELECT i, DATE '{FIRST_DAY}' + (i * {DAYS} // {rows})::INT AS day,
                   {_pick(u(1), SURFACES)} AS surface, {_pick(u(2), MODES)} AS mode,
                   {_pick(u(3), LANGUAGES)} AS language,
                   (hash(i, {seed}, 4) % 50000)::BIGINT AS q, (hash(i, {seed}, 5) % 20000)::BIGINT AS r,
                   {u(6)} AS t
            FROM range({rows}) t(i)
        )
        SELECT b.day, 'req-' || lpad(b.i::VARCHAR, 9, '0'), b.day + INTERVAL 1 SECOND * (b.t * 86399)::INT,
               'sess-' || (b.i // 4)::VARCHAR, sha256('user-' || (hash(b.i // 12) % 500000)::VARCHAR),
               b.surface, b.mode, b.language, q.text, r.text, 'large-prod',
               (20 + 1.3 * length(q.text) / 5)::INT, (1.3 * length(r.text) / 5)::INT,
               200 + 9 * length(r.text) / 5, 'landing/' || strftime(b.day, '%Y-%m-%d') || '.jsonl',
               (b.i % ({rows} // {DAYS} + 1) + 1)::INT, NULL, NULL
        FROM base b JOIN query_pool q ON q.id = b.q JOIN response_pool r ON r.id = b.r
        ORDER BY b.i""")
    # About 1 in 2,000 rows quarantined, a tenth without a readable day.
    con.execute(f"""
        INSERT INTO rejected_log_rows
        SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE DATE '{FIRST_DAY}' + (i % {DAYS})::INT END,
               'landing/part-' || (i % {DAYS})::VARCHAR || '.jsonl', (i * 7 + 3)::INT,
               ['invalid_json', 'empty_query', 'bad_timestamp'][1 + (i % 3)::INT], 'generated by the bench',
               '{{"query": "truncated record ' || i::VARCHAR || '"', NULL
        FROM range({max(1, rows // 2000)}) t(i)""")


def _replay_sample(con, sample: int, seed: int) -> pl.DataFrame:
    """Each day x surface x mode stratum sampled in proportion (at least one), each request
    weighted N_h / n_h; returns the sampled rows with their segments and logged tokens."""
    con.execute(f"""
        INSERT INTO replay_sample
        WITH strata AS (
            SELECT day, surface, mode, count(*)::INT AS n_big,
                   greatest(1, round(count(*) * {sample} / sum(count(*)) OVER ()))::INT AS n_small
            FROM chat_logs GROUP BY ALL
        ), ranked AS (
            SELECT day, request_id, surface, mode,
                   row_number() OVER (PARTITION BY day, surface, mode ORDER BY hash(request_id, {seed})) AS rank
            FROM chat_logs
        )
        SELECT r.day, r.request_id, r.surface || '|' || r.mode, s.n_big, s.n_small,
               s.n_small / s.n_big, s.n_big / s.n_small, {seed}
        FROM ranked r JOIN strata s USING (day, surface, mode)
        WHERE r.rank <= s.n_small""")
    return con.sql("""
        SELECT s.day::VARCHAR AS day, s.request_id, s.weight, l.surface, l.mode, l.language, l.query,
               l.response, l.prompt_tokens, l.completion_tokens
        FROM replay_sample s JOIN chat_logs l USING (day, request_id)
        ORDER BY s.day, s.request_id""").pl()


def _outcomes(sample: pl.DataFrame, seed: int) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """The projection's input rows (as scoring.projection.run.window_sample makes them) and
    each router's scores, with bench/projection.py's synthetic model."""
    rng = np.random.default_rng(seed)
    n = sample.height
    words = sample["query"].str.count_matches(r"\S+").to_numpy()
    easiness = rng.normal(size=n) - 0.03 * words
    agree = rng.uniform(size=n) < 1 / (1 + np.exp(-(0.8 + 1.5 * easiness)))
    scores = synthetic_scores(rng, easiness, words, agree)
    frame = sample.with_columns(
        agree=pl.Series(agree.astype(float)), quality_small=pl.Series(agree.astype(float)), quality_large=pl.lit(1.0),
        label=pl.Series(agree), query_length=pl.Series(query_length_bucket(words)),
        small_prompt_tokens=pl.col("prompt_tokens"), large_prompt_tokens=pl.col("prompt_tokens"),
        small_output_tokens=pl.Series(rng.integers(5, 120, n)), large_output_tokens=pl.col("completion_tokens"),
        token_f1=pl.Series(np.clip(np.where(agree, 0.75, 0.3) + rng.normal(0, 0.12, n), 0, 1)),
        cosine=pl.Series(np.clip(np.where(agree, 0.88, 0.6) + rng.normal(0, 0.06, n), -1, 1)),
    )
    return frame, scores


def _replays_and_agreement(con, frame: pl.DataFrame, scores: dict[str, np.ndarray]) -> None:
    """models, replays (the large answer is the logged one, the small one a cut of it or another
    answer), agreement, scoring_versions, cost_models and the sample's router_scores."""
    device = FIT["large"]["device"]
    day = pl.col("day").str.to_date()
    register_model(con, SMALL_KEY, name="SmolLM2-135M-Instruct", role="small", backend="transformers", spec={})
    register_model(con, LARGE_KEY, name="gemma-3-270m", role="large", backend="transformers", spec={})
    for role, key in (("small", SMALL_KEY), ("large", LARGE_KEY)):
        fit = FIT[role]
        seconds = (fit["seconds_per_request"] + fit["seconds_per_prompt_token"] * pl.col(f"{role}_prompt_tokens")
                   + fit["seconds_per_output_token"] * pl.col(f"{role}_output_tokens"))
        output = (pl.col("response") if role == "large" else
                  pl.when(pl.col("label")).then(pl.col("response").str.slice(0, 200)).otherwise(pl.col("query")))
        insert_rows(con, "replays", frame.select(
            day.alias("day"), "request_id", pl.lit(key).alias("model_key"), pl.lit(role).alias("role"),
            output.alias("output"), pl.col(f"{role}_prompt_tokens").cast(pl.Int32).alias("prompt_tokens"),
            pl.col(f"{role}_output_tokens").cast(pl.Int32).alias("output_tokens"), seconds.alias("seconds"),
            pl.lit(-0.5).alias("mean_logprob"), pl.lit(device).alias("device")))
        now = utc_now()
        insert_rows(con, "cost_models", pl.DataFrame([{
            "model_key": key, "role": role, "device": device, "r2": 0.99, "n_batches": 200, "fitted_at": now,
            "source": "replay", **{k: v for k, v in fit.items() if k.startswith("seconds")}}]))
    insert_rows(con, "agreement", frame.select(
        day.alias("day"), "request_id", pl.lit(SMALL_KEY).alias("small_key"), pl.lit(LARGE_KEY).alias("large_key"),
        (pl.col("token_f1") > 0.99).cast(pl.Float64).alias("exact"), "token_f1",
        pl.col("token_f1").alias("containment"), "cosine", pl.col("label").alias("agree"),
        pl.lit(SCORING_VERSION).alias("scoring_version"), pl.col("token_f1").alias("rouge_l"),
        pl.col("token_f1").alias("content_containment"), pl.lit("cosine").alias("decided_by")))
    insert_rows(con, "scoring_versions", pl.DataFrame([{
        "scoring_version": SCORING_VERSION, "rule": "long: cosine >= 0.8", "rule_json": "{}",
        "first_scored_at": utc_now()}]))
    for router, score in scores.items():
        insert_rows(con, "router_scores", frame.select(
            day.alias("day"), "request_id", pl.lit(router).alias("router"), pl.Series("score", score),
            pl.lit(True).alias("in_sample")))


def build(data_dir: Path, *, rows: int, sample: int, thresholds: int, bootstrap: int, seed: int = 0) -> dict:
    """Write the warehouse in ``data_dir`` and publish its snapshot; returns what was built."""
    cfg = load_config(None, data_dir=str(data_dir),
                      projection={"thresholds": thresholds, "bootstrap": bootstrap, "seed": 11})
    with writer(data_dir) as con:
        _chat_logs(con, rows, seed)
        drawn = _replay_sample(con, sample, seed)
    frame, scores = _outcomes(drawn, seed)
    with writer(data_dir) as con:
        _replays_and_agreement(con, frame, scores)
    costed, costing = with_costs(frame, FIT, cfg)
    projection, metrics = project_all(costed, {r: scores[r] for r in ROUTER_NAMES}, {}, cfg=cfg, costing=costing,
                                      days=DAYS, dataset=PIPELINE, quality_measure="agreement")
    with writer(data_dir) as con:
        store_projection(con, PIPELINE, projection, metrics)
        prices = price_table(cfg.pricing, [FIT["small"]["device"], FIT["large"]["device"]])
        store_gpu_prices(con, pl.DataFrame(prices, schema_overrides={"as_of": pl.Date}))
    publish_snapshot(data_dir)
    return {"chat_log_rows": rows, "sampled_requests": frame.height, "projection_rows": projection.height,
            "router_metrics_rows": metrics.height, "snapshot_bytes": snapshot_path(data_dir).stat().st_size}


def cached_build(cache: Path, *, rows: int, sample: int, thresholds: int, bootstrap: int,
                 seed: int = 0) -> tuple[Path, dict | None]:
    """The data folder for these sizes under ``cache``, built unless a finished one is there;
    returns it and what was built (None when reused)."""
    data_dir = cache / f"dashboard-{rows}-{sample}-{thresholds}-{bootstrap}-{seed}"
    if (data_dir / DONE).exists():
        return data_dir, None
    shutil.rmtree(data_dir, ignore_errors=True)
    built = build(data_dir, rows=rows, sample=sample, thresholds=thresholds, bootstrap=bootstrap, seed=seed)
    (data_dir / "warehouse.duckdb").unlink()  # the snapshot is all the dashboard opens; halve the disk
    (data_dir / DONE).write_text("ok\n", encoding="utf-8")
    return data_dir, built
