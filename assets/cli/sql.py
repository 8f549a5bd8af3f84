"""`planb sql "SELECT ..."`: one read-only statement on the published snapshot, printed as a
table, CSV or JSON (warehouse/db.py refuses anything that is not a read).

    planb sql "SELECT count(*) FROM chat_logs" --format csv

Bounded (config section ``sql``, or the flags, which win):

- CSV and JSON are streamed: rows are written as DuckDB yields them, in batches, so a result of
  any size is written in little memory.
- The table shows at most ``max_table_rows`` rows (--max-rows) and then says how many it left
  out and how to get them.
- The statement is interrupted after ``time_limit_s`` seconds (--time-limit; 0: none), and
  DuckDB may use ``memory_limit`` of memory (--memory-limit), spilling nothing to disk; either
  stops it with one line that names the limit and how to raise it.

It loads only the config file (not its validation) and DuckDB, which renders the table itself,
so it answers in a fraction of a second.
"""

from __future__ import annotations

import argparse
import re
import sys

# The defaults of the config's `sql` section (scoring.config.SqlConfig holds the same values; a
# test keeps them equal): this command does not load the validated config, to start fast.
MAX_TABLE_ROWS = 10_000
TIME_LIMIT_S = 300.0
MEMORY_LIMIT = "2GB"
MEMORY_PATTERN = r"\d+(\.\d+)?\s*[KMGT]i?B"  # as ingest.memory_limit: 500MB, 2GB, 1.5GiB
BATCH_ROWS = 10_000  # rows fetched from DuckDB at a time when streaming CSV or JSON
FLAGS = {"max_table_rows": "--max-rows", "time_limit_s": "--time-limit", "memory_limit": "--memory-limit"}


def add_parser(sub) -> None:
    sql = sub.add_parser("sql", help="read-only SQL on the published snapshot")
    sql.add_argument("query")
    sql.add_argument("--format", choices=list(WRITERS), default="table")
    sql.add_argument("--max-rows", type=int, metavar="N",
                     help=f"table format: rows shown (default sql.max_table_rows, {MAX_TABLE_ROWS:,})")
    sql.add_argument("--time-limit", type=float, metavar="SECONDS",
                     help=f"stop the query after this many seconds; 0: no limit (default sql.time_limit_s, "
                     f"{TIME_LIMIT_S:g})")
    sql.add_argument("--memory-limit", metavar="SIZE",
                     help=f"DuckDB's memory for the query, e.g. 4GB (default sql.memory_limit, {MEMORY_LIMIT})")
    sql.set_defaults(func=cmd_sql)


def cmd_sql(args: argparse.Namespace) -> None:
    from scoring.config_file import data_dir
    from warehouse.db import SnapshotMemoryLimitError, SnapshotQueryError, SnapshotTimeLimitError, query_snapshot

    limits = sql_limits(args)
    writer = WRITERS[args.format]
    try:  # one read-only statement on the snapshot; anything else is refused (warehouse/db.py)
        query_snapshot(data_dir(args.config, args.data_dir), args.query,
                       lambda con, sql: writer(con, sql, limits["max_table_rows"]),
                       time_limit_s=limits["time_limit_s"] or None, memory_limit=limits["memory_limit"])
    except SnapshotTimeLimitError as err:
        raise SystemExit(f"planb sql: {err} (--time-limit SECONDS or sql.time_limit_s in the config; "
                         "0 for none)") from None
    except SnapshotMemoryLimitError as err:
        raise SystemExit(f"planb sql: {err} (--memory-limit SIZE or sql.memory_limit in the config)") from None
    except SnapshotQueryError as err:
        raise SystemExit(f"planb sql: {err}") from None
    except BrokenPipeError:  # `planb sql ... | head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more for the closed pipe
        raise SystemExit(0) from None


def sql_limits(args: argparse.Namespace) -> dict:
    """max_table_rows, time_limit_s and memory_limit: the flag, else the config's ``sql``
    section, else the default; each checked (ConfigError, one line, naming the setting)."""
    from scoring.config_file import ConfigError, read_config

    raw, source = read_config(args.config, {})
    section = raw.get("sql") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: sql: must be a mapping of settings")
    unknown = sorted(set(section) - {"max_table_rows", "time_limit_s", "memory_limit"})
    if unknown:
        raise ConfigError(f"{source}: sql.{unknown[0]}: unknown key")
    given = {"max_table_rows": args.max_rows, "time_limit_s": args.time_limit, "memory_limit": args.memory_limit}
    defaults = {"max_table_rows": MAX_TABLE_ROWS, "time_limit_s": TIME_LIMIT_S, "memory_limit": MEMORY_LIMIT}
    values = {key: given[key] if given[key] is not None else section.get(key, default) for key, default in defaults.items()}
    wheres = {key: FLAGS[key] if given[key] is not None else f"{source}: sql.{key}" for key in values}
    rows, seconds, memory = values["max_table_rows"], values["time_limit_s"], values["memory_limit"]
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ConfigError(f"{wheres['max_table_rows']}: a whole number of rows >= 1 is meant")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < float("inf"):
        raise ConfigError(f"{wheres['time_limit_s']}: a number of seconds >= 0 is meant (0: no limit)")
    if not isinstance(memory, str) or not re.fullmatch(MEMORY_PATTERN, memory.strip()):
        raise ConfigError(f"{wheres['memory_limit']}: a size such as 500MB, 2GB or 1.5GiB is meant")
    return {"max_table_rows": rows, "time_limit_s": float(seconds), "memory_limit": memory.strip()}


def _table(con, sql: str, max_rows: int) -> None:
    """At most ``max_rows`` rows as DuckDB renders them, then how many were left out."""
    import duckdb

    result = con.sql(sql)
    if result is None:
        return
    more = result.limit(1, offset=max_rows).fetchall()
    result.limit(max_rows).show(max_width=200, max_rows=max_rows, max_col_width=80)
    if not more:
        return
    try:
        total = result.aggregate("count(*)").fetchall()[0][0]
        counted = f"{total:,} rows in all: the first {max_rows:,} shown, {total - max_rows:,} left out"
    except duckdb.InterruptException:  # the time limit, while counting
        counted = f"more than {max_rows:,} rows (not all counted within the time limit): {max_rows:,} shown"
    print(f"({counted}; all of them with --format csv or --format json, more here with --max-rows N, "
          "or fewer with WHERE or LIMIT ... OFFSET)")


def _csv(con, sql: str, _max_rows: int) -> None:
    """Every row, streamed: DuckDB's result is read BATCH_ROWS rows at a time."""
    import csv

    result = con.execute(sql)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow([column[0] for column in result.description])
    while rows := result.fetchmany(BATCH_ROWS):
        out.writerows(rows)


def _json(con, sql: str, _max_rows: int) -> None:
    """One JSON array of one object per row, streamed; dates, times and decimals as their text."""
    import json

    result = con.execute(sql)
    columns = [column[0] for column in result.description]
    separator = ""
    sys.stdout.write("[")
    while rows := result.fetchmany(BATCH_ROWS):
        batch = json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str, ensure_ascii=False)
        sys.stdout.write(separator + batch[1:-1])  # the batch's objects, without its brackets
        separator = ", "
    sys.stdout.write("]\n")


WRITERS = {"table": _table, "csv": _csv, "json": _json}
