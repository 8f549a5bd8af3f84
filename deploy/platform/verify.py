"""What a backfill on the platform is checked against (tests/platform, bench/platform.py): its
asset checks, the pools, DuckDB's lock, the warehouse's row counts and the published snapshot's
content beside another run's."""

from __future__ import annotations

import math
import re
from pathlib import Path

# Columns that measure time or name a run: they differ between any two runs of the same inputs
# (latency, device-seconds, the cost models fitted on them and the dollars and GPU-hours they
# price, when a row was written, random batch and run ids). Everything else must be identical.
TIMING = re.compile(r"(^|_)(seconds?|hours?|cost|dollars?|price|r2|backtest|batch_id|run_id|at)($|_)")
# Floats compared within 1e-3 (absolute or relative): llama.cpp reuses the prompt prefix the request
# before left in its cache, so its sums may differ in the last bits with the order requests arrive
# in (rounding both sides to 4 decimals failed when a value sat on a rounding boundary).
TOLERANCE = 1e-3
# Tables the snapshot copies from the Dagster instance (its run history): orchestration, not content.
ORCHESTRATION_TABLES = {"pipeline_runs", "snapshot_log"}
# asset_check_results: which checks passed, not their wording (which quotes device-seconds).
TIMED_TEXT = {("asset_check_results", "description")}


def timing_column(table: str, column: str) -> bool:
    """Whether ``table.column`` is left out of a content comparison."""
    return table in ORCHESTRATION_TABLES or (table, column) in TIMED_TEXT or bool(TIMING.search(column))


def snapshot_content(path: str | Path, *, name_keys: bool = False) -> dict[str, list[tuple]]:
    """Every table of a snapshot, its rows sorted, without the columns timing_column names.
    ``name_keys``: model keys and the scoring version (hashes of each model's config, which holds
    its server's URL and so its port) and server URLs replaced by what they name, so two stacks
    on different ports compare by content."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = _key_names(con) if name_keys else {}
        tables = {}
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall() if not timing_column(table, c)]
            if columns:
                quoted = ", ".join(f'"{c}"' for c in columns)
                rows = con.execute(f'SELECT {quoted} FROM "{table}"').fetchall()
                if names:
                    rows = [tuple(_named(v, names) for v in row) for row in rows]
                tables[table] = sorted(rows, key=_key)
        return tables
    finally:
        con.close()


LOCAL_URL = re.compile(r"http://127\.0\.0\.1:\d+")


def _key_names(con) -> dict[str, str]:
    names = {key: f"<{role} model>" for key, role in con.execute("SELECT model_key, role FROM models").fetchall()}
    names.update({v: "<scoring version>" for (v,) in con.execute("SELECT scoring_version FROM scoring_versions").fetchall()})
    return names


def _named(value, names: dict[str, str]):
    if not isinstance(value, str):
        return value
    return names.get(value) or LOCAL_URL.sub("http://127.0.0.1:<port>", value)


def _key(row: tuple) -> str:
    """A row's values but its floats: what orders and pairs rows of two snapshots."""
    return repr(tuple(None if isinstance(v, float) else v for v in row))


def _close(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return x == y


def _same_rows(rows_a: list[tuple], rows_b: list[tuple]) -> bool:
    return len(rows_a) == len(rows_b) and all(
        _key(x) == _key(y) and all(_close(u, v) for u, v in zip(x, y, strict=True))
        for x, y in zip(rows_a, rows_b, strict=True))


def content_differences(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> list[str]:
    """One line per table whose content differs (or that only one side has); floats within TOLERANCE."""
    out = [f"{t}: only in the first" for t in a.keys() - b.keys()]
    out += [f"{t}: only in the second" for t in b.keys() - a.keys()]
    for table in sorted(a.keys() & b.keys()):
        if not _same_rows(a[table], b[table]):
            rows_a, rows_b = set(map(repr, a[table])), set(map(repr, b[table]))
            out.append(f"{table}: {len(a[table])} against {len(b[table])} rows, {len(rows_a - rows_b)} and "
                       f"{len(rows_b - rows_a)} rows differ; e.g. {sorted(rows_a - rows_b)[:1]} / {sorted(rows_b - rows_a)[:1]}")
    return out


def warehouse_counts(data_dir: str | Path) -> dict[str, int]:
    """Row counts of the pipeline's tables, and duplicates where a key must be unique."""
    import duckdb

    con = duckdb.connect(str(Path(data_dir) / "warehouse.duckdb"), read_only=True)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        counts = {t: one(f"SELECT count(*) FROM {t}") for t in
                  ("chat_logs", "replay_sample", "replays", "replay_batches", "agreement", "router_scores")}
        counts["failed_replays"] = one("SELECT count(*) FROM replays WHERE error IS NOT NULL")
        counts["duplicate_replays"] = one("SELECT count(*) FROM (SELECT request_id, model_key FROM replays "
                                          "GROUP BY ALL HAVING count(*) > 1)")
        counts["duplicate_agreement"] = one("SELECT count(*) FROM (SELECT request_id, small_key, large_key, "
                                            "scoring_version FROM agreement GROUP BY ALL HAVING count(*) > 1)")
        counts["duplicate_chat_logs"] = one("SELECT count(*) FROM (SELECT request_id FROM chat_logs "
                                            "GROUP BY ALL HAVING count(*) > 1)")
        return counts
    finally:
        con.close()


def check_evaluations(inst, runs) -> list[tuple[str, bool, str]]:
    """(check name, passed, severity: ERROR or WARN) of every asset check evaluated in ``runs``."""
    import dagster as dg

    out = []
    for run in runs:
        for record in inst.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records:
            data = record.event_log_entry.dagster_event.asset_check_evaluation_data
            out.append((data.check_name, data.passed, data.severity.value))
    return out


def lock_errors(inst, runs) -> list[str]:
    """Event messages of ``runs`` that mention DuckDB's file lock."""
    found = []
    for run in runs:
        for record in inst.get_records_for_run(run.run_id, limit=100_000).records:
            entry = record.event_log_entry
            text = entry.message or ""
            event = entry.dagster_event
            if event is not None and event.event_type_value == "STEP_FAILURE":
                text += str(event.step_failure_data.error)
            if "Could not set lock" in text or "Conflicting lock" in text:
                found.append(text[:300])
    return found


def step_intervals(inst, runs) -> list[tuple[str, float, float]]:
    """(step key, start, end) of every step of ``runs`` that ran."""
    out = []
    for run in runs:
        for stat in inst.get_run_step_stats(run.run_id):
            if stat.start_time and stat.end_time:
                out.append((stat.step_key, stat.start_time, stat.end_time))
    return out


def overlaps(intervals: list[tuple[str, float, float]]) -> list[tuple[str, str]]:
    """Pairs of intervals that overlap (beyond 50 ms of clock rounding)."""
    intervals = sorted(intervals, key=lambda s: s[1])
    out, latest = [], None
    for step in intervals:
        if latest is not None and step[1] < latest[2] - 0.05:
            out.append((latest[0], step[0]))
        if latest is None or step[2] > latest[2]:
            latest = step
    return out


def step_pools(config_path: str | Path) -> dict[str, str | None]:
    """Each step of planb_daily and planb_window and the pool it claims."""
    from assets.definitions import build_definitions
    from assets.resources import PlanBResource

    defs = build_definitions(PlanBResource(config_path=str(config_path)))
    return {node.name: node.pool for job in ("planb_daily", "planb_window")
            for node in defs.resolve_job_def(job).graph.node_defs}
