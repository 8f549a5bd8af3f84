"""What the ingestion throughput goal leaves for the work ingestion must do, measured.

The floor (``ingest.floor``: DuckDB's own parallel JSON reader straight into chat_logs, none of
the required work) runs on the same log, and so does each required step on its own, the cheapest
way we know to do it, every DuckDB step as one parallel query over the whole log (its lines or
fields already in memory, so a step costs only itself). At a goal of
G rows/s on C cores, a million rows may cost C x 1e6 / G CPU-seconds; what the floor does not
spend is what the steps may spend together. Figures are CPU-seconds per million records, best of
three, and each step's share of the floor.

    .venv/bin/python bench/ingest_costs.py                # 1M records
    .venv/bin/python bench/ingest_costs.py --records 200000 --goal 500000

Results: printed, and written to bench/results/ingest_costs.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import _cpu_model, _cpu_seconds, floor, generate

# Lines and parsed fields are loaded into memory first (not timed), so each step costs only itself.
LOAD = """
CREATE TABLE lines AS SELECT * FROM read_csv($log, columns = {'line': 'VARCHAR'}, delim = '\\x01', quote = '',
                                             escape = '', header = false);
CREATE TABLE fields AS SELECT * FROM read_json($log, format = 'newline_delimited', ignore_errors = true);
"""
LINES, FIELDS = "lines", "fields"


def _duckdb_steps() -> dict[str, str]:
    from warehouse.ingestion.formats import _MAYBE_NOT_TEXT
    from warehouse.ingestion.redact import ANY_PII

    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    return {
        # a parsed record must be told from a bad line, which the floor turns into NULLs
        "validate each line's JSON (json_valid)": f"SELECT count(*) FILTER (json_valid(line)) FROM {LINES}",
        # a text field holding an object, array or boolean is a wrong type
        "wrong-type check (one regex over the line)":
            f"SELECT count(*) FILTER (regexp_matches(line, {quoted(_MAYBE_NOT_TEXT)})) FROM {LINES}",
        "salted sha256 of the user id": f"SELECT max(sha256('salt:' || user_id)) FROM {FIELDS}",
        "PII flag on query and response (one RE2 pass each)":
            f"SELECT count(*) FILTER (regexp_matches(query, {quoted(ANY_PII)}) "
            f"OR regexp_matches(response, {quoted(ANY_PII)})) FROM {FIELDS}",
        "dedup keys (hash of request id; of session, time, query)":
            f"SELECT max(hash(request_id)), max(hash(session_id, \"timestamp\", query)) FROM {FIELDS}",
    }


def _best(run, repeats: int = 3) -> float:
    costs = []
    for _ in range(repeats):
        start = _cpu_seconds()
        run()
        costs.append(_cpu_seconds() - start)
    return min(costs)


def measure(log: Path, work: Path) -> dict[str, float]:
    """CPU-seconds of the floor and of each step over ``log``."""
    import duckdb
    import numpy as np

    from warehouse.ingestion.dedup import SeenKeys
    from warehouse.ingestion.formats import FIELDS as FIELD_NAMES
    from warehouse.ingestion.lines import line_batches
    from warehouse.ingestion.sources import sha256

    costs = {"floor": min(floor(log, work / f"floor{i}")["cpu_seconds"] for i in range(3))}
    costs["the file's sha256 (to know a file seen before)"] = _best(lambda: sha256(str(log)))

    def number_lines() -> None:
        with log.open("rb") as stream:
            for _ in line_batches(stream):
                pass

    costs["read the file as numbered lines"] = _best(number_lines)
    con = duckdb.connect()
    con.execute(LOAD.replace("$log", "'" + str(log).replace("'", "''") + "'"))
    for step, sql in _duckdb_steps().items():
        costs[step] = _best(lambda sql=sql: con.execute(sql).fetchall())
    # the floor's reader parses only the fields; from numbered lines they are parsed by
    # json_extract_string: what that costs beyond read_json's own parse (and file reading)
    paths = "[" + ", ".join(f"'$.{f}'" for f in FIELD_NAMES) + "]"
    extract = _best(lambda: con.execute(f"SELECT max(s[8]) FROM (SELECT CASE WHEN json_valid(line) THEN "
                                        f"json_extract_string(line, {paths}) END AS s FROM {LINES})").fetchall())
    valid = costs["validate each line's JSON (json_valid)"]
    parse = _best(lambda: con.execute("SELECT max(query) FROM read_json($log, format = 'newline_delimited', "
                                      "ignore_errors = true)", {"log": str(log)}).fetchall())
    costs["extract fields from numbered lines, beyond read_json's own parse"] = max(0.0, extract - valid - parse)
    keys = con.execute(f"SELECT hash(request_id), hash(session_id, \"timestamp\", query) FROM {FIELDS} "
                       "WHERE request_id IS NOT NULL").fetchnumpy()
    both = np.concatenate([keys[name] for name in keys]).astype(np.uint64)
    costs["Bloom filter of dedup keys"] = _best(
        lambda: [SeenKeys().check_add(chunk) for chunk in np.array_split(both, max(1, len(both) // 170_000))])
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--goal", type=float, default=500_000, help="rows per second")
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ingest_costs.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        log = Path(work) / "bench.jsonl"
        generate(log, args.records)
        costs = measure(log, Path(work))
    per_million = {step: cpu * 1e6 / args.records for step, cpu in costs.items()}
    budget = args.cores * 1e6 / args.goal
    floor_cost = per_million.pop("floor")
    left = budget - floor_cost
    steps = sum(per_million.values())
    print(f"{args.records:,} records, {args.cores} cores; CPU-seconds per million records")
    print(f"budget at {args.goal:,.0f} rows/s: {budget:.2f}; the floor spends {floor_cost:.2f}, leaving {left:.2f}")
    for step, cpu in per_million.items():
        print(f"  {cpu:5.2f}  ({cpu / floor_cost:.2f}x the floor)  {step}")
    print(f"the required steps alone: {steps:.2f} ({steps / floor_cost:.2f}x the floor), "
          f"{'within' if steps <= left else 'over'} the {left:.2f} left by {abs(left - steps):.2f}")
    result = {"machine": {"cpus": os.cpu_count(), "cpu_model": _cpu_model(), "load_average": os.getloadavg()},
              "records": args.records, "goal_rows_per_s": args.goal, "cores": args.cores,
              "budget_cpu_s_per_million": budget, "floor_cpu_s_per_million": floor_cost,
              "steps_cpu_s_per_million": per_million, "steps_total": steps, "left_by_floor": left}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
